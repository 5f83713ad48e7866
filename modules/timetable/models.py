"""The timetable: what the office requires, the timetables the solver drafts, the one in effect, and cover.

Requirements are stated per class (course offering: a subject taught to a section): how many periods a
week, how many of them as double periods, which room or kind of room, which teachers (the offering's own,
co-teachers who teach every lesson with them, or candidates the solver chooses from when the offering has
no teacher yet), lessons pinned to a slot, and joint lessons (classes taught at the same time: two sections
together, or one section split into groups). Teachers and rooms have unavailable periods; teachers a most
periods per day and a preferred free day. `TimetableSettings` holds the school week the solver fills and
the weights of the soft wishes.

A `Timetable` is one version of the whole school's week for a year: a draft (generated or made by hand),
then published with the date it takes effect from, which ends the one in effect before it the day before.
Its `Lesson`s are the one definition of who is where when: registers per lesson, a teacher's "Today's
classes", the office's "not taken yet" board, exam clash checks, everyone's week and the calendar feeds all
read `Lesson.objects.in_effect_on(day)` (or a timetable's lessons), never a copy.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from modules.academics.models import Weekday


def default_weekdays() -> list[int]:
    return [0, 1, 2, 3, 4]


class TimetableSettings(models.Model):
    """The school week the solver fills for one year, and how much each soft wish weighs."""

    year = models.OneToOneField(
        "academics.AcademicYear",
        on_delete=models.CASCADE,
        related_name="timetable_settings",
        verbose_name=_("year"),
    )
    # Weekday numbers (Monday 0) lessons are taught on.
    weekdays = models.JSONField(_("teaching days"), default=default_weekdays)
    # The bell schedule's periods lessons may take (empty: all of them).
    periods = models.ManyToManyField(
        "academics.Period", blank=True, related_name="+", verbose_name=_("teaching periods")
    )
    time_limit_seconds = models.PositiveSmallIntegerField(
        _("time limit (seconds)"), default=60, validators=[MinValueValidator(5), MaxValueValidator(600)]
    )
    # Soft wishes: 0 switches a wish off; the solver minimises the weighted sum of the broken ones.
    weight_teacher_gaps = models.PositiveSmallIntegerField(
        _("no gaps in a teacher's day"), default=3, validators=[MaxValueValidator(100)]
    )
    weight_spread = models.PositiveSmallIntegerField(
        _("a subject spread across the week"), default=5, validators=[MaxValueValidator(100)]
    )
    weight_early = models.PositiveSmallIntegerField(
        _("heavy subjects early in the day"), default=2, validators=[MaxValueValidator(100)]
    )
    weight_free_day = models.PositiveSmallIntegerField(
        _("a teacher's preferred free day"), default=4, validators=[MaxValueValidator(100)]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("timetable settings")
        verbose_name_plural = _("timetable settings")

    def __str__(self) -> str:
        return str(self.year)


class JointLesson(models.Model):
    """Classes taught at the same times: two sections together, or one section split into groups.

    Every member has the same periods per week and double periods; within the group a section or a
    teacher may be in several member classes at once (that is the point), and a shared room is one room.
    """

    year = models.ForeignKey(
        "academics.AcademicYear", on_delete=models.CASCADE, related_name="+", verbose_name=_("year")
    )
    name = models.CharField(_("name"), max_length=80)

    class Meta:
        ordering = ["name"]
        verbose_name = _("joint lesson")
        verbose_name_plural = _("joint lessons")
        constraints = [models.UniqueConstraint(fields=["year", "name"], name="timetable_joint_unique_name")]

    def __str__(self) -> str:
        return self.name


class Requirement(models.Model):
    """What the timetable must give one class (course offering) each week."""

    offering = models.OneToOneField(
        "academics.CourseOffering",
        on_delete=models.CASCADE,
        related_name="timetable_requirement",
        verbose_name=_("class"),
    )
    periods_per_week = models.PositiveSmallIntegerField(
        _("periods a week"), validators=[MinValueValidator(1), MaxValueValidator(40)]
    )
    # How many of those periods come as double periods (two adjacent periods on one day): 5 periods with
    # 1 double are one double and three singles.
    double_lessons = models.PositiveSmallIntegerField(_("double periods"), default=0)
    # This room; or else any room of this kind big enough for the section; or else the section's own room
    # when it has one; or else any room big enough.
    room = models.ForeignKey(
        "academics.Room",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("room"),
    )
    room_type = models.ForeignKey(
        "academics.RoomType",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("kind of room"),
    )
    co_teachers = models.ManyToManyField(
        "people.Staff", blank=True, related_name="+", verbose_name=_("co-teachers")
    )
    # When the offering has no teacher: "any qualified teacher" from this list, chosen by the solver (one
    # teacher for all the class's lessons); publishing makes the choice the offering's teacher.
    candidate_teachers = models.ManyToManyField(
        "people.Staff", blank=True, related_name="+", verbose_name=_("qualified teachers")
    )
    prefer_early = models.BooleanField(_("heavy subject (early in the day)"), default=False)
    joint = models.ForeignKey(
        JointLesson,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requirements",
        verbose_name=_("joint lesson"),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = [
            "offering__section__grade_level__order",
            "offering__section__name",
            "offering__subject__name",
        ]
        verbose_name = _("lesson requirement")
        verbose_name_plural = _("lesson requirements")
        constraints = [
            models.CheckConstraint(
                condition=Q(double_lessons__lte=models.F("periods_per_week") / 2),
                name="timetable_requirement_doubles_fit",
            ),
            models.CheckConstraint(
                condition=Q(room__isnull=True) | Q(room_type__isnull=True),
                name="timetable_requirement_room_or_type",
            ),
        ]

    def __str__(self) -> str:
        return str(self.offering)

    @property
    def single_lessons(self) -> int:
        return self.periods_per_week - 2 * self.double_lessons

    @property
    def lesson_count(self) -> int:
        """Lessons a week (a double period is one lesson)."""
        return self.periods_per_week - self.double_lessons


class Pin(models.Model):
    """One of a class's lessons fixed by hand to a slot before generating (its first period)."""

    requirement = models.ForeignKey(
        Requirement, on_delete=models.CASCADE, related_name="pins", verbose_name=_("class")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    period = models.ForeignKey("academics.Period", on_delete=models.CASCADE, related_name="+")
    double = models.BooleanField(_("double period"), default=False)

    class Meta:
        ordering = ["weekday", "period__order"]
        verbose_name = _("fixed lesson")
        verbose_name_plural = _("fixed lessons")
        constraints = [
            models.UniqueConstraint(fields=["requirement", "weekday", "period"], name="timetable_pin_unique")
        ]

    def __str__(self) -> str:
        return f"{self.requirement} · {self.get_weekday_display()} {self.period.name}"


class TeacherLimit(models.Model):
    """A teacher's most periods a day and preferred free day, for one year."""

    year = models.ForeignKey(
        "academics.AcademicYear", on_delete=models.CASCADE, related_name="+", verbose_name=_("year")
    )
    staff = models.ForeignKey(
        "people.Staff", on_delete=models.CASCADE, related_name="timetable_limits", verbose_name=_("teacher")
    )
    max_periods_per_day = models.PositiveSmallIntegerField(
        _("most periods a day"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    preferred_free_day = models.PositiveSmallIntegerField(
        _("preferred free day"), choices=Weekday.choices, null=True, blank=True
    )

    class Meta:
        verbose_name = _("teacher's limits")
        verbose_name_plural = _("teachers' limits")
        constraints = [
            models.UniqueConstraint(fields=["year", "staff"], name="timetable_teacher_limit_unique")
        ]

    def __str__(self) -> str:
        return str(self.staff)


class Unavailability(models.Model):
    """A period a teacher or a room cannot be timetabled, for one year (exactly one of the two is set)."""

    year = models.ForeignKey(
        "academics.AcademicYear", on_delete=models.CASCADE, related_name="+", verbose_name=_("year")
    )
    staff = models.ForeignKey(
        "people.Staff",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="timetable_unavailable",
        verbose_name=_("teacher"),
    )
    room = models.ForeignKey(
        "academics.Room",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="timetable_unavailable",
        verbose_name=_("room"),
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    period = models.ForeignKey("academics.Period", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("unavailable period")
        verbose_name_plural = _("unavailable periods")
        constraints = [
            models.CheckConstraint(
                condition=Q(staff__isnull=False, room__isnull=True)
                | Q(staff__isnull=True, room__isnull=False),
                name="timetable_unavailable_one_of",
            ),
            models.UniqueConstraint(
                fields=["year", "staff", "weekday", "period"],
                condition=Q(staff__isnull=False),
                name="timetable_unavailable_staff_unique",
            ),
            models.UniqueConstraint(
                fields=["year", "room", "weekday", "period"],
                condition=Q(room__isnull=False),
                name="timetable_unavailable_room_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff or self.room} · {self.get_weekday_display()} {self.period.name}"


class TimetableStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    GENERATING = "generating", _("Generating")
    PUBLISHED = "published", pgettext_lazy("a timetable's status", "Published")


class Outcome(models.TextChoices):
    """What the last generation gave."""

    COMPLETE = "complete", _("Every lesson placed")
    PARTIAL = "partial", _("Some lessons not placed")
    INFEASIBLE = "infeasible", _("Cannot be done")
    TIMED_OUT = "timed_out", _("No timetable within the time limit")


class TimetableQuerySet(models.QuerySet["Timetable"]):
    def in_effect_on(self, day: datetime.date) -> TimetableQuerySet:
        return self.filter(
            Q(effective_from__isnull=True) | Q(effective_from__lte=day),
            Q(effective_until__isnull=True) | Q(effective_until__gte=day),
            status=TimetableStatus.PUBLISHED,
            year__start_date__lte=day,
            year__end_date__gte=day,
        )


class Timetable(models.Model):
    """One version of the school's week for a year: a draft, or published from a date."""

    year = models.ForeignKey(
        "academics.AcademicYear", on_delete=models.CASCADE, related_name="timetables", verbose_name=_("year")
    )
    name = models.CharField(_("name"), max_length=80)
    status = models.CharField(
        _("status"), max_length=12, choices=TimetableStatus.choices, default=TimetableStatus.DRAFT
    )
    # Published: in effect from this day (empty: the year's first day) to `effective_until` (set when a
    # later timetable is published; empty: the year's end).
    effective_from = models.DateField(_("in effect from"), null=True, blank=True)
    effective_until = models.DateField(_("in effect until"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The last generation (modules/timetable/generating.py): its job, what it gave, the soft wishes'
    # weighted score and which were broken, the solver's own figures, and when it cannot be done the
    # smallest set of requirements that cannot hold together ([{"code": ..., "params": {...}}], put into
    # words in the reader's language when shown: modules/timetable/explain.py).
    job = models.ForeignKey("core.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    generated_at = models.DateTimeField(_("generated"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    score = models.PositiveIntegerField(_("soft score"), null=True, blank=True)
    broken_wishes = models.JSONField(default=list, blank=True)
    conflicts = models.JSONField(default=list, blank=True)
    solver_stats = models.JSONField(default=dict, blank=True)
    # Bumped by every change to the timetable or its lessons: a form drawn from an older version is stale.
    version = models.PositiveIntegerField(default=1)

    objects = TimetableQuerySet.as_manager()

    class Meta:
        ordering = ["-year__start_date", "-created_at"]
        verbose_name = _("timetable")
        verbose_name_plural = _("timetables")
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_until__isnull=True)
                | Q(effective_from__isnull=True)
                | Q(effective_until__gte=models.F("effective_from")),
                name="timetable_effective_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class LessonQuerySet(models.QuerySet["Lesson"]):
    def placed(self) -> LessonQuerySet:
        return self.filter(weekday__isnull=False)

    def in_effect_on(self, day: datetime.date) -> LessonQuerySet:
        """The lessons of `day`s weekday in the timetable in effect that day (holidays: ask the calendar)."""
        return self.filter(timetable__in=Timetable.objects.in_effect_on(day), weekday=day.weekday())

    def taught_by(self, staff) -> LessonQuerySet:
        """The lessons a teacher teaches: as the lesson's teacher or a co-teacher of its class."""
        return self.filter(
            Q(teacher=staff) | Q(offering__timetable_requirement__co_teachers=staff)
        ).distinct()


class Lesson(models.Model):
    """One lesson a week of a class in a timetable: a single period or a double (two adjacent periods).

    Unplaced (no weekday or period) when the solver's best partial timetable could not place it; `reason`
    says why.
    """

    timetable = models.ForeignKey(Timetable, on_delete=models.CASCADE, related_name="lessons")
    offering = models.ForeignKey(
        "academics.CourseOffering", on_delete=models.CASCADE, related_name="lessons", verbose_name=_("class")
    )
    # Who teaches it: the offering's teacher, or the candidate the solver chose.
    teacher = models.ForeignKey(
        "people.Staff",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="lessons",
        verbose_name=_("teacher"),
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices, null=True, blank=True)
    # The first period; a double lesson also takes the next teaching period.
    period = models.ForeignKey(
        "academics.Period",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lessons",
        verbose_name=_("period"),
    )
    length = models.PositiveSmallIntegerField(
        _("periods"), default=1, validators=[MinValueValidator(1), MaxValueValidator(2)]
    )
    room = models.ForeignKey(
        "academics.Room",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="lessons",
        verbose_name=_("room"),
    )
    # Kept where it is when the rest is generated again.
    locked = models.BooleanField(_("locked"), default=False)
    # Unplaced lessons: why ({"code": ..., "params": {...}}, put into words by explain.py).
    reason = models.JSONField(default=dict, blank=True)

    objects = LessonQuerySet.as_manager()

    class Meta:
        ordering = ["weekday", "period__order", "offering__section__name"]
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        constraints = [
            models.CheckConstraint(
                condition=Q(weekday__isnull=True, period__isnull=True)
                | Q(weekday__isnull=False, period__isnull=False),
                name="timetable_lesson_placed_whole",
            ),
            models.CheckConstraint(condition=Q(length__in=[1, 2]), name="timetable_lesson_length"),
        ]
        indexes = [models.Index(fields=["timetable", "weekday"], name="timetable_lesson_day")]

    def __str__(self) -> str:
        where = f"{self.get_weekday_display()} {self.period.name}" if self.period else "—"
        return f"{self.offering} · {where}"


class TeacherAbsence(models.Model):
    """A teacher away for a day, or some periods of it: their lessons then need cover."""

    staff = models.ForeignKey(
        "people.Staff", on_delete=models.CASCADE, related_name="absences", verbose_name=_("teacher")
    )
    date = models.DateField(_("date"), db_index=True)
    # Empty: the whole day.
    periods = models.ManyToManyField(
        "academics.Period", blank=True, related_name="+", verbose_name=_("periods")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-date", "staff__last_name"]
        verbose_name = _("teacher absence")
        verbose_name_plural = _("teacher absences")
        constraints = [models.UniqueConstraint(fields=["staff", "date"], name="timetable_absence_once_a_day")]

    def __str__(self) -> str:
        return f"{self.staff} · {self.date:%Y-%m-%d}"


class CoverQuerySet(models.QuerySet["Cover"]):
    def taking_register(self) -> CoverQuerySet:
        """The covers that give the lesson's register to the covering teacher: those for the lesson's own
        teacher. A cover for an absent co-teacher (modules/timetable/covering.py) leaves the register with the
        lesson's teacher, who still teaches it."""
        return self.filter(absence__staff_id=F("lesson__teacher_id"))


class Cover(models.Model):
    """Who covers one lesson on one date for an absent teacher (its teacher, or a co-teacher of its class)."""

    lesson = models.ForeignKey(
        Lesson, on_delete=models.CASCADE, related_name="covers", verbose_name=_("lesson")
    )
    date = models.DateField(_("date"), db_index=True)
    absence = models.ForeignKey(TeacherAbsence, on_delete=models.CASCADE, related_name="covers")
    teacher = models.ForeignKey(
        "people.Staff", on_delete=models.CASCADE, related_name="covers", verbose_name=_("covering teacher")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = CoverQuerySet.as_manager()

    class Meta:
        ordering = ["date", "lesson__period__order"]
        verbose_name = _("cover")
        verbose_name_plural = _("cover")
        constraints = [models.UniqueConstraint(fields=["lesson", "date"], name="timetable_cover_once")]

    def __str__(self) -> str:
        return f"{self.lesson} · {self.date:%Y-%m-%d} · {self.teacher}"

    @property
    def takes_register(self) -> bool:
        """Whether the covering teacher takes the lesson's register (see `CoverQuerySet.taking_register`)."""
        return self.absence.staff_id == self.lesson.teacher_id


class CalendarFeed(models.Model):
    """A person's calendar subscription address (iCalendar). Only the token's SHA-256 is stored: the address
    is shown once when made; making a new one revokes the old."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return str(self.user)
