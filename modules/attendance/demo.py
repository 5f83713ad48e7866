"""The demo school's attendance: a history of registers, submitted by their teachers, with the patterns the
analytics explain (chronic absence, a weekday missed, a run of absences, rising lateness); and today's
registers, partly taken (see modules/core/demo.py for how the seeds run, modules/demo/seed.py for their
order).

The lower half of the grade levels (by order) take a register a day, as the school does; the upper half
take one per lesson (GradeRegisterMode), so that a teacher of the upper grades has lesson registers to open.
Those grades switched to lesson registers at the start of the current term (the large school's at most
LESSON_HISTORY_WEEKS ago, to keep its seed short): their daily registers from before stay, and no longer
count for them (a possible session is a register of the kind of its section's grade: selectors.
AttendanceSummary).
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
    GradeRegisterMode,
    Register,
    RegisterMode,
    RegisterState,
)
from modules.attendance.patterns import patterns_refresh
from modules.attendance.services import tallies_rebuild
from modules.core.demo import DemoContext
from modules.timetable.models import Lesson

# The large school must carry at least this many records; when this year so far has fewer, the previous
# academic year is seeded as well.
LARGE_HISTORY_RECORDS = 500_000
RECORD_BATCH = 5_000
# The large school's per-lesson grades' lesson registers go back to the current term's start, but no further
# than this.
LESSON_HISTORY_WEEKS = 3
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


def _day_status(
    rng: random.Random,
    habit: AttendanceHabit,
    day: datetime.date,
    progress: float,
    truancy: set | tuple,
    illness: set | tuple,
) -> tuple[str, int | None, str, str]:
    """A student's mark for a day (status, minutes late, excuse reason, note) by their habit; `progress`:
    how far through the history the day is (0 to 1), for rising lateness."""
    status, minutes, reason, note = AttendanceStatus.PRESENT, None, "", ""
    roll = rng.random()
    late = habit.late + (0.6 * progress * progress if habit.pattern == "rising_lateness" else 0.0)
    if day in truancy:
        status = AttendanceStatus.ABSENT
    elif day in illness:
        status, reason = AttendanceStatus.EXCUSED, "Illness"
    elif roll < habit.absent or (day.weekday() == habit.weekday and roll < 0.6):
        status = AttendanceStatus.ABSENT
    elif roll < habit.absent + habit.excused:
        status, reason = AttendanceStatus.EXCUSED, rng.choice(EXCUSE_REASONS)
    elif roll < habit.absent + habit.excused + late:
        status = AttendanceStatus.LATE
        if habit.pattern == "rising_lateness":
            minutes = 5 + int(25 * progress) + rng.randint(0, 10)
        else:
            minutes = rng.choice([2, 3, 5, 5, 5, 8, 10, 10, 12, 15, 20, 25, 40])
        note = rng.choice(LATE_NOTES)
    return status, minutes, reason, note


def _seed_registers(
    ctx: DemoContext,
    plan: RegisterPlan,
    habits: dict[int, AttendanceHabit],
    runs: tuple[dict[int, set], dict[int, set]] | None = None,
) -> int:
    """Submitted daily registers for every day of the plan, with one record per enrolled student, written in
    batches. Returns how many records were written."""
    rng, days = ctx.rng, plan.days
    if not days:
        return 0
    truancy, illness = runs or _absence_runs(ctx, plan, habits)
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
    batch: list[AttendanceRecord] = []
    written = 0
    for register, submitted in zip(registers, when, strict=True):
        day, user_id = register.date, register.submitted_by_id
        progress = position[day]
        for student_id, since in plan.roster[register.section_id]:
            if since > day:
                continue
            status, minutes, reason, note = _day_status(
                rng,
                habits[student_id],
                day,
                progress,
                truancy.get(student_id, ()),
                illness.get(student_id, ()),
            )
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
                    absence_notified_at=register.notified_at if status == AttendanceStatus.ABSENT else None,
                )
            )
            if len(batch) >= RECORD_BATCH:
                AttendanceRecord.objects.bulk_create(batch)
                written += len(batch)
                batch = []
    AttendanceRecord.objects.bulk_create(batch)
    return written + len(batch)


def _lessons_by_weekday(days: list[datetime.date], section_ids: set[int]) -> dict[int, list[tuple]]:
    """The lessons of the timetable in effect, by weekday, of some sections: (class, section, first period,
    the lesson's teacher's user, the period's start), in the order of the day."""
    lessons: dict[int, list[tuple]] = {}
    for day in days:
        if day.weekday() in lessons:
            continue
        lessons[day.weekday()] = list(
            Lesson.objects.in_effect_on(day)
            .filter(period__isnull=False, offering__section_id__in=section_ids)
            .order_by("period__order", "offering__section_id")
            .values_list(
                "offering_id", "offering__section_id", "period_id", "teacher__user_id", "period__start_time"
            )
        )
    return lessons


def _seed_lesson_registers(
    ctx: DemoContext,
    plan: RegisterPlan,
    habits: dict[int, AttendanceHabit],
    runs: tuple[dict[int, set], dict[int, set]] | None = None,
    rng: random.Random | None = None,
) -> int:
    """Submitted lesson registers for every lesson of the plan's days (the timetable in effect), each taken by
    its lesson's teacher, with one record per enrolled student: the student's day is drawn by their habit as
    for a daily register (a day missed is every lesson missed; a late day is late to the first lesson, and any
    later lesson may be arrived at late).
    Returns how many records were written. `rng`: the lessons' own randomness (their number follows the
    solver's layout, which is not reproducible: the shared randomness must not depend on it)."""
    rng, days = rng or ctx.rng, plan.days
    if not days:
        return 0
    truancy, illness = runs or _absence_runs(ctx, plan, habits)
    lessons = _lessons_by_weekday(days, set(plan.roster))
    zone = timezone.get_current_timezone()
    span = max(len(days) - 1, 1)
    written = 0
    for n, day in enumerate(days):
        registers, when = [], []
        for offering_id, section_id, period_id, user_id, start in lessons.get(day.weekday(), []):
            submitted = datetime.datetime.combine(day, start, zone) + datetime.timedelta(
                minutes=rng.randint(2, 8), seconds=rng.randint(0, 59)
            )
            registers.append(
                Register(
                    kind=RegisterMode.LESSON,
                    date=day,
                    section_id=section_id,
                    offering_id=offering_id,
                    period_id=period_id,
                    state=RegisterState.SUBMITTED,
                    started_at=submitted - datetime.timedelta(minutes=rng.randint(1, 3)),
                    submitted_at=submitted,
                    submitted_by_id=user_id,
                    notified_at=submitted + datetime.timedelta(minutes=1),
                )
            )
            when.append(submitted)
        registers = Register.objects.bulk_create(registers, batch_size=RECORD_BATCH)
        # Each student's day, drawn once; the first lesson of their section that day takes the lateness.
        marks = {
            student_id: _day_status(
                rng,
                habits[student_id],
                day,
                n / span,
                truancy.get(student_id, ()),
                illness.get(student_id, ()),
            )
            for students in plan.roster.values()
            for student_id, since in students
            if since <= day
        }
        first_lesson: set[int] = set()
        batch: list[AttendanceRecord] = []
        for register, submitted in zip(registers, when, strict=True):
            first = register.section_id not in first_lesson
            first_lesson.add(register.section_id)
            for student_id, since in plan.roster[register.section_id]:
                if since > day:
                    continue
                status, minutes, reason, note = marks[student_id]
                if not first and status in (AttendanceStatus.LATE, AttendanceStatus.PRESENT):
                    # Late to a later lesson now and then (from break, from across the school).
                    status, minutes, note = AttendanceStatus.PRESENT, None, ""
                    if rng.random() < habits[student_id].late:
                        status, minutes = AttendanceStatus.LATE, rng.choice([2, 3, 3, 5, 5, 8])
                batch.append(
                    AttendanceRecord(
                        register_id=register.pk,
                        student_id=student_id,
                        status=status,
                        late_minutes=minutes,
                        reason=reason,
                        note=note,
                        date=day,
                        marked_by_id=register.submitted_by_id,
                        marked_at=submitted,
                        absence_notified_at=register.notified_at
                        if status == AttendanceStatus.ABSENT
                        else None,
                    )
                )
        AttendanceRecord.objects.bulk_create(batch, batch_size=RECORD_BATCH)
        written += len(batch)
    return written


def _seed_today(
    ctx: DemoContext,
    closed: set[datetime.date],
    habits: dict[int, AttendanceHabit],
    lesson_sections: set[int],
    lesson_rng: random.Random,
) -> None:
    """Today's registers, none submitted yet: a daily register for each section of a daily grade, a lesson
    register for each of today's lessons of the per-lesson grades (`lesson_sections`). The demo teacher's
    are not taken (the demo shows marking); of the others, about two in three in progress (part of the
    class marked), the rest not taken (the office's "not yet taken" page has something to show)."""
    today, rng = ctx.today, ctx.rng
    if not (ctx.year.start_date <= today <= ctx.year.end_date) or today.weekday() not in WEEKDAYS:
        return
    if today in closed:
        return
    plan = _year_plan(ctx.sections, [today])
    zone = timezone.get_current_timezone()
    morning = min(timezone.now(), datetime.datetime.combine(today, datetime.time(8, 40), zone))
    demo_user = ctx.teachers[0].user_id
    registers, shares = [], []
    wanted = [
        Register(kind=RegisterMode.DAILY, date=today, section_id=section_id)
        for section_id in plan.submitters
        if section_id not in lesson_sections
    ]
    takers = {register.section_id: plan.submitters[register.section_id] for register in wanted}
    for offering_id, section_id, period_id, user_id, _start in _lessons_by_weekday(
        [today], lesson_sections
    ).get(today.weekday(), []):
        register = Register(
            kind=RegisterMode.LESSON,
            date=today,
            section_id=section_id,
            offering_id=offering_id,
            period_id=period_id,
        )
        wanted.append(register)
        takers[(offering_id, period_id)] = user_id
    for register in wanted:
        taker = takers[
            (register.offering_id, register.period_id) if register.offering_id else register.section_id
        ]
        # Lesson registers draw from their own randomness: how many lessons today has follows the solver's
        # layout, which is not reproducible; the school's shared randomness must not depend on it.
        rng = ctx.rng if register.kind == RegisterMode.DAILY else lesson_rng
        roll = 1.0 if taker == demo_user else rng.random()
        share = rng.uniform(0.3, 0.9) if roll < 0.65 else 0.0
        register.state = RegisterState.IN_PROGRESS if share else RegisterState.NOT_TAKEN
        register.started_at = morning - datetime.timedelta(minutes=rng.randint(1, 10)) if share else None
        registers.append(register)
        shares.append((share, taker))
    registers = Register.objects.bulk_create(registers)
    records = []
    for register, (share, taker) in zip(registers, shares, strict=True):
        rng = ctx.rng if register.kind == RegisterMode.DAILY else lesson_rng
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
                    marked_by_id=taker,
                    marked_at=morning,
                )
            )
    AttendanceRecord.objects.bulk_create(records, batch_size=RECORD_BATCH)
    ctx.counts["registers_today"] = len(registers)


