"""Forms of the exam schedule (periods, exams, the staff filter) and of marksheet import."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from modules.academics.models import Room, Section, Subject, Term
from modules.core.forms import DateInput, PortalForm
from modules.exams.models import ExamPeriod, ExamSlot
from modules.people.models import Staff


class PlainForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class ExamPeriodForm(PortalForm):
    class Meta:
        model = ExamPeriod
        fields = ["name", "term", "start_date", "end_date", "is_published"]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["term"].queryset = Term.objects.select_related("year").order_by("-start_date")

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The last day cannot be before the first day."))
        return data


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class ExamSlotForm(PortalForm):
    class Meta:
        model = ExamSlot
        fields = ["subject", "sections", "date", "start_time", "duration_minutes", "room", "invigilator"]
        widgets = {
            "date": DateInput(),
            "start_time": TimeInput(),
            "sections": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, period: ExamPeriod, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].queryset = Subject.objects.order_by("name")
        self.fields["sections"].queryset = Section.objects.filter(year=period.term.year_id).order_by(
            "grade_level__order", "name"
        )
        self.fields["sections"].help_text = _("Only sections of %(year)s.") % {"year": period.term.year}
        self.fields["room"].queryset = Room.objects.order_by("name")
        self.fields["invigilator"].queryset = Staff.objects.filter(is_active=True).order_by(
            "last_name", "first_name"
        )
        self.fields["date"].widget.attrs.update(
            min=period.start_date.isoformat(), max=period.end_date.isoformat()
        )


class TimetableFilterForm(PlainForm):
    section = forms.ModelChoiceField(label=_("Section"), queryset=Section.objects.none(), required=False)
    room = forms.ModelChoiceField(label=_("Room"), queryset=Room.objects.none(), required=False)
    invigilator = forms.ModelChoiceField(
        label=_("Invigilator"), queryset=Staff.objects.none(), required=False
    )

    def __init__(self, *args, period: ExamPeriod, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = Section.objects.filter(exam_slots__period=period).distinct()
        self.fields["room"].queryset = Room.objects.filter(
            pk__in=period.slots.filter(room__isnull=False).values("room")
        )
        self.fields["invigilator"].queryset = Staff.objects.filter(invigilations__period=period).distinct()


class MarksheetUploadForm(PlainForm):
    file = forms.FileField(
        label=_("Filled-in marksheet (.xlsx)"),
        help_text=_("The file you downloaded from this page, with marks typed in."),
        allow_empty_file=True,
    )


class MarksheetConfirmForm(PlainForm):
    token = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason for changing marks in a locked term"), max_length=300, required=False
    )
