from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from modules.academics.models import AcademicYear
from modules.api.models import RosterSettings
from modules.api.scopes import scope_choices
from modules.api.tokens import LIFETIMES


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=80,
        help_text=_("What the token is for, e.g. “Library system”."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("What it may do"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose what the token may do.")},
    )
    days = forms.TypedChoiceField(label=_("Works for"), coerce=int, initial=90)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the scopes this person's roles may hold (a bursar is not offered marks).
        self.fields["scopes"].choices = scope_choices(user)
        # In the reader's language, when the form is made.
        self.fields["days"].choices = [
            (days, ngettext("%(count)d day", "%(count)d days", days) % {"count": days}) for days in LIFETIMES
        ]


class ClientForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=80,
        help_text=_("The program, e.g. “Learning platform”."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("What it may do"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose what the program may do.")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = scope_choices(user)


class RosterSettingsForm(forms.ModelForm):
    class Meta:
        model = RosterSettings
        fields = ["year", "guardians", "demographics", "nightly"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].empty_label = _("The current year")
        self.fields["year"].queryset = AcademicYear.objects.order_by("-start_date")
