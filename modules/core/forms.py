"""The base of the portal's model forms: crispy layout without its own <form> tag or CSRF field (the page's
template has both), and the stale-edit check (`modules.core.concurrency`): a form saved over a newer version
of its record is refused, never silently overwritten."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from modules.core.concurrency import StaleEditCheckMixin


class PortalForm(StaleEditCheckMixin, forms.ModelForm):
    submit_label = _("Save")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)
