from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from modules.accounts import rules


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # Accounts are created by the office, which sends an invitation with a set-password link.
        return False

    def get_login_stages(self) -> list[str]:
        # The second factor's stage knows the identity providers the office trusts to ask for one
        # (modules/accounts/sso.py).
        return [
            "modules.accounts.sso.PortalMfaStage"
            if stage == "allauth.mfa.stages.AuthenticateStage"
            else stage
            for stage in super().get_login_stages()
        ]


class MFAAdapter(DefaultMFAAdapter):
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": _(
            "Staff accounts must keep two-factor authentication. To move it to a new phone, use a recovery "
            "code to sign in and ask the office to reset your authenticator."
        ),
    }

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """Staff must keep their authenticator app: removing it would leave a staff login that a password
        alone opens until the next sign-in. Families may switch MFA off."""
        if authenticator.type != Authenticator.Type.TOTP or not settings.STUDENTFLOW_REQUIRE_STAFF_MFA:
            return True
        return not rules.must_enrol_mfa(authenticator.user)
