from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from modules.webhooks.catalogue import event_choices


class EndpointForm(forms.Form):
    url = forms.URLField(
        label=_("Endpoint URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_(
            "The address of the other system that receives the events, e.g. https://example.org/hooks."
        ),
        error_messages={"required": _("Enter the address that receives the events.")},
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=200,
        required=False,
        help_text=_("What the endpoint is for, e.g. “Library system”."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events to send"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # In the reader's language, when the form is made.
        self.fields["events"].choices = event_choices()
