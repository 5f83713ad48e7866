"""Reads of the live timetable: everyone's week as a grid, a teacher's lessons of a day (covers included).

The week of a date shows, for each of its days, the lessons of the timetable in effect that day (so a
timetable published from a Wednesday shows from that Wednesday), the school calendar's holidays and
closures with no lessons, and who covers a lesson on that date. Each week costs a fixed number of queries
whatever the size of the school, each read from what narrows it (`of_timetables` says why): the timetables
in effect that week, the lessons, their co-teachers (when a class has some) and the covers; the teaching
periods and days and the week's closures are the school's frame, kept in the cache (`school_frame`).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet
from django.db.models.expressions import ExpressionWrapper

from modules.academics.models import (
    AcademicYear,
    CalendarEvent,
    CourseOffering,
    Enrollment,
    EnrollmentStatus,
    Period,
    Room,
    Section,
    Weekday,
)
from modules.people.models import Staff, Student
from modules.timetable.models import (
    Cover,
    Lesson,
    Requirement,
    Timetable,
    TimetableSettings,
    TimetableStatus,
    default_weekdays,
)


@dataclass
class Slot:
    """One period of one day: the lessons there (a section split into groups has several)."""

    lessons: list[Lesson] = field(default_factory=list)
    # The second period of a double lesson that started in the period before.
    continued: list[Lesson] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.lessons and not self.continued


@dataclass
class WeekDay:
    weekday: int
    date: datetime.date | None
    closure: CalendarEvent | None
    slots: list[Slot]

    @property
    def label(self) -> str:
        return str(Weekday(self.weekday).label)

    @property
    def lessons(self) -> list[Lesson]:
        """The day's lessons in bell order (a double once): the phone's day-by-day list."""
        return [lesson for slot in self.slots for lesson in slot.lessons]


@dataclass
class WeekRow:
    period: Period
    # (day, slot) for each day across.
    cells: list[tuple[WeekDay, Slot]]


@dataclass
class WeekGrid:
    periods: list[Period]
    days: list[WeekDay]
    monday: datetime.date | None = None
    timetables: list[Timetable] = field(default_factory=list)

    @property
    def rows(self) -> list[WeekRow]:
        """Periods down, days across: the laptop's and the printed grid."""
        return [
            WeekRow(period=period, cells=[(day, day.slots[index]) for day in self.days])
            for index, period in enumerate(self.periods)
        ]

    @property
    def lesson_count(self) -> int:
        return sum(len(day.lessons) for day in self.days if day.closure is None)

    @property
    def has_timetable(self) -> bool:
        return bool(self.timetables)


def shown(lesson: Lesson, **values: object) -> None:
    """Set what a page shows of a lesson beyond its row (its date that week, cover, teachers, end time)."""
    lesson.__dict__.update(values)


def lesson_cover(lesson: Lesson) -> Cover | None:
    """The cover `teacher_lessons_on` (or a week) found for a lesson on its day: typed access to `.cover`."""
    return lesson.__dict__.get("cover")


def teaching_periods(year: AcademicYear | None) -> list[Period]:
    """The periods lessons take in a year: its timetable settings' periods, or else the bell schedule. One
    query: the bell schedule, each period marked with whether the settings chose it."""
    periods = Period.objects.order_by("order")
    if year is None:
        return list(periods)
    chosen_ids = TimetableSettings.periods.through.objects.filter(timetablesettings__year=year)
    marked = list(periods.annotate(chosen=Exists(chosen_ids.filter(period_id=OuterRef("pk")))))
    every: list[Period] = list(marked)
    return [period for period in marked if period.chosen] or every


# The school's frame of a week -----------------------------------------------------------------------------
# What a week page or a calendar feed reads that is the same for everyone: a year's teaching periods and
# days, the holidays and closures, the terms. Kept in the cache for FRAME_SECONDS under a version that any
# save or deletion of those rows replaces (`school_frame_changed`, connected in TimetableConfig.ready(); again
# once the change is committed, so that a page read meanwhile cannot keep the old rows under the new
# version). A change made without signals (a bulk update) shows within FRAME_SECONDS, as without Redis a
# change made in another process does (each has its own local-memory cache).
FRAME_SECONDS = 60
FRAME_VERSION_KEY = "timetable:frame:version"


def school_frame[T](name: str, build: Callable[[], T]) -> T:
    """`build()`, kept under `name` in the school's frame (see above)."""
    version = cache.get(FRAME_VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        cache.set(FRAME_VERSION_KEY, version, None)
    key = f"timetable:frame:{version}:{name}"
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, FRAME_SECONDS)
    return value


