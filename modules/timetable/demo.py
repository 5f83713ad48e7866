"""The demo school's timetable: one published timetable for the year, in effect from its first day (see
modules/core/demo.py for how the seeds run, modules/demo/seed.py for their order)."""

from __future__ import annotations

from collections import defaultdict

from django.utils import timezone

from modules.core.demo import DemoContext
from modules.timetable.models import Lesson, Timetable, TimetableStatus

WEEKDAYS = range(5)  # Monday to Friday


def timetable_name(year) -> str:
    return f"Timetable {year.start_date.year}–{year.end_date.year}"


def seed_timetable(ctx: DemoContext) -> None:
    """A Monday-to-Friday timetable for every offering, with no section or teacher in two places at once.

    Greedy, in rounds (every offering's first lesson, then every second, ...): each lesson takes the free
    slot on a day the offering does not meet yet, on the teacher's least busy day, so every teacher with
    five lessons or more teaches every weekday.
    """
    slots = [(day, period) for day in WEEKDAYS for period in ctx.periods]
    section_busy: dict[int, set] = defaultdict(set)
    teacher_busy: dict[int, set] = defaultdict(set)
    teacher_day: dict[tuple[int, int], int] = defaultdict(int)
    offering_days: dict[int, set[int]] = defaultdict(set)
    order = list(ctx.offerings)
    ctx.rng.shuffle(order)
    # Busiest teachers first within a round: they have the fewest free slots.
    load: dict[int, int] = defaultdict(int)
    for o in order:
        load[o.teacher.pk] += ctx.lessons_per_week[o.subject.code]
    order.sort(key=lambda o: -load[o.teacher.pk])
    timetable = Timetable.objects.create(
        year=ctx.year,
        name=timetable_name(ctx.year),
        status=TimetableStatus.PUBLISHED,
        effective_from=ctx.year.start_date,
        published_at=timezone.now(),
    )
    lessons, dropped = [], 0
    for lesson_round in range(max(ctx.lessons_per_week.values())):
        for offering in order:
            if ctx.lessons_per_week[offering.subject.code] <= lesson_round:
                continue
            section, teacher = offering.section.pk, offering.teacher.pk
            free = [
                (day, period)
                for day, period in slots
                if (day, period.pk) not in section_busy[section]
                and (day, period.pk) not in teacher_busy[teacher]
            ]
            if not free:
                dropped += 1
                continue
            day, period = min(
                free,
                key=lambda slot: (
                    slot[0] in offering_days[offering.pk],
                    teacher_day[(teacher, slot[0])],
                    ctx.rng.random(),
                ),
            )
            section_busy[section].add((day, period.pk))
            teacher_busy[teacher].add((day, period.pk))
            teacher_day[(teacher, day)] += 1
            offering_days[offering.pk].add(day)
            lessons.append(
                Lesson(
                    timetable=timetable,
                    offering=offering,
                    teacher=offering.teacher,
                    weekday=day,
                    period=period,
                    room=offering.section.room,
                )
            )
    Lesson.objects.bulk_create(lessons)
    ctx.counts.update(timetable_lessons=len(lessons), timetable_lessons_not_placed=dropped)
