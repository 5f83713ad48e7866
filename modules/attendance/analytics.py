"""Attendance analytics: rates by student, section, grade level, weekday and month, and chronic absence.

Every figure comes from a fixed number of grouped queries (COUNT ... FILTER, GROUP BY) whatever the number
of students: the records of a period are counted per register (one row per register: its section and day
give the section, grade, weekday and month figures) and per student (only the students over the chronic
threshold come back). Nothing is counted per student in a loop.

Definitions (shown on the pages): the one of selectors.AttendanceSummary, shared with the family page,
the report card and the exports: only submitted registers of the school's mode count; a student *attended* a
register when marked present or late, and *missed* it when marked absent or excused. The attendance rate is
attended / possible (marked) sessions. Chronic absence is missing at least the school's threshold
(AttendancePolicy.chronic_absence_percent) of the days (or lessons, in per-lesson mode) so far in the
period.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import gc
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import CharField, Count, Q, QuerySet
from django.db.models.functions import Cast
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.academics.models import AcademicYear, Enrollment, GradeLevel, Section, Term
from modules.accounts import rules as account_rules
from modules.attendance.models import AttendanceRecord, AttendanceStatus, Register, RegisterState
from modules.attendance.selectors import (
    STATUS_FIELDS,
    AttendanceSummary,
    attendance_summary,
    session_records,
    status_counts,
)

# A report longer than this is refused (a year and a few weeks is the most anyone needs).
MAX_PERIOD_DAYS = 400

# The counts of a period, and the rate: the one definition (selectors.AttendanceSummary), under the name the
# report pages use.
Tally = AttendanceSummary


@dataclass
class Row:
    """One line of a breakdown: what it is about, and its tally."""

    label: str
    tally: Tally = field(default_factory=Tally)
    obj: object | None = None
    days: int = 0


@dataclass(frozen=True)
class ReportPeriod:
    start: datetime.date
    end: datetime.date
    label: str = ""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def so_far(start: datetime.date, end: datetime.date, label: str, today: datetime.date) -> ReportPeriod:
    """A period ends today at the latest: the rest has not happened yet."""
    return ReportPeriod(start=start, end=min(end, today) if start <= today else end, label=label)


def default_period(today: datetime.date | None = None) -> ReportPeriod:
    """The current term so far; else the current academic year so far; else the last 30 days."""
    today = today or timezone.localdate()
    term = (
        Term.objects.filter(start_date__lte=today, end_date__gte=today)
        .select_related("year")
        .order_by("-year__is_current", "start_date")
        .first()
    )
    if term is not None:
        return so_far(term.start_date, term.end_date, term.name, today)
    year = AcademicYear.objects.current()
    if year is not None and year.start_date <= today:
        return so_far(year.start_date, year.end_date, year.name, today)
    return ReportPeriod(start=today - datetime.timedelta(days=29), end=today, label=_("Last 30 days"))


# --- scope -------------------------------------------------------------------------------------------------


def may_see_reports(user) -> bool:
    """The office, and teachers (who see the sections they lead as homeroom teacher)."""
    return account_rules.is_administrator(user) or account_rules.is_teacher(user)


def report_sections(user, period: ReportPeriod) -> QuerySet[Section]:
    """Sections of the years the period touches: all for the office, a teacher's homeroom sections."""
    sections = Section.objects.filter(
        year__start_date__lte=period.end, year__end_date__gte=period.start
    ).select_related("grade_level", "homeroom_teacher", "year")
    if not account_rules.is_administrator(user):
        sections = sections.filter(homeroom_teacher__user=user)
    return sections.order_by("grade_level__order", "grade_level__name", "name")


def section_for_reports(user, pk: int) -> Section:
    """A section the user may see reports of (the office any; its homeroom teacher theirs), else 404."""
    sections = Section.objects.select_related("grade_level", "homeroom_teacher", "year")
    if not account_rules.is_administrator(user):
        sections = sections.filter(homeroom_teacher__user=user)
    section = sections.filter(pk=pk).first()
    if section is None:
        raise Http404
    return section


# --- the school (or a teacher's sections) ------------------------------------------------------------------


@dataclass
class StudentLine:
    student: object
    section: Section | None
    tally: Tally
    chronic: bool = False


@dataclass
class Overview:
    period: ReportPeriod
    threshold: Decimal
    total: Tally
    school_days: int
    by_grade: list[Row]
    by_section: list[Row]
    by_weekday: list[Row]
    by_month: list[Row]
    chronic: list[StudentLine]
    chronic_count: int = 0

    @property
    def has_data(self) -> bool:
        return self.total.possible > 0


def weekday_label(weekday: int) -> str:
    from django.utils.dates import WEEKDAYS

    return str(WEEKDAYS[weekday])