def school_frame_changed(**_kwargs: object) -> None:
    """Receiver: a period, a year's timetable settings, a calendar day or a term changed."""
    cache.delete(FRAME_VERSION_KEY)
    transaction.on_commit(lambda: cache.delete(FRAME_VERSION_KEY))


def week_frame(
    year: AcademicYear | None, monday: datetime.date
) -> tuple[list[Period], list[int], dict[datetime.date, CalendarEvent]]:
    """A year's teaching periods and days, and the closures of the week from `monday`, from the frame."""
    sunday = monday + datetime.timedelta(days=6)
    return school_frame(
        f"week:{year.pk if year else 0}:{monday:%Y%m%d}",
        lambda: (teaching_periods(year), teaching_weekdays(year), _closures(monday, sunday)),
    )


def teaching_weekdays(year: AcademicYear | None) -> list[int]:
    settings = TimetableSettings.objects.filter(year=year).first() if year is not None else None
    return sorted(settings.weekdays) if settings is not None and settings.weekdays else default_weekdays()


def week_grid(
    *,
    lessons: Iterable[Lesson],
    periods: list[Period],
    weekdays: Iterable[int],
    monday: datetime.date | None = None,
    closures: dict[datetime.date, CalendarEvent] | None = None,
) -> WeekGrid:
    """Lay lessons out as periods × weekdays. A double lesson sits in its first period and is `continued`
    in the next one. Given a Monday, each day has its date and its closure (a closed day keeps no lessons)."""
    closures = closures or {}
    days_wanted = sorted(set(weekdays))
    lessons = list(lessons)
    days_wanted = sorted(
        set(days_wanted) | {lesson.weekday for lesson in lessons if lesson.weekday is not None}
    )
    index_of = {period.pk: index for index, period in enumerate(periods)}
    days: list[WeekDay] = []
    by_day: dict[int, WeekDay] = {}
    for weekday in days_wanted:
        date = monday + datetime.timedelta(days=weekday) if monday is not None else None
        day = WeekDay(
            weekday=weekday,
            date=date,
            closure=closures.get(date) if date is not None else None,
            slots=[Slot() for _ in periods],
        )
        days.append(day)
        by_day[weekday] = day
    for lesson in sorted(lessons, key=_lesson_order):
        if lesson.weekday is None or lesson.period_id not in index_of:
            continue
        day = by_day[lesson.weekday]
        if day.closure is not None:
            continue
        index = index_of[lesson.period_id]
        day.slots[index].lessons.append(lesson)
        ends = periods[index].end_time
        if lesson.length == 2 and index + 1 < len(periods):
            day.slots[index + 1].continued.append(lesson)
            ends = periods[index + 1].end_time
        shown(lesson, ends=ends)
    return WeekGrid(periods=periods, days=days, monday=monday)


def _lesson_order(lesson: Lesson) -> tuple:
    return (lesson.offering.subject.name, lesson.offering.section.name, lesson.pk or 0)


def monday_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def timetable_in_effect(year: AcademicYear, day: datetime.date) -> Timetable | None:
    """The published timetable of a year in effect on a day, if any."""
    return Timetable.objects.in_effect_on(day).filter(year=year).first()


def _timetables_in_week(monday: datetime.date) -> list[Timetable]:
    sunday = monday + datetime.timedelta(days=6)
    return list(
        Timetable.objects.filter(
            Q(effective_from__isnull=True) | Q(effective_from__lte=sunday),
            Q(effective_until__isnull=True) | Q(effective_until__gte=monday),
            status=TimetableStatus.PUBLISHED,
            year__start_date__lte=sunday,
            year__end_date__gte=monday,
        ).select_related("year")
    )


def timetable_holds(timetable: Timetable, day: datetime.date) -> bool:
    year = timetable.year
    start = max(filter(None, [timetable.effective_from, year.start_date]))
    end = min(filter(None, [timetable.effective_until, year.end_date]))
    return start <= day <= end


def _closures(first: datetime.date, last: datetime.date) -> dict[datetime.date, CalendarEvent]:
    found: dict[datetime.date, CalendarEvent] = {}
    for event in CalendarEvent.objects.closures().filter(start_date__lte=last, end_date__gte=first):
        day = max(event.start_date, first)
        while day <= min(event.end_date, last):
            found.setdefault(day, event)
            day += datetime.timedelta(days=1)
    return found


