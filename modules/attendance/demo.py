"""The demo school's attendance: a history of daily registers, submitted by the homeroom teachers, with the
patterns the analytics explain (chronic absence, a weekday missed, a run of absences, rising lateness); and
today's registers, partly taken (see modules/core/demo.py for how the seeds run, modules/demo/seed.py for
their order).
"""

from __future__ import annotations

import bisect
import datetime
import random
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from modules.academics.demo import WEEKDAYS, closed_days, school_days, seed_previous_year
from modules.academics.models import Enrollment, EnrollmentStatus, Section
from modules.attendance.models import (
    AttendancePolicy,
    AttendanceRecord,
    AttendanceStatus,
    Register,
    RegisterMode,
    RegisterState,
)
from modules.attendance.patterns import patterns_refresh
from modules.attendance.services import tallies_rebuild
from modules.core.demo import DemoContext

# The large school must carry at least this many records; when this year so far has fewer, the previous
# academic year is seeded as well.
LARGE_HISTORY_RECORDS = 500_000
RECORD_BATCH = 5_000
EXCUSE_REASONS = [
    "Illness",
    "Illness",
    "Doctor's appointment",
    "Dental appointment",
    "Family emergency",
    "Religious observance",
    "Representing the school at a sports competition",
    "Funeral of a relative",
]
LATE_NOTES = ["Bus was late", "Traffic", "Overslept", "Came from a medical appointment", ""]


@dataclass
class AttendanceHabit:
    """How a student attends: chances of each status on a school day, and the pattern they show, if any."""

    absent: float
    excused: float
    late: float
    pattern: str = ""  # "", "chronic", "weekday", "streak", "rising_lateness"
    weekday: int | None = None  # the weekday missed repeatedly ("weekday" pattern)


@dataclass
class RegisterPlan:
    """One year's worth of daily registers to write: its sections' students and the days."""

    days: list[datetime.date]
    roster: dict[int, list[tuple[int, datetime.date]]]  # section pk -> [(student pk, enrolled on)]
    submitters: dict[int, int | None]  # section pk -> the homeroom teacher's user pk

    def record_count(self) -> int:
        return sum(
            1
            for day in self.days
            for students in self.roster.values()
            for _s, since in students
            if since <= day
        )


def _attendance_habits(ctx: DemoContext) -> dict[int, AttendanceHabit]:
    """Most students attend ~95% of days (a few never miss one); about 5% are chronically absent, and a
    few show a pattern the analytics explain. The demo teacher's homeroom holds one of each pattern."""
    rng = ctx.rng
    habits: dict[int, AttendanceHabit] = {}
    for student in ctx.students:
        roll = rng.random()
        if roll < 0.08:
            habit = AttendanceHabit(absent=0.0, excused=0.0, late=0.0)
        elif roll < 0.13:
            habit = AttendanceHabit(rng.uniform(0.10, 0.16), rng.uniform(0.02, 0.04), 0.04, pattern="chronic")
        elif roll < 0.15:
            habit = AttendanceHabit(0.01, 0.01, 0.02, pattern="weekday", weekday=rng.choice([0, 0, 4, 4, 2]))
        elif roll < 0.18:
            habit = AttendanceHabit(0.01, 0.01, 0.02, pattern="streak")
        elif roll < 0.20:
            habit = AttendanceHabit(0.01, 0.01, 0.02, pattern="rising_lateness")
        else:
            habit = AttendanceHabit(
                rng.uniform(0.003, 0.025), rng.uniform(0.003, 0.02), rng.uniform(0.0, 0.035)
            )
        habits[student.pk] = habit

    demo_children = {s.pk for family in ctx.families[:2] for s in family.children}
    homeroom = next(s for s in ctx.sections if s.homeroom_teacher_id == ctx.teachers[0].pk)
    enrolled = Enrollment.objects.filter(section=homeroom).values_list("student_id", flat=True)
    in_homeroom = [pk for pk in enrolled if pk not in demo_children]
    shown = [
        AttendanceHabit(0.16, 0.03, 0.04, pattern="chronic"),
        AttendanceHabit(0.01, 0.01, 0.02, pattern="weekday", weekday=0),
        AttendanceHabit(0.01, 0.01, 0.02, pattern="streak"),
        AttendanceHabit(0.01, 0.01, 0.02, pattern="rising_lateness"),
    ]
    for pk, habit in zip(sorted(in_homeroom), shown, strict=False):
        habits[pk] = habit
    # One of the demo parent's children missed a run of days: the calendar shows it, a note can excuse it.
    if len(ctx.families[0].children) > 1:
        habits[ctx.families[0].children[1].pk] = AttendanceHabit(0.01, 0.01, 0.02, pattern="streak")
    return habits