def month_label(year: int, month: int) -> str:
    from django.utils.formats import date_format

    return date_format(datetime.date(year, month, 1), "YEAR_MONTH_FORMAT")


def _row(rows: dict, key, make) -> Row:
    """The row for `key`, made (and its label written) only the first time."""
    row = rows.get(key)
    if row is None:
        row = rows[key] = make()
    return row


def _add_day(weekdays: dict, months: dict, day: datetime.date, tally: Tally) -> None:
    weekday, month = day.weekday(), (day.year, day.month)
    _row(weekdays, weekday, lambda: Row(label=weekday_label(weekday))).tally.add(tally)
    _row(months, month, lambda: Row(label=month_label(*month))).tally.add(tally)


# pk, section, date, kind, offering, state
RegisterRow = tuple[int, int, datetime.date, str, int | None, str]


@contextlib.contextmanager
def without_gc_pauses():
    """Hold the cyclic garbage collector while a whole school's records are tallied.

    The tallies build a few hundred thousand short-lived tuples and dicts, none in reference cycles; the
    collector's generational passes, triggered by those allocations, cost a sixth of the page for nothing.
    Reference counting still frees everything; the collector resumes (and catches up) afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@functools.lru_cache(maxsize=4096)
def day_from_text(value: str) -> datetime.date:
    return datetime.date.fromisoformat(value[:10])


def as_text(field: str) -> Cast:
    """A date column read as text: a year of registers has a few hundred distinct days but tens of thousands
    of rows, and parsing each day once (day_from_text) instead of once per row saves a third of the page."""
    return Cast(field, output_field=CharField())


def registers_between(
    start: datetime.date, end: datetime.date, section_ids: list[int] | None = None
) -> list[RegisterRow]:
    """Every register of the days (of some sections), as plain tuples: one query, shared by the rates and
    the patterns of a page."""
    registers = Register.objects.filter(date__range=(start, end))
    if section_ids is not None:
        registers = registers.filter(section_id__in=section_ids)
    rows = registers.annotate(day=as_text("date")).values_list(
        "pk", "section_id", "day", "kind", "offering_id", "state"
    )
    return [
        (pk, section_id, day_from_text(day), kind, offering_id, state)
        for pk, section_id, day, kind, offering_id, state in rows.order_by()
    ]


def _register_tallies(
    period: ReportPeriod, mode: str, section_ids: list[int] | None, registers: list[RegisterRow]
) -> tuple[list[tuple[int, datetime.date, Tally]], bool]:
    """(section id, day, tally) for each submitted register of the period in the school's mode (the
    possible sessions of selectors.session_records); and whether registers of the other mode exist in the
    period (then per-student counts must filter by kind).

    The counts are grouped by register alone: the query reads the (date, status, register, student) index
    without touching the table; the register's section, day, mode and state come from `registers`, in
    Python."""
    where = {}
    mixed = False
    for pk, section_id, day, kind, _offering, state in registers:
        if not period.start <= day <= period.end:
            continue
        if kind != mode:
            mixed = True
        elif state == RegisterState.SUBMITTED:
            where[pk] = (section_id, day)
    records = AttendanceRecord.objects.filter(date__range=(period.start, period.end))
    if section_ids is not None:
        records = records.filter(register__section_id__in=section_ids)
    # Grouped in the index's own order (day, status, register): no sorting; a register's four counts come
    # back as up to four rows, added up here.
    counted = (
        records.values("date", "status", "register_id")
        .annotate(count=Count("pk"))
        .order_by()
        .values_list("register_id", "status", "count")
    )
    column = {status: index for index, status in enumerate(STATUS_FIELDS)}
    sums: dict[int, list[int]] = {}
    for register_id, status, count in counted:
        if register_id in where:
            counts = sums.get(register_id)
            if counts is None:
                counts = sums[register_id] = [0, 0, 0, 0]
            index = column.get(status)
            if index is not None:  # (any other status is counted nowhere, as by status_counts)
                counts[index] += count
    result = [(*where[register_id], Tally(*counts)) for register_id, counts in sums.items()]
    return result, mixed


# The overview names this many of the chronically absent (the worst first); each section's page lists all.
CHRONIC_SHOWN = 100
# The students whose marked sessions one query counts (their ids are bound parameters).
CHRONIC_BATCH = 5000


def _chronic_lines(
    period: ReportPeriod,
    mode: str,
    threshold: Decimal,
    section_ids: list[int] | None,
    *,
    mixed: bool,
    sections: dict[int, Section],
    registers: list[RegisterRow],
) -> tuple[list[StudentLine], int]:
    """The students who missed at least `threshold` % of their possible sessions (AttendanceSummary.
    is_chronic), worst first (at most CHRONIC_SHOWN of them, with their names), and how many there are in
    all. Three queries, four when registers are still being taken (and one more per CHRONIC_BATCH students
    with an absence, past the first).

    No query counts every record per student (a scan of the term grouped by student, the dearest query of
    the page): the absences come from the (date, status, ...) index restricted to the two missed statuses;
    the marked sessions are counted only for the students with an absence (nobody else can be chronic),
    through the (student, date) index; and the registers still being taken, which are not possible
    sessions (selectors.session_records), are subtracted afterwards from their own few records."""
    records = AttendanceRecord.objects.filter(date__range=(period.start, period.end))
    if section_ids is not None:
        records = records.filter(register__section_id__in=section_ids)
    if mixed:
        records = records.filter(register__kind=mode)
    absent_q, excused_q = Q(status=AttendanceStatus.ABSENT), Q(status=AttendanceStatus.EXCUSED)
    counts: dict[int, list[int]] = {
        student_id: [absent, excused, 0]
        for student_id, absent, excused in records.filter(
            status__in=(AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED)
        )
        .values_list("student_id")
        .annotate(absent=Count("pk", filter=absent_q), excused=Count("pk", filter=excused_q))
        .order_by()
        .values_list("student_id", "absent", "excused")
    }
    if not counts:
        return [], 0
    students = list(counts)
    for start in range(0, len(students), CHRONIC_BATCH):
        batch = students[start : start + CHRONIC_BATCH]
        marked_rows = (
            records.filter(student_id__in=batch)
            .values_list("student_id")
            .annotate(marked=Count("pk"))
            .order_by()
            .values_list("student_id", "marked")
        )
        for student_id, marked in marked_rows:
            counts[student_id][2] = marked
    # Registers still being taken are few (a register is submitted the day it is taken): their records are
    # read by register and taken off.
    being_taken = [
        row[0]
        for row in registers
        if row[5] == RegisterState.IN_PROGRESS and period.start <= row[2] <= period.end
    ]
    if being_taken:
        taken_off = (
            records.filter(register_id__in=being_taken)
            .values_list("student_id")
            .annotate(
                absent=Count("pk", filter=absent_q), excused=Count("pk", filter=excused_q), marked=Count("pk")
            )
            .order_by()
            .values_list("student_id", "absent", "excused", "marked")
        )
        for student_id, absent, excused, marked in taken_off:
            sums = counts.get(student_id)
            if sums is None:  # no absence: not chronic, whatever is taken off
                continue
            sums[0] -= absent
            sums[1] -= excused
            sums[2] -= marked
    # missed / marked >= threshold %, in whole numbers: missed * 1000 >= marked * (threshold * 10).
    tenths = max(int(threshold * 10), 1)
    rows = [
        (student_id, absent, excused, marked)
        for student_id, (absent, excused, marked) in counts.items()
        if marked > 0 and marked * tenths <= (absent + excused) * 1000
    ]
    rows.sort(key=lambda row: (-(row[1] + row[2]) / row[3], row[0]))
    shown = {row[0]: row for row in rows[:CHRONIC_SHOWN]}
    if not shown:
        return [], len(rows)
    enrollments = Enrollment.objects.filter(student_id__in=list(shown)).select_related("student")
    if sections:
        enrollments = enrollments.filter(section_id__in=list(sections))
    seen = {}
    for enrollment in enrollments.order_by("-year__start_date"):
        seen.setdefault(enrollment.student_id, enrollment)
    lines = []
    for student_id, absent, excused, marked in shown.values():
        enrollment = seen.get(student_id)
        if enrollment is None:
            continue
        tally = Tally(present=marked - absent - excused, absent=absent, excused=excused)
        lines.append(
            StudentLine(
                student=enrollment.student,
                section=sections.get(enrollment.section_id),
                tally=tally,
                chronic=True,
            )
        )
    return lines, len(rows)


def attendance_overview(
    *,
    sections: list[Section],
    period: ReportPeriod,
    mode: str,
    threshold: Decimal,
    whole_school: bool = False,
    registers: list[RegisterRow] | None = None,
) -> Overview:
    """Rates for the period over `sections` (every section when `whole_school`): overall, by grade level,
    section, weekday and month; and the chronically absent students. A fixed number of queries.

    `registers` (from `registers_between`, covering the period) saves loading them again."""
    by_id = {section.pk: section for section in sections}
    section_ids = None if whole_school else list(by_id)
    if registers is None:
        registers = registers_between(period.start, period.end, section_ids)
    tallies, mixed = _register_tallies(period, mode, section_ids, registers)

    total = Tally()
    sections_rows: dict[int, Row] = {}
    grades: dict[int, Row] = {}
    weekdays: dict[int, Row] = {}
    months: dict[tuple[int, int], Row] = {}
    days: set[datetime.date] = set()
    section_days: dict[int, set] = defaultdict(set)
    # Sum per section and per day first (plain integers), then roll those few sums up into the breakdowns.
    per_section: dict[int, list[int]] = {}
    per_day: dict[datetime.date, list[int]] = {}
    for section_id, day, tally in tallies:
        if section_id not in by_id:
            continue
        counts = (tally.present, tally.late, tally.absent, tally.excused)
        sums = per_section.get(section_id)
        if sums is None:
            per_section[section_id] = list(counts)
        else:
            for index, value in enumerate(counts):
                sums[index] += value
        sums = per_day.get(day)
        if sums is None:
            per_day[day] = list(counts)
        else:
            for index, value in enumerate(counts):
                sums[index] += value
        section_days[section_id].add(day)
    for section_id, sums in per_section.items():
        section = by_id[section_id]
        tally = Tally(*sums)
        total.add(tally)
        row = sections_rows.setdefault(section_id, Row(label=section.name, obj=section))
        row.tally.add(tally)
        row.days = len(section_days[section_id])
        grade: GradeLevel = section.grade_level
        grades.setdefault(grade.pk, Row(label=grade.name, obj=grade)).tally.add(tally)
    for day, sums in per_day.items():
        days.add(day)
        _add_day(weekdays, months, day, Tally(*sums))

    chronic, chronic_count = [], 0
    if total.possible:
        chronic, chronic_count = _chronic_lines(
            period, mode, threshold, section_ids, mixed=mixed, sections=by_id, registers=registers
        )
    order = {section.pk: index for index, section in enumerate(sections)}
    grade_order = {
        section.grade_level_id: (section.grade_level.order, section.grade_level.name) for section in sections
    }
    return Overview(
        period=period,
        threshold=threshold,
        total=total,
        school_days=len(days),
        by_grade=[grades[key] for key in sorted(grades, key=lambda pk: grade_order[pk])],
        by_section=[sections_rows[key] for key in sorted(sections_rows, key=order.__getitem__)],
        by_weekday=[weekdays[key] for key in sorted(weekdays)],
        by_month=[months[key] for key in sorted(months)],
        chronic=chronic,
        chronic_count=chronic_count,
    )


# --- one section --------------------------------------------------------------------------------


@dataclass
class SectionReport:
    section: Section
    period: ReportPeriod
    threshold: Decimal
    total: Tally
    school_days: int
    students: list[StudentLine]
    by_weekday: list[Row]
    by_month: list[Row]

    @property
    def has_data(self) -> bool:
        return self.total.possible > 0

    @property
    def chronic_count(self) -> int:
        return sum(1 for line in self.students if line.chronic)


def section_students(section: Section, period: ReportPeriod):
    """Students of the section: enrolled now, or who have records in it during the period."""
    from modules.people.models import Student

    with_records = AttendanceRecord.objects.filter(
        register__section=section, date__range=(period.start, period.end)
    ).values("student_id")
    return Student.objects.filter(
        Q(enrollments__section=section, enrollments__status="active") | Q(pk__in=with_records)
    ).distinct()


def section_report(*, section: Section, period: ReportPeriod, mode: str, threshold: Decimal) -> SectionReport:
    """A section's students, each with their attendance summary for the period (selectors.
    attendance_summary: the same figure as on the family page and the report card), plus the section's
    rates by weekday and month. Constant queries whatever the class size."""
    students_query = section_students(section, period)
    per_student = attendance_summary(students_query.values("pk"), period.start, period.end, mode=mode)
    records = session_records(period.start, period.end, mode=mode).filter(register__section=section)
    per_day = records.values("date").annotate(**status_counts()).order_by("date")
    total = Tally()
    weekdays: dict[int, Row] = {}
    months: dict[tuple[int, int], Row] = {}
    school_days = 0
    for row in per_day:
        day, tally = row["date"], Tally.from_row(row)
        school_days += 1
        total.add(tally)
        _add_day(weekdays, months, day, tally)
    students = []
    for student in students_query.order_by("last_name", "first_name"):
        tally = per_student[student.pk]
        students.append(
            StudentLine(student=student, section=section, tally=tally, chronic=tally.is_chronic(threshold))
        )
    return SectionReport(
        section=section,
        period=period,
        threshold=threshold,
        total=total,
        school_days=school_days,
        students=students,
        by_weekday=[weekdays[key] for key in sorted(weekdays)],
        by_month=[months[key] for key in sorted(months)],
    )