def lessons_with_names(queryset: QuerySet[Lesson]) -> QuerySet[Lesson]:
    """Lessons with what the week shows of them: subject, section, teacher, co-teachers, room, period."""
    return queryset.select_related(
        "offering__subject",
        "offering__section",
        "teacher",
        "room",
        "period",
        "offering__timetable_requirement",
    ).prefetch_related(
        Prefetch(
            "offering__timetable_requirement__co_teachers",
            queryset=Staff.objects.order_by("last_name", "first_name"),
        )
    )


def lessons_with_teachers(queryset: QuerySet[Lesson]) -> list[Lesson]:
    """The lessons with what a week or a feed shows of them (as `lessons_with_names`), each with its
    `teachers` (`lesson_teachers`): their classes' co-teachers are read in one query on the requirements'
    co-teachers, which costs a third of Django's prefetch through three relations on a week's lessons."""
    lessons = list(
        queryset.select_related(
            "offering__subject",
            "offering__section",
            "teacher",
            "room",
            "period",
            "offering__timetable_requirement",
        )
    )
    requirements = {
        lesson.offering.timetable_requirement.pk
        for lesson in lessons
        if getattr(lesson.offering, "timetable_requirement", None) is not None
    }
    co_teachers: dict[int, list[Staff]] = {}
    if requirements:
        rows = (
            Requirement.co_teachers.through.objects.filter(requirement_id__in=requirements)
            .select_related("staff")
            .order_by("staff__last_name", "staff__first_name")
        )
        for row in rows:
            co_teachers.setdefault(row.requirement_id, []).append(row.staff)
    for lesson in lessons:
        teachers = [lesson.teacher] if lesson.teacher is not None else []
        requirement = getattr(lesson.offering, "timetable_requirement", None)
        if requirement is not None:
            teachers += [staff for staff in co_teachers.get(requirement.pk, []) if staff not in teachers]
        shown(lesson, teachers=teachers)
    return lessons


def of_timetables(queryset: QuerySet[Lesson], timetable_ids: Iterable[int]) -> QuerySet[Lesson]:
    """The lessons among `queryset` of these timetables. Written `timetable_id + 0` so that the database
    finds them from what the queryset narrows (a section's classes, a teacher) instead of from the
    timetable's index: SQLite, without statistics, otherwise reads every lesson of the school's timetable
    and keeps a section's few (1 ms on the large school, growing with it; 0.03 ms this way)."""
    return queryset.alias(
        in_timetable=ExpressionWrapper(F("timetable_id") + 0, output_field=IntegerField())
    ).filter(in_timetable__in=list(timetable_ids))


def section_lessons(section: Section | int) -> Q:
    return Q(offering_id__in=CourseOffering.objects.filter(section=section).values("pk"))


def teacher_lessons(staff: Staff) -> Q:
    """The lessons a teacher teaches, as teacher or co-teacher of the class (a subquery: no duplicates to
    remove, and each side read from its own index)."""
    co_taught = Requirement.co_teachers.through.objects.filter(staff=staff).values("requirement__offering_id")
    return Q(teacher=staff) | Q(offering_id__in=co_taught)


def lesson_teachers(lesson: Lesson) -> list[Staff]:
    """The lesson's teacher and its class's co-teachers (read by `lessons_with_teachers`, or prefetched by
    `lessons_with_names`)."""
    known = lesson.__dict__.get("teachers")
    if known is not None:
        return known
    teachers = [lesson.teacher] if lesson.teacher is not None else []
    requirement = getattr(lesson.offering, "timetable_requirement", None)
    if requirement is not None:
        teachers += [staff for staff in requirement.co_teachers.all() if staff not in teachers]
    return teachers


