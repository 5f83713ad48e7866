"""Forms of the timetables pages: generate, move a lesson, lock, publish, copy, delete. Every edit carries
the timetable's version as the page drew it (a stale form is refused by the service)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from modules.academics.models import Period, Weekday
from modules.core.forms import DateInput


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class GenerateForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=80, required=False, help_text=_("Empty: the date and time.")
    )
    partial = forms.BooleanField(
        label=_("If not every lesson fits, place as many as possible and list the others"), required=False
    )


class RegenerateForm(VersionForm):
    partial = forms.BooleanField(
        label=_("If not every lesson fits, place as many as possible and list the others"), required=False
    )


class MoveForm(VersionForm):
    """Where to: a slot from the list of valid ones (`slot` = weekday:period:room), or a weekday and a period
    (dragging on the board); the service refuses a slot that clashes and says with what."""

    slot = forms.CharField(required=False, widget=forms.HiddenInput)
    weekday = forms.TypedChoiceField(label=_("Day"), choices=Weekday.choices, coerce=int, required=False)
    period = forms.ModelChoiceField(label=_("Period"), queryset=Period.objects.all(), required=False)
    # The question the person answered about the registers taken at the lesson's current time (its token,
    # `editing.RegistersTaken`): a register taken since then asks again.
    confirm = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean() or self.cleaned_data
        slot = cleaned.get("slot")
        cleaned["room"] = None
        if slot:
            try:
                weekday, period, room = slot.split(":")
                cleaned["weekday"] = int(weekday)
                cleaned["period"] = Period.objects.get(pk=int(period))
                cleaned["room_id"] = int(room) if room else None
            except (ValueError, Period.DoesNotExist):
                raise forms.ValidationError(_("Choose a slot from the list.")) from None
        if cleaned.get("weekday") in (None, "") or cleaned.get("period") is None:
            raise forms.ValidationError(_("Choose a day and a period."))
        return cleaned


class LockForm(VersionForm):
    locked = forms.BooleanField(required=False)


class PublishForm(VersionForm):
    effective_from = forms.DateField(
        label=_("In effect from"), widget=DateInput(attrs={"class": "form-control"})
    )
    # The date the person was told about the registers it would leave without their lesson: publishing
    # from that date is then confirmed (another date asks again).
    confirm = forms.CharField(required=False, widget=forms.HiddenInput)

    @property
    def confirmed(self) -> bool:
        data = self.cleaned_data
        return bool(data.get("effective_from")) and data.get("confirm") == data["effective_from"].isoformat()


class CopyForm(forms.Form):
    name = forms.CharField(label=_("Name of the new draft"), max_length=80)
