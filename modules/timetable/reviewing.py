"""Reads for the timetables pages (part G): the week of one section, teacher or room in a timetable (live or
draft) as a grid, and what the page lists beside it."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from modules.academics.models import AcademicYear, Period, Room, Section, Weekday
from modules.people.models import Staff
from modules.timetable.models import Lesson, Timetable, TimetableSettings, TimetableStatus, default_weekdays

KINDS = ("section", "teacher", "room")


@dataclass
class Cell:
    weekday: int
    period: Period
    lessons: list[Lesson] = field(default_factory=list)
    continued: list[Lesson] = field(default_factory=list)  # doubles that started the period before


@dataclass
class Row:
    period: Period
    cells: list[Cell]


@dataclass
class Grid:
    weekdays: list[tuple[int, str]]
    rows: list[Row]


def school_week(year: AcademicYear, lessons: list[Lesson]) -> tuple[list[int], list[Period]]:
    """The teaching days and periods of the year (and any other period a lesson takes)."""
    settings = TimetableSettings.objects.filter(year=year).prefetch_related("periods").first()
    weekdays = sorted(settings.weekdays) if settings and settings.weekdays else default_weekdays()
    periods = list(settings.periods.all()) if settings else []
    if not periods:
        periods = list(Period.objects.order_by("order"))
    known = {p.pk for p in periods}
    extra = [
        lesson.period for lesson in lessons if lesson.period is not None and lesson.period_id not in known
    ]
    by_pk: dict[int, Period] = {p.pk: p for p in periods}
    for period in extra:
        if period is not None:
            by_pk[period.pk] = period
    periods = sorted(by_pk.values(), key=lambda p: p.order)
    days = sorted(set(weekdays) | {lesson.weekday for lesson in lessons if lesson.weekday is not None})
    return days, periods


def timetable_lessons(timetable: Timetable) -> list[Lesson]:
    return list(
        timetable.lessons.select_related(
            "offering__subject", "offering__section", "teacher", "room", "period"
        )
    )


def lessons_of(timetable: Timetable, kind: str, pk: int) -> list[Lesson]:
    lessons = timetable.lessons.select_related(
        "offering__subject", "offering__section", "teacher", "room", "period"
    )
    if kind == "section":
        lessons = lessons.filter(offering__section_id=pk)
    elif kind == "teacher":
        lessons = lessons.filter(pk__in=Lesson.objects.filter(timetable=timetable).taught_by(pk).values("pk"))
    else:
        lessons = lessons.filter(room_id=pk)
    return list(lessons)


def week_grid(*, lessons: list[Lesson], weekdays: list[int], periods: list[Period]) -> Grid:
    index = {p.pk: i for i, p in enumerate(periods)}
    rows = [Row(period=p, cells=[Cell(weekday=d, period=p) for d in weekdays]) for p in periods]
    column = {d: i for i, d in enumerate(weekdays)}
    for lesson in lessons:
        if lesson.weekday is None or lesson.period_id not in index or lesson.weekday not in column:
            continue
        start = index[lesson.period_id]
        rows[start].cells[column[lesson.weekday]].lessons.append(lesson)
        for step in range(1, lesson.length):
            if start + step < len(rows):
                rows[start + step].cells[column[lesson.weekday]].continued.append(lesson)
    return Grid(weekdays=[(d, str(Weekday(d).label)) for d in weekdays], rows=rows)


def choices(timetable: Timetable) -> dict[str, list]:
    """The sections, teachers and rooms the timetable has lessons for, to pick one to look at."""
    lessons = Lesson.objects.filter(timetable=timetable)
    return {
        "section": list(
            Section.objects.filter(pk__in=lessons.values("offering__section_id")).order_by("name")
        ),
        "teacher": list(
            Staff.objects.filter(
                Q(pk__in=lessons.values("teacher_id"))
                | Q(pk__in=lessons.values("offering__timetable_requirement__co_teachers"))
            ).order_by("last_name", "first_name")
        ),
        "room": list(Room.objects.filter(pk__in=lessons.values("room_id")).order_by("name")),
    }


def live_timetable(year: AcademicYear, day) -> Timetable | None:
    """The published timetable in effect on `day` or, before it starts, the first one to come."""
    published = Timetable.objects.filter(year=year, status=TimetableStatus.PUBLISHED)
    current = published.in_effect_on(day).order_by("-effective_from").first()
    return current or published.order_by("effective_from").first()