def lesson_grades(ctx: DemoContext) -> list:
    """The grade levels that take a register per lesson: the upper half, by order."""
    grades = sorted(ctx.grade_levels.values(), key=lambda grade: (grade.order, grade.name))
    return grades[len(grades) // 2 :]


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
    """Registers, submitted by their teachers, for every past school day: the small school from the start
    of the current term, the large school from the start of the year (and last year as well when that is
    too short a history for 500,000 records); then today's registers, partly taken.

    The school takes a register a day; the upper half of the grade levels one per lesson (see the module's
    docstring): their sections have daily registers until they switched (the current term's start; the large
    school's at most LESSON_HISTORY_WEEKS ago), lesson registers of the timetable's lessons from then on."""
    policy = AttendancePolicy.load()
    if policy.mode != RegisterMode.DAILY:
        policy.mode = RegisterMode.DAILY
        policy.save(update_fields=["mode"])
    upper = lesson_grades(ctx)
    for grade in upper:
        GradeRegisterMode.objects.update_or_create(grade_level=grade, defaults={"mode": RegisterMode.LESSON})
    upper_ids = {grade.pk for grade in upper}
    habits = _attendance_habits(ctx)
    yesterday = ctx.today - datetime.timedelta(days=1)
    closed = closed_days()
    terms = sorted(ctx.terms, key=lambda term: term.start_date)
    started = [term for term in terms if term.start_date <= yesterday]
    if ctx.size.name == "small":
        terms = started[-1:]
    days = school_days(ctx.year.start_date, yesterday, terms, closed)
    # The large school's lesson history is kept short: its per-lesson grades' records are five a day each.
    switch = started[-1].start_date if started else ctx.year.start_date
    if ctx.size.name == "large":
        switch = max(switch, ctx.today - datetime.timedelta(weeks=LESSON_HISTORY_WEEKS))
    daily_sections = [s for s in ctx.sections if s.grade_level_id not in upper_ids]
    lesson_sections = [s for s in ctx.sections if s.grade_level_id in upper_ids]
    this_year = _year_plan(ctx.sections, days)
    plans = [
        _year_plan(daily_sections, days),
        _year_plan(lesson_sections, [day for day in days if day < switch]),
    ]
    # (Last year's history is needed when this year's registers, a day each, are too few.)
    if ctx.size.name == "large" and this_year.record_count() < LARGE_HISTORY_RECORDS:
        sections, last_terms = seed_previous_year(ctx)
        closed = closed_days()
        last_year = school_days(last_terms[0].start_date, last_terms[-1].end_date, last_terms, closed)
        _seed_registers(ctx, _year_plan(sections, last_year), habits)
    # A student's runs of absences are drawn once over the year, whichever kind of register they fall on.
    runs = _absence_runs(ctx, this_year, habits)
    for plan in plans:
        _seed_registers(ctx, plan, habits, runs)
    lesson_rng = random.Random(ctx.rng.getrandbits(64))
    lesson_plan = _year_plan(lesson_sections, [day for day in days if day >= switch])
    _seed_lesson_registers(ctx, lesson_plan, habits, runs, lesson_rng)
    _seed_today(ctx, closed, habits, {s.pk for s in lesson_sections}, lesson_rng)
    # The records went in by bulk_create, past the services that keep the tallies: count them once, and work
    # out the patterns as the nightly task would, so the demo's reports read what a real school's do.
    _analyze(Register, AttendanceRecord)
    tallies_rebuild()
    patterns_refresh(today=ctx.today)
    ctx.counts.update(registers=Register.objects.count(), attendance_records=AttendanceRecord.objects.count())
