"""Forms of the register: one row (a student's mark), the live-mark request, and the register list filters."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Fieldset, Layout
from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from modules.academics.models import AcademicYear, GradeLevel, Room, Section
from modules.attendance.models import (
    MAX_LATE_MINUTES,
    AttendancePolicy,
    AttendanceStatus,
    GradeRegisterMode,
    RegisterMode,
    RegisterState,
)
from modules.core.concurrency import StaleEditCheckMixin, Verdict, edit_verdict

# Lazy: translated when shown, in the language of the person who sees it.
MINUTES_MESSAGE = format_lazy(
    _("Minutes late must be a whole number between 0 and {max}."), max=MAX_LATE_MINUTES
)


def row_prefix(student_id: int) -> str:
    """Every row of the register form has its own field names (the radio groups must not share a name)."""
    return f"s{student_id}"


class MarkForm(forms.Form):
    """One student's mark. The register page renders it by hand (buttons styled radios); the fields carry a
    hidden copy of the values the row showed when the page was drawn (`initial-s12-status`, ...): the row's
    base. Saving the whole page writes only the rows that changed, and every save (the page or one live row)
    sends the base so that what a colleague marked meanwhile is refused, not overwritten (record_mark)."""

    status = forms.ChoiceField(
        label=_("Status"),
        choices=AttendanceStatus.choices,
        show_hidden_initial=True,
        error_messages={
            "required": _("Choose present, absent, late or excused."),
            "invalid_choice": _("“%(value)s” is not an attendance status."),
        },
    )
    late_minutes = forms.IntegerField(
        label=_("Minutes late"),
        required=False,
        min_value=0,
        max_value=MAX_LATE_MINUTES,
        show_hidden_initial=True,
        error_messages=dict.fromkeys(["invalid", "min_value", "max_value"], MINUTES_MESSAGE),
    )
    reason = forms.CharField(
        label=_("Excuse reason"), required=False, max_length=200, show_hidden_initial=True
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=300, show_hidden_initial=True)

    def clean(self):
        data = super().clean()
        if data.get("status") != AttendanceStatus.LATE:
            data["late_minutes"] = None
        return data

    def base(self) -> dict:
        """The row's base as posted (the hidden `initial-…` copies). A missing field counts as an unmarked
        row's (present, nothing else), so a client that sends no base cannot overwrite a mark."""
        values = {}
        for name in ("status", "late_minutes", "reason", "note"):
            field = self.fields[name]
            raw = field.hidden_widget().value_from_datadict(
                self.data, self.files, self.add_initial_prefix(name)
            )
            try:
                values[name] = field.to_python(raw)
            except ValidationError:
                values[name] = raw
        values["status"] = values["status"] or AttendanceStatus.PRESENT
        return values

    def mark(self) -> dict:
        """The values for services.record_mark."""
        data = self.cleaned_data
        return {
            "status": data["status"],
            "late_minutes": data["late_minutes"],
            "reason": data["reason"],
            "note": data["note"],
        }


class MarkRequestForm(forms.Form):
    """What a live mark names besides the row: the student, and the office's reason for a late change."""

    student = forms.IntegerField(min_value=1, error_messages={"required": _("Say which student to mark.")})
    change_reason = forms.CharField(required=False, max_length=300)


class RegisterSaveForm(forms.Form):
    """The plain register form: save, or save and submit; the office's reason for a late change."""

    action = forms.ChoiceField(
        choices=[("save", _("Save")), ("submit", _("Save and submit"))], required=False
    )
    change_reason = forms.CharField(label=_("Reason for the change"), required=False, max_length=300)


class RegisterListForm(forms.Form):
    date = forms.DateField(
        label=_("Day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date as YYYY-MM-DD.")},
    )
    state = forms.ChoiceField(
        label=_("State"), choices=[("", _("Any")), *RegisterState.choices], required=False
    )
    grade_level = forms.ModelChoiceField(
        label=_("Grade level"),
        queryset=GradeLevel.objects.order_by("order"),
        required=False,
        empty_label=_("All"),
    )


GRADE_FIELD_PREFIX = "grade_"
GRADE_BASE_FIELD = "grade_modes_base"