def _week(
    *, day: datetime.date, year: AcademicYear | None, select: Q, cover_teacher: Staff | None = None
) -> WeekGrid:
    """The week holding `day`: the lessons `select` picks from each day's timetable, with its covers."""
    monday = monday_of(day)
    sunday = monday + datetime.timedelta(days=6)
    timetables = _timetables_in_week(monday)
    if year is None and timetables:
        year = timetables[0].year
    periods, weekdays, closures = week_frame(year, monday)
    weekday_timetables: dict[int, set[int]] = {}
    for weekday in range(7):
        date = monday + datetime.timedelta(days=weekday)
        weekday_timetables[weekday] = {t.pk for t in timetables if timetable_holds(t, date)}
    lessons: list[Lesson] = []
    cover_rows: list[Cover] = []
    if timetables:
        # No ORDER BY: week_grid orders each slot's lessons itself.
        candidates = lessons_with_teachers(
            of_timetables(Lesson.objects.filter(select), [t.pk for t in timetables]).order_by()
        )
        lessons = [
            lesson
            for lesson in candidates
            if lesson.weekday is not None and lesson.timetable_id in weekday_timetables[lesson.weekday]
        ]
        cover_filter = Q(lesson__in=[lesson.pk for lesson in lessons])
        if cover_teacher is not None:
            cover_filter |= Q(teacher=cover_teacher)
        cover_rows = list(
            Cover.objects.filter(cover_filter, date__range=(monday, sunday)).select_related(
                "teacher", "lesson", "absence__staff"
            )
        )
    covers = {(cover.lesson_id, cover.date): cover for cover in cover_rows}
    own = {lesson.pk for lesson in lessons}
    if cover_teacher is not None:
        extra_ids = [cover.lesson_id for cover in cover_rows if cover.lesson_id not in own]
        if extra_ids:
            lessons += lessons_with_teachers(Lesson.objects.filter(pk__in=extra_ids))
    visible: list[Lesson] = []
    for lesson in lessons:
        date = monday + datetime.timedelta(days=lesson.weekday or 0)
        cover = covers.get((lesson.pk, date))
        teachers = lesson_teachers(lesson)
        covering = cover_teacher is not None and lesson.pk not in own
        shown(
            lesson,
            date=date,
            cover=cover,
            teachers=teachers,
            teacher_names=", ".join(teacher.full_name for teacher in teachers),
            covering=covering,
            co_teacher_away=co_teacher_away(cover, lesson, owner=cover_teacher),
        )
        if covering and cover is None:
            continue
        visible.append(lesson)
    grid = week_grid(lessons=visible, periods=periods, weekdays=weekdays, monday=monday, closures=closures)
    grid.timetables = timetables
    return grid


def co_teacher_away(cover: Cover | None, lesson: Lesson, *, owner: Staff | None = None) -> Staff | None:
    """The co-teacher a lesson's cover stands in for, when the week shows the lesson as still taught by its
    teacher: a cover that does not take the register (`Cover.takes_register`, read from the cover's own
    absence and the lesson at hand), on any week but the absent co-teacher's own (`owner`), where the lesson
    is simply covered. None otherwise. The cover's absence must have been read with its staff."""
    if cover is None or cover.absence.staff_id == lesson.teacher_id:
        return None
    if owner is not None and cover.absence.staff_id == owner.pk:
        return None
    return cover.absence.staff


def week_for_section(section: Section, day: datetime.date) -> WeekGrid:
    return _week(day=day, year=section.year, select=section_lessons(section))


def week_for_teacher(staff: Staff, day: datetime.date) -> WeekGrid:
    """A teacher's week: the lessons they teach (co-teaching included) and those they cover that week."""
    return _week(day=day, year=None, select=teacher_lessons(staff), cover_teacher=staff)


def week_for_room(room: Room, day: datetime.date) -> WeekGrid:
    return _week(day=day, year=None, select=Q(room=room))


def student_section(student: Student, day: datetime.date) -> Section | None:
    """The section a student is enrolled in (actively) in the year holding `day`."""
    enrollment = (
        Enrollment.objects.filter(
            student=student,
            status=EnrollmentStatus.ACTIVE,
            year__start_date__lte=day,
            year__end_date__gte=day,
        )
        .select_related("section__year", "section__grade_level")
        .first()
    )
    return enrollment.section if enrollment is not None else None


def week_for_student(student: Student, day: datetime.date) -> WeekGrid:
    """The week of the student's section in the year holding `day` (empty when not enrolled then)."""
    section = student_section(student, day)
    if section is None:
        return week_grid(lessons=[], periods=[], weekdays=[], monday=monday_of(day))
    return week_for_section(section, day)


def _staff_of(staff_or_user) -> Staff | None:
    if isinstance(staff_or_user, Staff):
        return staff_or_user
    return Staff.objects.filter(user=staff_or_user).first()