def _runs(rng: random.Random, days: list[datetime.date], count: int, lengths: tuple[int, int]) -> set:
    """`count` runs of consecutive school days (lengths between the bounds) somewhere in `days`."""
    chosen: set[datetime.date] = set()
    for _n in range(count):
        length = rng.randint(*lengths)
        if len(days) <= length:
            break
        first = rng.randrange(len(days) - length)
        chosen.update(days[first : first + length])
    return chosen


def _year_plan(sections: list[Section], days: list[datetime.date]) -> RegisterPlan:
    roster: dict[int, list[tuple[int, datetime.date]]] = {section.pk: [] for section in sections}
    enrollments = Enrollment.objects.filter(section__in=sections, status=EnrollmentStatus.ACTIVE)
    for section_id, student_id, since in enrollments.values_list("section_id", "student_id", "enrolled_on"):
        roster[section_id].append((student_id, since))
    for students in roster.values():
        students.sort()
    return RegisterPlan(
        days=days,
        roster=roster,
        submitters={s.pk: (s.homeroom_teacher.user_id if s.homeroom_teacher else None) for s in sections},
    )


def _absence_runs(
    ctx: DemoContext, plan: RegisterPlan, habits: dict[int, AttendanceHabit]
) -> tuple[dict[int, set], dict[int, set]]:
    """Runs of absences (truancy, illness): the "streak" students' unexcused ones, and an occasional illness
    for anyone else."""
    rng, days = ctx.rng, plan.days
    truancy: dict[int, set] = {}
    illness: dict[int, set] = {}
    for students in plan.roster.values():
        for student_id, since in students:
            attending = days[bisect.bisect_left(days, since) :]
            if habits[student_id].pattern == "streak":
                truancy[student_id] = _runs(rng, attending, 1 + len(days) // 120, (3, 5))
            if rng.random() < 0.15:
                illness[student_id] = _runs(rng, attending, 1, (2, 3))
    return truancy, illness


def _seed_registers(ctx: DemoContext, plan: RegisterPlan, habits: dict[int, AttendanceHabit]) -> int:
    """Submitted daily registers for every day of the plan, with one record per enrolled student, written in
    batches. Returns how many records were written."""
    rng, days = ctx.rng, plan.days
    if not days:
        return 0
    truancy, illness = _absence_runs(ctx, plan, habits)
    zone = timezone.get_current_timezone()
    registers, when = [], []
    for day in days:
        for section_id, user_id in plan.submitters.items():
            submitted = datetime.datetime.combine(day, datetime.time(8, 32), zone) + datetime.timedelta(
                minutes=rng.randint(0, 20), seconds=rng.randint(0, 59)
            )
            registers.append(
                Register(
                    kind=RegisterMode.DAILY,
                    date=day,
                    section_id=section_id,
                    state=RegisterState.SUBMITTED,
                    started_at=submitted - datetime.timedelta(minutes=rng.randint(1, 4)),
                    submitted_at=submitted,
                    submitted_by_id=user_id,
                    notified_at=submitted + datetime.timedelta(minutes=1),
                )
            )
            when.append(submitted)
    registers = Register.objects.bulk_create(registers, batch_size=RECORD_BATCH)

    span = max(len(days) - 1, 1)
    position = {day: n / span for n, day in enumerate(days)}
    ABSENT, EXCUSED, LATE, PRESENT = (
        AttendanceStatus.ABSENT,
        AttendanceStatus.EXCUSED,
        AttendanceStatus.LATE,
        AttendanceStatus.PRESENT,
    )
    batch: list[AttendanceRecord] = []
    written = 0
    for register, submitted in zip(registers, when, strict=True):
        day, user_id = register.date, register.submitted_by_id
        progress, weekday = position[day], day.weekday()
        for student_id, since in plan.roster[register.section_id]:
            if since > day:
                continue
            habit = habits[student_id]
            status, minutes, reason, note = PRESENT, None, "", ""
            roll = rng.random()
            late = habit.late + (0.6 * progress * progress if habit.pattern == "rising_lateness" else 0.0)
            if day in truancy.get(student_id, ()):
                status = ABSENT
            elif day in illness.get(student_id, ()):
                status, reason = EXCUSED, "Illness"
            elif roll < habit.absent or (weekday == habit.weekday and roll < 0.6):
                status = ABSENT
            elif roll < habit.absent + habit.excused:
                status, reason = EXCUSED, rng.choice(EXCUSE_REASONS)
            elif roll < habit.absent + habit.excused + late:
                status = LATE
                if habit.pattern == "rising_lateness":
                    minutes = 5 + int(25 * progress) + rng.randint(0, 10)
                else:
                    minutes = rng.choice([2, 3, 5, 5, 5, 8, 10, 10, 12, 15, 20, 25, 40])
                note = rng.choice(LATE_NOTES)
            batch.append(
                AttendanceRecord(
                    register_id=register.pk,
                    student_id=student_id,
                    status=status,
                    late_minutes=minutes,
                    reason=reason,
                    note=note,
                    date=day,
                    marked_by_id=user_id,
                    marked_at=submitted,
                    absence_notified_at=register.notified_at if status == ABSENT else None,
                )
            )
            if len(batch) >= RECORD_BATCH:
                AttendanceRecord.objects.bulk_create(batch)
                written += len(batch)
                batch = []
    AttendanceRecord.objects.bulk_create(batch)
    return written + len(batch)


def _seed_today(ctx: DemoContext, closed: set[datetime.date], habits: dict[int, AttendanceHabit]) -> None:
    """Today's registers, none submitted yet: the demo teacher's not taken (the demo shows marking); of the
    others, about two in three in progress (part of the class marked), the rest not taken (the office's
    "not yet taken" page has something to show)."""
    today, rng = ctx.today, ctx.rng
    if not (ctx.year.start_date <= today <= ctx.year.end_date) or today.weekday() not in WEEKDAYS:
        return
    if today in closed:
        return
    plan = _year_plan(ctx.sections, [today])
    zone = timezone.get_current_timezone()
    morning = min(timezone.now(), datetime.datetime.combine(today, datetime.time(8, 40), zone))
    demo_section = next(s.pk for s in ctx.sections if s.homeroom_teacher_id == ctx.teachers[0].pk)
    registers, shares = [], []
    for section_id in plan.submitters:
        roll = 1.0 if section_id == demo_section else rng.random()
        share = rng.uniform(0.3, 0.9) if roll < 0.65 else 0.0
        registers.append(
            Register(
                kind=RegisterMode.DAILY,
                date=today,
                section_id=section_id,
                state=RegisterState.IN_PROGRESS if share else RegisterState.NOT_TAKEN,
                started_at=morning - datetime.timedelta(minutes=rng.randint(1, 10)) if share else None,
            )
        )
        shares.append(share)
    registers = Register.objects.bulk_create(registers)
    records = []
    for register, share in zip(registers, shares, strict=True):
        students = plan.roster[register.section_id]
        for student_id, _since in students[: round(len(students) * share)]:
            habit = habits[student_id]
            roll = rng.random()
            status = AttendanceStatus.PRESENT
            if roll < habit.absent:
                status = AttendanceStatus.ABSENT
            elif roll < habit.absent + habit.late:
                status = AttendanceStatus.LATE
            records.append(
                AttendanceRecord(
                    register_id=register.pk,
                    student_id=student_id,
                    status=status,
                    late_minutes=rng.randint(3, 15) if status == AttendanceStatus.LATE else None,
                    date=today,
                    marked_by_id=plan.submitters[register.section_id],
                    marked_at=morning,
                )
            )
    AttendanceRecord.objects.bulk_create(records, batch_size=RECORD_BATCH)
    ctx.counts["registers_today"] = len(registers)


def _analyze(*models) -> None:
    """PostgreSQL plans from table statistics, and has none for rows that bulk_create has just written
    (autovacuum gets to them later, or never where it is off): the recount that follows ran for minutes on
    the large school instead of seconds. ANALYZE gives it statistics now."""
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def seed_attendance(ctx: DemoContext) -> None:
    """Daily registers, submitted by the homeroom teachers, for every past school day: the small school from
    the start of the current term, the large school from the start of the year (and last year as well when
    that is too short a history for 500,000 records); then today's registers, partly taken."""
    policy = AttendancePolicy.load()
    if policy.mode != RegisterMode.DAILY:
        policy.mode = RegisterMode.DAILY
        policy.save(update_fields=["mode"])
    habits = _attendance_habits(ctx)
    yesterday = ctx.today - datetime.timedelta(days=1)
    closed = closed_days()
    terms = sorted(ctx.terms, key=lambda term: term.start_date)
    if ctx.size.name == "small":
        terms = [term for term in terms if term.start_date <= yesterday][-1:]
    plans = [_year_plan(ctx.sections, school_days(ctx.year.start_date, yesterday, terms, closed))]
    if ctx.size.name == "large" and plans[0].record_count() < LARGE_HISTORY_RECORDS:
        sections, terms = seed_previous_year(ctx)
        closed = closed_days()
        days = school_days(terms[0].start_date, terms[-1].end_date, terms, closed)
        plans.insert(0, _year_plan(sections, days))
    for plan in plans:
        _seed_registers(ctx, plan, habits)
    _seed_today(ctx, closed, habits)
    # The records went in by bulk_create, past the services that keep the tallies: count them once, and work
    # out the patterns as the nightly task would, so the demo's reports read what a real school's do.
    _analyze(Register, AttendanceRecord)
    tallies_rebuild()
    patterns_refresh(today=ctx.today)
    ctx.counts.update(registers=Register.objects.count(), attendance_records=AttendanceRecord.objects.count())