class AttendancePolicyForm(StaleEditCheckMixin, forms.ModelForm):
    """The school's attendance rules, set by the office, with one choice per grade level below the school's
    mode: the same registers as the school (no row), or its own (GradeRegisterMode). The grades' choices have
    their own stale-edit check (the page carries them as drawn, signed, as for the policy's fields)."""

    class Meta:
        model = AttendancePolicy
        fields = ["mode", "teacher_edit_days", "chronic_absence_percent", "notify_absences", "late_after"]
        widgets = {
            "mode": forms.RadioSelect,
            "late_after": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.fields["teacher_edit_days"].validators.append(MaxValueValidator(30))
        self.fields["chronic_absence_percent"].validators.extend(
            [MinValueValidator(1), MaxValueValidator(50)]
        )
        self.grades = list(GradeLevel.objects.order_by("order", "name"))
        self.stored_grade_modes = stored_grade_modes()
        for grade in self.grades:
            self.fields[grade_field(grade.pk)] = forms.ChoiceField(
                label=grade.name,
                choices=GRADE_MODE_CHOICES,
                required=False,
                initial=self.stored_grade_modes.get(grade.pk, ""),
                error_messages={
                    "invalid_choice": format_lazy(
                        _("Choose how {grade} takes its registers: as the school, daily, or per lesson."),
                        grade=grade.name,
                    )
                },
            )
        self.fields[GRADE_BASE_FIELD] = forms.CharField(required=False, widget=forms.HiddenInput)
        if not self.is_bound:
            self.initial[GRADE_BASE_FIELD] = signing.dumps(
                {str(pk): mode for pk, mode in self.stored_grade_modes.items()}, compress=True
            )
        self.order_fields(["mode", *(grade_field(grade.pk) for grade in self.grades)])
        if self.grades:
            rest = [name for name in self.fields if name not in self.grade_fields and name != "mode"]
            self.helper.layout = Layout(
                "mode",
                Fieldset(
                    _("Grade levels"),
                    HTML(
                        format_lazy(
                            '<p class="form-text">{}</p>',
                            _("A grade level may take its registers differently from the school."),
                        )
                    ),
                    *self.grade_fields,
                ),
                *rest,
            )

    @property
    def grade_fields(self) -> list[str]:
        return [grade_field(grade.pk) for grade in self.grades]

    def _grade_base(self) -> dict[int, str] | None:
        try:
            base = signing.loads(self.data.get(self.add_prefix(GRADE_BASE_FIELD)) or "")
        except signing.BadSignature:
            return None
        return {int(pk): mode for pk, mode in base.items()}

    def clean(self):
        cleaned = super().clean()
        cleaned.pop(GRADE_BASE_FIELD, None)
        base = self._grade_base()
        if base is None:  # a post without the base (a script) is not checked
            return cleaned
        stored = stored_grade_modes()
        labels = dict(GRADE_MODE_CHOICES)
        for grade in self.grades:
            name = grade_field(grade.pk)
            if name not in cleaned or name in self.errors:
                continue
            verdict = edit_verdict(
                base=base.get(grade.pk, ""), new=cleaned[name], stored=stored.get(grade.pk, "")
            )
            if verdict == Verdict.UNTOUCHED:
                cleaned[name] = stored.get(grade.pk, "")
            elif verdict == Verdict.CONFLICT:
                self.add_error(
                    name,
                    _(
                        "Someone else changed this to “%(value)s” since you opened the page. Your value is "
                        "kept here, not saved: save again to use it."
                    )
                    % {"value": labels[stored.get(grade.pk, "")]},
                )
                data = self.data.copy()
                data[self.add_prefix(GRADE_BASE_FIELD)] = signing.dumps(
                    {str(pk): mode for pk, mode in stored.items()}, compress=True
                )
                self.data = data
        return cleaned

    def grade_modes(self) -> dict[int, str]:
        """Each grade level's choice, by id ("" = the same as the school)."""
        return {grade.pk: self.cleaned_data.get(grade_field(grade.pk)) or "" for grade in self.grades}


GRADE_MODE_CHOICES = [
    ("", _("Same as the school")),
    (RegisterMode.DAILY, _("One register a day")),
    (RegisterMode.LESSON, _("One register per lesson")),
]


def grade_field(grade_id: int) -> str:
    return f"{GRADE_FIELD_PREFIX}{grade_id}"


def stored_grade_modes() -> dict[int, str]:
    return dict(GradeRegisterMode.objects.values_list("grade_level_id", "mode"))


class DeviceForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    place = forms.CharField(label=_("Place"), max_length=120, required=False)
    sections = forms.ModelMultipleChoiceField(
        label=_("Sections it feeds"),
        queryset=Section.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: every section."),
    )
    room = forms.ModelChoiceField(
        label=_("Classroom"),
        queryset=Room.objects.order_by("name"),
        required=False,
        empty_label=_("None: a gate reader (daily registers)"),
        help_text=_(
            "A reader at a classroom's door marks the register of the lesson in that room at the time."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        year = AcademicYear.objects.current()
        sections = Section.objects.select_related("grade_level").order_by("grade_level__order", "name")
        self.fields["sections"].queryset = sections.filter(year=year) if year else sections.none()
