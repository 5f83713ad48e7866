"""The office's cover forms: a teacher away (a day, or some periods of it), the board's day, and the one-click
assign (which lesson, which date, which teacher)."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from modules.academics.models import Period
from modules.core.forms import DateInput
from modules.people.models import Position, Staff
from modules.timetable.models import Lesson

WHOLE_DAY = "day"
SOME_PERIODS = "periods"
DATE_ERRORS = {"invalid": _("Enter a date as YYYY-MM-DD."), "required": _("Choose the day.")}


def teachers():
    return Staff.objects.filter(is_active=True, position=Position.TEACHER).order_by("last_name", "first_name")


class PeriodChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Period) -> str:
        return f"{obj.name} ({obj.start_time:%H:%M}–{obj.end_time:%H:%M})"


class AbsenceForm(forms.Form):
    staff = forms.ModelChoiceField(
        label=_("Teacher"),
        queryset=Staff.objects.none(),
        empty_label=_("Choose a teacher"),
        error_messages={
            "required": _("Choose the teacher who is away."),
            "invalid_choice": _("Choose one of the school's teachers."),
        },
    )
    date = forms.DateField(label=_("Day"), widget=DateInput(), error_messages=DATE_ERRORS)
    scope = forms.ChoiceField(
        label=_("Away for"),
        choices=[(WHOLE_DAY, _("The whole day")), (SOME_PERIODS, _("Some periods"))],
        widget=forms.RadioSelect,
        initial=WHOLE_DAY,
    )
    periods = PeriodChoiceField(
        label=_("Periods away"),
        queryset=Period.objects.order_by("order"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only when away for some periods."),
        error_messages={"invalid_choice": _("Choose periods of the bell schedule.")},
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=200,
        help_text=_("For the office: a course, an appointment, illness…"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = teachers()
        self.fields["date"].initial = timezone.localdate()
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("scope") == SOME_PERIODS and not cleaned.get("periods"):
            self.add_error("periods", _("Tick the periods the teacher is away, or choose the whole day."))
        if cleaned.get("scope") == WHOLE_DAY:
            cleaned["periods"] = []
        return cleaned


class DayForm(forms.Form):
    date = forms.DateField(label=_("Day"), required=False, widget=DateInput(), error_messages=DATE_ERRORS)

    def day(self):
        """The day asked for; today when none (or a date the page cannot show) is given."""
        day = self.cleaned_data.get("date") if self.is_valid() else None
        # The calendar's ends have no day before or after to link to.
        if day is not None and 1 < day.year < 9999:
            return day
        return timezone.localdate()


class AssignForm(forms.Form):
    lesson = forms.ModelChoiceField(queryset=Lesson.objects.all(), widget=forms.HiddenInput)
    date = forms.DateField(widget=forms.HiddenInput, error_messages=DATE_ERRORS)
    teacher = forms.ModelChoiceField(queryset=Staff.objects.all(), widget=forms.HiddenInput)
