from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from modules.academics.models import (
    AcademicYear,
    CalendarEvent,
    CourseOffering,
    GradeLevel,
    Period,
    Room,
    Section,
    Subject,
    Term,
)
from modules.core.forms import DateInput, PortalForm
from modules.people.forms import StudentForm
from modules.people.models import Staff, Student


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class PlainForm(forms.Form):
    """A non-model form rendered with crispy inside a template's own <form> tag."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class AcademicYearForm(PortalForm):
    class Meta:
        model = AcademicYear
        fields = ["name", "start_date", "end_date"]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}


class TermForm(PortalForm):
    """The year is fixed by the page; the model's clean() checks the term lies inside it and overlaps none."""

    class Meta:
        model = Term
        fields = ["name", "start_date", "end_date"]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = Term.objects.filter(year_id=self.instance.year_id, name__iexact=name).exclude(
            pk=self.instance.pk
        )
        if clash.exists():
            raise forms.ValidationError(_("This year already has a term called %(name)s.") % {"name": name})
        return name


class GradeLevelForm(PortalForm):
    class Meta:
        model = GradeLevel
        fields = ["name", "order", "ceds_code"]


class SubjectForm(PortalForm):
    class Meta:
        model = Subject
        fields = ["name", "code"]

    def clean_code(self):
        return self.cleaned_data["code"].strip().upper()


class RoomForm(PortalForm):
    class Meta:
        model = Room
        fields = ["name", "capacity"]


class SectionForm(PortalForm):
    class Meta:
        model = Section
        fields = ["year", "grade_level", "name", "homeroom_teacher", "room", "capacity"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        teachers = Staff.objects.teachers()
        if self.instance.homeroom_teacher_id:
            # Keep the current homeroom teacher selectable even if they have since left or changed position.
            teachers = Staff.objects.filter(pk=self.instance.homeroom_teacher_id) | teachers
        self.fields["homeroom_teacher"].queryset = teachers.order_by("last_name", "first_name")
        self.fields["homeroom_teacher"].help_text = _("Only active teachers are listed.")

    def clean(self):
        cleaned = super().clean()
        year, name = cleaned.get("year"), cleaned.get("name")
        if year and name:
            clash = Section.objects.filter(year=year, name__iexact=name.strip()).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error(
                    "name",
                    _("%(year)s already has a section called %(name)s.") % {"year": year, "name": name},
                )
        return cleaned


class CourseOfferingForm(PortalForm):
    class Meta:
        model = CourseOffering
        fields = ["subject", "section", "teacher"]

    def __init__(self, *args, year: AcademicYear | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        sections = Section.objects.select_related("year", "grade_level")
        if year is not None:
            sections = sections.filter(year=year)
        if self.instance.section_id:
            sections = sections | Section.objects.filter(pk=self.instance.section_id)
        self.fields["section"].queryset = sections.order_by("grade_level__order", "name")
        self.fields["section"].label_from_instance = lambda s: f"{s.name} · {s.year}"
        teachers = Staff.objects.teachers()
        if self.instance.teacher_id:
            teachers = Staff.objects.filter(pk=self.instance.teacher_id) | teachers
        self.fields["teacher"].queryset = teachers.order_by("last_name", "first_name")

    def clean(self):
        cleaned = super().clean()
        subject, section = cleaned.get("subject"), cleaned.get("section")
        if subject and section:
            clash = CourseOffering.objects.filter(subject=subject, section=section).exclude(
                pk=self.instance.pk
            )
            if clash.exists():
                raise forms.ValidationError(
                    _("%(section)s already has %(subject)s. Edit that offering instead.")
                    % {"section": section.name, "subject": subject.name}
                )
        return cleaned

    def validate_constraints(self):
        # clean() already reports the (subject, section) clash, naming both; skip Django's generic message.
        return None


class PeriodForm(PortalForm):
    class Meta:
        model = Period
        fields = ["order", "name", "start_time", "end_time"]
        widgets = {"start_time": TimeInput(), "end_time": TimeInput()}

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_time"), cleaned.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", _("The period must end after it starts."))
        return cleaned


class CalendarEventForm(PortalForm):
    class Meta:
        model = CalendarEvent
        fields = ["name", "kind", "start_date", "end_date", "notes"]
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {"end_date": _("The same as the first day for a one-day event.")}


class EnrollmentAddForm(PlainForm):
    students = forms.ModelMultipleChoiceField(
        label=_("Students to add"),
        queryset=Student.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Tick at least one student to add."),
            "invalid_choice": _(
                "A ticked student is no longer waiting for a section. Reload the page and try again."
            ),
        },
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["students"].queryset = candidates


class EnrollmentMoveForm(PlainForm):
    section = forms.ModelChoiceField(label=_("Move to"), queryset=Section.objects.none(), empty_label=None)

    def __init__(self, *args, enrollment, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = Section.objects.filter(year_id=enrollment.year_id).exclude(
            pk=enrollment.section_id
        )


class StudentWithSectionForm(StudentForm):
    """The office's student form: people's `StudentForm` plus this year's section (the student is enrolled in
    it, or moved to it, when saved: `services.student_save_enrolled`)."""

    section = forms.ModelChoiceField(
        label=_("Section this year"),
        queryset=Section.objects.none(),
        required=False,
        help_text=_("Enrols the student in this section for the current academic year."),
    )

    def __init__(self, *args, year=None, **kwargs):
        super().__init__(*args, **kwargs)
        sections = Section.objects.filter(year=year) if year else Section.objects.none()
        self.fields["section"].queryset = sections.select_related("grade_level")
        if "create_login" in self.fields:  # after the section, as the form has always read
            self.fields["create_login"] = self.fields.pop("create_login")
