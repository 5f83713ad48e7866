from __future__ import annotations

from allauth.account.forms import LoginForm


class PortalLoginForm(LoginForm):
    """allauth's sign-in, with the cursor in the email field when the page opens."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"].widget.attrs["autofocus"] = True
