"""The demo school's timetable, generated as a school would: the office's requirements (every class's
periods a week, double periods for the sciences and art, science in laboratories, a few teachers'
unavailable periods and preferred free days, heavy subjects early), then the solver
(`generating.timetable_generate_now`), then published from the year's first day. Small and large schools
alike (see modules/core/demo.py for how the seeds run, modules/demo/seed.py for their order).
"""

from __future__ import annotations

import math
from collections import defaultdict

from modules.academics.models import Room, RoomType
from modules.core.demo import DemoContext
from modules.timetable.generating import timetable_generate_now
from modules.timetable.models import (
    Outcome,
    Pin,
    Requirement,
    TeacherLimit,
    TimetableSettings,
    Unavailability,
)
from modules.timetable.publishing import timetable_publish

WEEKDAYS = [0, 1, 2, 3, 4]  # Monday to Friday
# Of each subject's periods a week, how many come as double periods.
DOUBLES = {"SCI": 1, "ART": 1}
HEAVY = {"MATH", "ENG"}  # early in the day where the timetable allows
LAB_SUBJECTS = {"SCI"}
LAB_KIND = "Laboratory"
LAB_CAPACITY = 36
# The share of a laboratory's week the science lessons may fill: a lab free now and then leaves the solver
# room to move doubles around.
LAB_USE = 0.6
# Teachers (never the demo teacher) with two unavailable periods, and with a preferred free day.
UNAVAILABLE_TEACHERS = {"small": 3, "large": 12}
FREE_DAY_TEACHERS = {"small": 2, "large": 8}
# Seconds for the solver: the small school's first complete timetable comes in about 4 s, then the soft
# score improves (it stops earlier once the score stops improving: modules/timetable/solver.py).
TIME_LIMIT = {"small": 10.0, "large": 60.0}


def timetable_name(year) -> str:
    return f"Timetable {year.start_date.year}–{year.end_date.year}"


def _laboratories(ctx: DemoContext) -> RoomType:
    """The kind "Laboratory", with enough labs for the school's science: the shared science lab and more."""
    kind, _created = RoomType.objects.get_or_create(name=LAB_KIND)
    science = sum(
        ctx.lessons_per_week[o.subject.code] for o in ctx.offerings if o.subject.code in LAB_SUBJECTS
    )
    needed = max(1, math.ceil(science / (len(WEEKDAYS) * len(ctx.periods) * LAB_USE)))
    labs = [room for room in ctx.rooms if room.name == "Science Lab"]
    existing = set(Room.objects.values_list("name", flat=True))
    extra = [f"Lab {n}" for n in range(2, needed + 1)]
    Room.objects.bulk_create(
        [Room(name=name, capacity=LAB_CAPACITY) for name in extra if name not in existing]
    )
    labs += list(Room.objects.filter(name__in=extra))
    Room.objects.filter(pk__in=[room.pk for room in labs]).update(room_type=kind, capacity=LAB_CAPACITY)
    ctx.counts["laboratories"] = len(labs)
    return kind


def _requirements(ctx: DemoContext, lab: RoomType) -> None:
    """Every class's week: its subject's periods, double periods, a lab for science, heavy subjects early."""
    Requirement.objects.bulk_create(
        [
            Requirement(
                offering=offering,
                periods_per_week=ctx.lessons_per_week[offering.subject.code],
                double_lessons=DOUBLES.get(offering.subject.code, 0),
                room_type=lab if offering.subject.code in LAB_SUBJECTS else None,
                prefer_early=offering.subject.code in HEAVY,
            )
            for offering in ctx.offerings
        ]
    )


