"""The office's forms for the timetable requirements (the services in requirements.py check and write)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from modules.academics.models import Period, Room, RoomType, Weekday
from modules.people.models import Staff
from modules.timetable.models import JointLesson, Requirement, TimetableSettings


class CountsForm(forms.Form):
    """The quick edit of one class: periods a week and doubles."""

    periods_per_week = forms.IntegerField(label=_("Periods a week"), min_value=1, max_value=40)
    double_lessons = forms.IntegerField(label=_("Double periods"), min_value=0, max_value=20, initial=0)

    def clean(self):
        data = super().clean()
        periods, doubles = data.get("periods_per_week"), data.get("double_lessons")
        if periods is not None and doubles is not None and 2 * doubles > periods:
            raise forms.ValidationError(
                _("%(doubles)s double periods take %(needed)s periods, more than the %(periods)s a week.")
                % {"doubles": doubles, "needed": 2 * doubles, "periods": periods}
            )
        return data


def _teacher_choices():
    return Staff.objects.teachers().order_by("last_name", "first_name")


class RequirementForm(CountsForm):
    room = forms.ModelChoiceField(
        label=_("Room"), queryset=Room.objects.all(), required=False, help_text=_("Always this room.")
    )
    room_type = forms.ModelChoiceField(
        label=_("Kind of room"),
        queryset=RoomType.objects.all(),
        required=False,
        help_text=_("Any room of this kind big enough for the section (leave the room empty)."),
    )
    co_teachers = forms.ModelMultipleChoiceField(
        label=_("Co-teachers"),
        queryset=Staff.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("They teach every lesson with the class's teacher."),
    )
    candidate_teachers = forms.ModelMultipleChoiceField(
        label=_("Qualified teachers"),
        queryset=Staff.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("When the class has no teacher yet: the timetable chooses one of them."),
    )
    prefer_early = forms.BooleanField(label=_("Heavy subject (early in the day)"), required=False)
    joint = forms.ModelChoiceField(
        label=_("Joint lesson"), queryset=JointLesson.objects.none(), required=False
    )

    def __init__(self, *args, year, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["co_teachers"].queryset = _teacher_choices()
        self.fields["candidate_teachers"].queryset = _teacher_choices()
        self.fields["joint"].queryset = JointLesson.objects.filter(year=year)

    def clean(self):
        data = super().clean()
        if data.get("room") and data.get("room_type"):
            self.add_error("room_type", _("Choose a room or a kind of room, not both."))
        return data

    @staticmethod
    def initial_for(requirement: Requirement | None) -> dict:
        if requirement is None:
            return {"periods_per_week": 1, "double_lessons": 0}
        return {
            "periods_per_week": requirement.periods_per_week,
            "double_lessons": requirement.double_lessons,
            "room": requirement.room_id,
            "room_type": requirement.room_type_id,
            "co_teachers": list(requirement.co_teachers.all()),
            "candidate_teachers": list(requirement.candidate_teachers.all()),
            "prefer_early": requirement.prefer_early,
            "joint": requirement.joint_id,
        }


class SlotGridForm(forms.Form):
    """An unavailable grid: one checkbox per teaching day × period, named `off_<weekday>_<period id>`."""

    def __init__(self, *args, week, **kwargs):
        super().__init__(*args, **kwargs)
        self.week = week

    def slots(self) -> set[tuple[int, int]]:
        chosen = set()
        for day in self.week.weekdays:
            for period in self.week.periods:
                if self.data.get(f"off_{day}_{period.pk}"):
                    chosen.add((day, period.pk))
        return chosen


class TeacherLimitsForm(SlotGridForm):
    max_periods_per_day = forms.IntegerField(
        label=_("Most periods a day"),
        min_value=1,
        max_value=20,
        required=False,
        help_text=_("Empty: no limit."),
    )
    preferred_free_day = forms.TypedChoiceField(
        label=_("Preferred free day"),
        choices=[("", _("None"))] + list(Weekday.choices),
        coerce=int,
        empty_value=None,
        required=False,
    )


class RoomForm(SlotGridForm):
    room_type = forms.ModelChoiceField(
        label=_("Kind of room"), queryset=RoomType.objects.all(), required=False
    )
    capacity = forms.IntegerField(
        label=_("Capacity"),
        min_value=1,
        max_value=2000,
        required=False,
        help_text=_("Empty: any class fits."),
    )


class RoomTypeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=40)


class JointForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    members = forms.ModelMultipleChoiceField(
        label=_("Classes taught together"),
        queryset=Requirement.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Two sections together, or one section's groups at the same time."),
    )

    def __init__(self, *args, year, **kwargs):
        super().__init__(*args, **kwargs)
        members = self.fields["members"]
        members.queryset = Requirement.objects.filter(offering__section__year=year).select_related(
            "offering__section", "offering__subject"
        )
        members.label_from_instance = lambda r: (
            f"{r.offering.subject.name} · {r.offering.section.name} ({r.periods_per_week}/{r.double_lessons})"
        )


class PinForm(forms.Form):
    requirement = forms.ModelChoiceField(label=_("Class"), queryset=Requirement.objects.none())
    weekday = forms.TypedChoiceField(label=_("Day"), choices=Weekday.choices, coerce=int)
    period = forms.ModelChoiceField(
        label=_("Period (the first, for a double)"), queryset=Period.objects.none()
    )
    double = forms.BooleanField(label=_("Double period"), required=False)

    def __init__(self, *args, year, week, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requirement"].queryset = Requirement.objects.filter(
            offering__section__year=year
        ).select_related("offering__section", "offering__subject")
        self.fields["requirement"].label_from_instance = lambda r: (
            f"{r.offering.subject.name} · {r.offering.section.name}"
        )
        self.fields["weekday"].choices = [(day, Weekday(day).label) for day in week.weekdays]
        self.fields["period"].queryset = Period.objects.filter(pk__in=[p.pk for p in week.periods])


class SettingsForm(forms.Form):
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Teaching days"), choices=Weekday.choices, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    periods = forms.ModelMultipleChoiceField(
        label=_("Teaching periods"),
        queryset=Period.objects.order_by("order"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: every period of the bell schedule."),
    )
    time_limit_seconds = forms.IntegerField(label=_("Time limit (seconds)"), min_value=5, max_value=600)
    weight_teacher_gaps = forms.IntegerField(
        label=_("No gaps in a teacher's day"), min_value=0, max_value=100
    )
    weight_spread = forms.IntegerField(
        label=_("A subject spread across the week"), min_value=0, max_value=100
    )
    weight_early = forms.IntegerField(label=_("Heavy subjects early in the day"), min_value=0, max_value=100)
    weight_free_day = forms.IntegerField(
        label=_("A teacher's preferred free day"), min_value=0, max_value=100
    )

    @staticmethod
    def initial_for(settings: TimetableSettings) -> dict:
        return {
            "weekdays": list(settings.weekdays),
            "periods": list(settings.periods.all()) if settings.pk else [],
            "time_limit_seconds": settings.time_limit_seconds,
            "weight_teacher_gaps": settings.weight_teacher_gaps,
            "weight_spread": settings.weight_spread,
            "weight_early": settings.weight_early,
            "weight_free_day": settings.weight_free_day,
        }


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet of requirements"),
        widget=forms.FileInput(attrs={"accept": ".xlsx,.csv"}),
        help_text=_("An Excel workbook (.xlsx) or a CSV file in UTF-8, at most 1 MB and 2,000 rows."),
    )
