"""Generating the large school's whole timetable (100 sections, ~2,900 periods a week) within 60 s.

What is timed is what a generation does before it stores lessons: reading the year's requirements
(`problem.problem_build`), solving with CP-SAT on two workers (`solver.solve`, which gives rooms too), and the
independent check of every hard rule (`checker.check`). The run fails unless every lesson is placed and
the check finds nothing. The solver's time limit is SOLVE_LIMIT (it stops sooner once the soft score stops
improving), leaving the rest of the minute to reading and checking. The note reports the soft score, when the
first complete timetable was found, and the solver's own figures.

The requirements are the demo's (modules/timetable/demo.py) when the bench school was seeded with them.
A bench school seeded before the demo stated requirements has none; this setup then states them once, the
way the demo does, and keeps them: every class's subject periods a week (academics.demo.ALL_SUBJECTS),
one double period for science and art, science in laboratories (the Science Lab and as many more "Lab n"
as keep the labs 60 % full), mathematics and English early; twelve teachers with two unavailable periods
and eight with a preferred free day (drawn with a fixed seed), the first lab booked on Friday's last
period, and the demo teacher at most their load / 5 periods a day.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict

from bench.registry import measure

BUDGET_MS = 60_000
SOLVE_LIMIT = 50.0
SEED = 17
# The demo's choices (modules/timetable/demo.py), stated here so the measure does not move with the demo.
WEEKDAYS = [0, 1, 2, 3, 4]
DOUBLES = {"SCI": 1, "ART": 1}
HEAVY = {"MATH", "ENG"}
LAB_SUBJECTS = {"SCI"}
LAB_KIND = "Laboratory"
LAB_CAPACITY = 36
LAB_USE = 0.6
UNAVAILABLE_TEACHERS = 12
FREE_DAY_TEACHERS = 8


def ensure_requirements():
    """The current year, with requirements stated (once) as the demo states them."""
    from modules.academics.demo import ALL_SUBJECTS
    from modules.academics.models import AcademicYear, CourseOffering, Period, Room, RoomType
    from modules.accounts import demo as accounts_demo
    from modules.people.models import Staff
    from modules.timetable.models import Requirement, TeacherLimit, TimetableSettings, Unavailability

    year = AcademicYear.objects.current()
    if year is None:
        raise RuntimeError("The bench school has no current year.")
    if Requirement.objects.filter(offering__section__year=year).exists():
        return year
    weekdays = list(WEEKDAYS)
    TimetableSettings.objects.get_or_create(year=year, defaults={"weekdays": weekdays})
    periods = list(Period.objects.order_by("order"))
    per_week = {code: lessons for _name, code, lessons in ALL_SUBJECTS}
    offerings = list(CourseOffering.objects.filter(section__year=year).select_related("subject"))

    kind, _created = RoomType.objects.get_or_create(name=LAB_KIND)
    science = sum(per_week[o.subject.code] for o in offerings if o.subject.code in LAB_SUBJECTS)
    needed = max(1, math.ceil(science / (len(weekdays) * len(periods) * LAB_USE)))
    extra = [f"Lab {n}" for n in range(2, needed + 1)]
    existing = set(Room.objects.values_list("name", flat=True))
    Room.objects.bulk_create(
        [Room(name=name, capacity=LAB_CAPACITY) for name in extra if name not in existing]
    )
    Room.objects.filter(name__in=["Science Lab", *extra]).update(room_type=kind, capacity=LAB_CAPACITY)
    Requirement.objects.bulk_create(
        [
            Requirement(
                offering=o,
                periods_per_week=per_week[o.subject.code],
                double_lessons=DOUBLES.get(o.subject.code, 0),
                room_type=kind if o.subject.code in LAB_SUBJECTS else None,
                prefer_early=o.subject.code in HEAVY,
            )
            for o in offerings
        ]
    )

    rng = random.Random(SEED)
    load: dict[int, int] = defaultdict(int)
    for o in offerings:
        if o.teacher_id:
            load[o.teacher_id] += per_week[o.subject.code]
    demo_teacher = Staff.objects.filter(user__email=accounts_demo.TEACHER_EMAIL).first()
    others = sorted(t for t in load if demo_teacher is None or t != demo_teacher.pk)
    chosen = rng.sample(others, UNAVAILABLE_TEACHERS + FREE_DAY_TEACHERS)
    rows = [
        Unavailability(year=year, staff_id=teacher, weekday=day, period=period)
        for teacher in chosen[:UNAVAILABLE_TEACHERS]
        for day, period in rng.sample([(d, p) for d in weekdays for p in periods], 2)
    ]
    first_lab = Room.objects.filter(room_type=kind).order_by("name").first()
    if first_lab is not None:
        rows.append(Unavailability(year=year, room=first_lab, weekday=4, period=periods[-1]))
    Unavailability.objects.bulk_create(rows)
    limits = [
        TeacherLimit(year=year, staff_id=t, preferred_free_day=rng.choice(weekdays))
        for t in chosen[UNAVAILABLE_TEACHERS:]
    ]
    if demo_teacher is not None and load.get(demo_teacher.pk):
        limits.append(
            TeacherLimit(
                year=year,
                staff=demo_teacher,
                max_periods_per_day=max(1, math.ceil(load[demo_teacher.pk] / len(weekdays))),
            )
        )
    TeacherLimit.objects.bulk_create(limits)
    return year


@measure(
    "timetable: generate the large school's timetable",
    budget_ms=BUDGET_MS,
    runs=1,
    warmup=0,
    note="reading the requirements, solving and checking; soft score and solver figures once run",
)
def generate(bench):
    from bench.runner import BenchError
    from modules.timetable.checker import check
    from modules.timetable.problem import problem_build
    from modules.timetable.solver import solve

    year = ensure_requirements()

    def run():
        problem = problem_build(year=year)
        solution = solve(problem, time_limit=SOLVE_LIMIT, workers=2)
        if solution.outcome != "complete":
            raise BenchError(
                f"the timetable is {solution.outcome}: {solution.conflicts[:3]} {solution.stats}"
            )
        broken = check(problem, solution.placements)
        if broken:
            raise BenchError(f"the timetable breaks hard rules: {broken[:3]}")
        stats = solution.stats
        wishes: dict[str, int] = defaultdict(int)
        for wish in solution.broken:
            wishes[wish["wish"]] += wish["weight"]
        parts = ", ".join(f"{wish} {weight}" for wish, weight in sorted(wishes.items()))
        run.note = (  # type: ignore[attr-defined]  # read by the runner after the run
            f"{len(problem.classes)} classes, {len(solution.placements)} lessons placed, every hard rule "
            f"checked; soft score {solution.score} ({parts}); "
            f"first complete timetable after {stats.get('first_solution_time')} s, stopped after "
            f"{stats.get('wall_time')} s ({stats.get('status')}, objective {stats.get('objective')}, bound "
            f"{stats.get('best_bound')}, {stats.get('variables')} variables, {stats.get('conflicts')} "
            f"conflicts, {stats.get('branches')} branches)"
        )
        return solution

    run.note = ""  # type: ignore[attr-defined]
    return run