def teacher_lessons_on(staff_or_user, day: datetime.date, *, closed: bool | None = None) -> list[Lesson]:
    """A teacher's lessons on a day in bell order: those they teach (as teacher or co-teacher) that nobody
    else covers that day, and those they cover; each has `.cover` (the Cover, or None for their own lesson
    taught as usual). A cover for an absent co-teacher (`Cover.takes_register` false) replaces only that
    co-teacher: the lesson's teacher keeps it, and the covering teacher has it without `.cover`, as a
    co-teacher, since its register stays with its teacher. None on a holiday or closure (`closed`, when the
    caller has looked it up already). Three queries."""
    staff = _staff_of(staff_or_user)
    if staff is None:
        return []
    if closed if closed is not None else CalendarEvent.objects.closures().on(day).exists():
        return []
    own = (
        lessons_with_names(Lesson.objects.in_effect_on(day))
        .filter(Q(teacher=staff) | Q(offering__timetable_requirement__co_teachers=staff))
        .distinct()
    )
    covers = {
        cover.lesson_id: cover
        for cover in Cover.objects.filter(Q(teacher=staff) | Q(lesson__in=own), date=day).select_related(
            "teacher",
            "absence",
            "lesson__offering__subject",
            "lesson__offering__section",
            "lesson__teacher",
            "lesson__room",
            "lesson__period",
        )
    }
    lessons: list[Lesson] = []
    for lesson in own:
        cover = covers.get(lesson.pk)
        if cover is not None and cover.teacher_id != staff.pk:
            if cover.takes_register or cover.absence.staff_id == staff.pk:
                continue
            cover = None  # a co-teacher is covered: this teacher teaches it as usual
        shown(lesson, cover=cover)
        lessons.append(lesson)
    seen = {lesson.pk for lesson in lessons}
    for cover in covers.values():
        if cover.teacher_id == staff.pk and cover.lesson_id not in seen:
            lesson = cover.lesson
            shown(lesson, cover=cover if cover.takes_register else None)
            lessons.append(lesson)
    lessons.sort(
        key=lambda lesson: (lesson.period.order if lesson.period else 0, lesson.offering.section.name)
    )
    return lessons


BOOKLET_KINDS = ("sections", "teachers", "rooms")


def school_weeks(kind: str, day: datetime.date) -> list[tuple[Section | Staff | Room, WeekGrid]]:
    """Every section's (or teacher's, or room's) week holding `day`, for the printed booklet: one read of
    the week's lessons for the whole school, shared out (a teacher's includes co-teaching, not cover)."""
    monday = monday_of(day)
    sunday = monday + datetime.timedelta(days=6)
    timetables = _timetables_in_week(monday)
    if not timetables:
        return []
    year = timetables[0].year
    periods = teaching_periods(year)
    weekdays = teaching_weekdays(year)
    closures = _closures(monday, sunday)
    in_effect = {
        weekday: {t.pk for t in timetables if timetable_holds(t, monday + datetime.timedelta(days=weekday))}
        for weekday in range(7)
    }
    lessons = [
        lesson
        for lesson in lessons_with_names(
            Lesson.objects.placed().filter(timetable_id__in=[t.pk for t in timetables])
        )
        if lesson.timetable_id in in_effect.get(lesson.weekday or 0, set())
    ]
    covers = {
        (cover.lesson_id, cover.date): cover
        for cover in Cover.objects.filter(
            date__range=(monday, sunday), lesson__timetable_id__in=[t.pk for t in timetables]
        ).select_related("teacher", "absence__staff")
    }
    groups: dict[int, list[Lesson]] = {}
    for lesson in lessons:
        date = monday + datetime.timedelta(days=lesson.weekday or 0)
        teachers = lesson_teachers(lesson)
        cover = covers.get((lesson.pk, date))
        shown(
            lesson,
            date=date,
            cover=cover,
            teachers=teachers,
            teacher_names=", ".join(teacher.full_name for teacher in teachers),
            covering=False,
            # The lesson is shared by its teachers' pages: a co-teacher's cover is told as such on each.
            co_teacher_away=co_teacher_away(cover, lesson),
        )
        if kind == "sections":
            keys = [lesson.offering.section_id]
        elif kind == "teachers":
            keys = [teacher.pk for teacher in teachers]
        else:
            keys = [lesson.room_id] if lesson.room_id else []
        for key in keys:
            groups.setdefault(key, []).append(lesson)
    owners: list[Section | Staff | Room]
    if kind == "sections":
        owners = list(Section.objects.filter(year=year).select_related("grade_level"))
    elif kind == "teachers":
        owners = list(Staff.objects.filter(pk__in=groups.keys()).order_by("last_name", "first_name"))
    else:
        owners = list(Room.objects.filter(pk__in=groups.keys()).order_by("name"))
    weeks = []
    for owner in owners:
        grid = week_grid(
            lessons=groups.get(owner.pk, []),
            periods=periods,
            weekdays=weekdays,
            monday=monday,
            closures=closures,
        )
        grid.timetables = timetables
        weeks.append((owner, grid))
    return weeks