def _teacher_wishes(ctx: DemoContext) -> None:
    """A few teachers' unavailable periods and preferred free days, drawn from the shared randomness (the
    same draws whatever the solver does later), and the first lab's Friday afternoon. The demo teacher has
    none, a most-periods-a-day one above an even spread and a lesson fixed on each weekday: they have
    lessons to open whichever weekday the demo is tried on."""
    demo_teacher, others = ctx.teachers[0], ctx.teachers[1:]
    # At most a third of the teachers each (a school smaller than the sizes', in tests).
    unavailable_count = min(UNAVAILABLE_TEACHERS[ctx.size.name], len(others) // 3)
    free_day_count = min(FREE_DAY_TEACHERS[ctx.size.name], len(others) // 3)
    chosen = ctx.rng.sample(others, unavailable_count + free_day_count)
    unavailable, free_day = chosen[:unavailable_count], chosen[unavailable_count:]
    rows = []
    for teacher in unavailable:
        for weekday, period in ctx.rng.sample([(d, p) for d in WEEKDAYS for p in ctx.periods], 2):
            rows.append(Unavailability(year=ctx.year, staff=teacher, weekday=weekday, period=period))
    # The first lab is booked for the science club on Friday afternoons.
    lab = Room.objects.filter(room_type__name=LAB_KIND).order_by("name").first()
    if lab is not None:
        rows.append(Unavailability(year=ctx.year, room=lab, weekday=4, period=ctx.periods[-1]))
    Unavailability.objects.bulk_create(rows)
    load: dict[int, int] = defaultdict(int)
    for offering in ctx.offerings:
        load[offering.teacher_id] += ctx.lessons_per_week[offering.subject.code]
    limits = [
        TeacherLimit(year=ctx.year, staff=teacher, preferred_free_day=ctx.rng.choice(WEEKDAYS))
        for teacher in free_day
    ]
    limits.append(
        TeacherLimit(
            year=ctx.year,
            staff=demo_teacher,
            max_periods_per_day=math.ceil(load[demo_teacher.pk] / len(WEEKDAYS)) + 1,
        )
    )
    TeacherLimit.objects.bulk_create(limits)
    _demo_teacher_every_day(ctx, demo_teacher)
    ctx.counts.update(teacher_unavailable_periods=2 * len(unavailable), teacher_free_days=len(free_day))


def _demo_teacher_every_day(ctx: DemoContext, teacher) -> None:
    """One of the demo teacher's lessons fixed on each weekday (at a different period each day; a single
    where one is left, else a double): the most-periods-a-day alone leaves them a free day when their
    periods divide evenly over four. The classes of the highest grades first, from the demo's today on: the
    upper grades take a register per lesson (modules/attendance/demo.py), so today the demo teacher has
    lesson registers to open."""
    requirements = list(
        Requirement.objects.filter(offering__teacher=teacher, offering__section__year=ctx.year).order_by(
            "-offering__section__grade_level__order", "offering__section__name", "offering__subject__code"
        )
    )
    singles = {requirement.pk: requirement.single_lessons for requirement in requirements}
    doubles = {requirement.pk: requirement.double_lessons for requirement in requirements}
    pins = []
    first = WEEKDAYS.index(ctx.today.weekday()) if ctx.today.weekday() in WEEKDAYS else 0
    for weekday in [*WEEKDAYS[first:], *WEEKDAYS[:first]]:
        # A single lesson where there is one left, else a double (a teacher of art or science only).
        single = next((r for r in requirements if singles[r.pk] > 0), None)
        requirement = single or next((r for r in requirements if doubles[r.pk] > 0), None)
        if requirement is None:
            break
        double = single is None
        (doubles if double else singles)[requirement.pk] -= 1
        requirements.append(requirements.pop(requirements.index(requirement)))  # the next day, the next class
        # A double starts where a next period follows it.
        period = ctx.periods[(2 * weekday) % (len(ctx.periods) - 1 if double else len(ctx.periods))]
        pins.append(Pin(requirement=requirement, weekday=weekday, period=period, double=double))
    Pin.objects.bulk_create(pins)


def seed_timetable(ctx: DemoContext) -> None:
    """State the requirements, generate the timetable with the solver and publish it from the year's start."""
    TimetableSettings.objects.create(year=ctx.year, weekdays=WEEKDAYS)
    _requirements(ctx, _laboratories(ctx))
    _teacher_wishes(ctx)
    office = ctx.administrators[0].user
    timetable = timetable_generate_now(
        year=ctx.year, user=office, name=timetable_name(ctx.year), time_limit=TIME_LIMIT[ctx.size.name]
    )
    if timetable.outcome != Outcome.COMPLETE:
        raise RuntimeError(
            f"The demo timetable could not be generated: {timetable.outcome} {timetable.conflicts}"
        )
    timetable_publish(timetable=timetable, effective_from=ctx.year.start_date, user=office, confirm=True)
    ctx.counts.update(
        timetable_lessons=timetable.lessons.count(),
        timetable_score=timetable.score or 0,
        timetable_seconds=round(float(timetable.solver_stats.get("wall_time", 0))),
    )
