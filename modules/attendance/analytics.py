"""Attendance analytics: rates by student, section, grade level, weekday and month, and chronic absence.

Every figure comes from a fixed number of grouped queries (COUNT ... FILTER, GROUP BY) whatever the number
of students: the records of a period are counted per register (one row per register: its section and day
give the section, grade, weekday and month figures) and per student (only the students over the chronic
threshold come back). Nothing is counted per student in a loop.

Definitions (shown on the pages): the one of selectors.AttendanceSummary, shared with the family page,
the report card and the exports: only submitted registers of their grade's mode count (the grade level's own
register mode, else the school's); a student *attended* a
register when marked present or late, and *missed* it when marked absent or excused. The attendance rate is
attended / possible (marked) sessions. Chronic absence is missing at least the school's threshold
(AttendancePolicy.chronic_absence_percent) of the days (or lessons, in a per-lesson grade) so far in the
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

from django.db.models import CharField, Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Cast
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.academics.models import AcademicYear, Enrollment, GradeLevel, Section, Term
from modules.accounts import rules as account_rules
from modules.attendance.models import (
    AttendanceRecord,
    AttendanceStatus,
    Register,
    RegisterModes,
    RegisterState,
    StudentTermTally,
)
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
    # The term when the period is a term so far (its students' StudentTermTally rows are its figures).
    term_id: int | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def so_far(
    start: datetime.date, end: datetime.date, label: str, today: datetime.date, *, term_id: int | None = None
) -> ReportPeriod:
    """A period ends today at the latest: the rest has not happened yet (nothing is marked ahead of today,
    so a term so far has the marks of the whole term)."""
    return ReportPeriod(
        start=start, end=min(end, today) if start <= today else end, label=label, term_id=term_id
    )


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
        return so_far(term.start_date, term.end_date, term.name, today, term_id=term.pk)
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


# pk, section, date, kind, offering, state, and the register's tally (present, late, absent, excused; None
# for a register without one: never marked, or written in bulk outside the services)
RegisterRow = tuple[int, int, datetime.date, str, int | None, str, tuple[int, int, int, int] | None]


@contextlib.contextmanager
def without_gc_pauses():
    """Hold the cyclic garbage collector while a whole school's registers are added up.

    The tallies build tens of thousands of short-lived tuples, none in reference cycles; the collector's
    generational passes, triggered by those allocations, cost time for nothing. Reference counting still
    frees everything; the collector resumes (and catches up) afterwards."""
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
    """Every register of the days (of some sections) with its tally, as plain tuples: one query, shared by
    the rates and the patterns of a page."""
    registers = Register.objects.filter(date__range=(start, end))
    if section_ids is not None:
        registers = registers.filter(section_id__in=section_ids)
    rows = registers.annotate(day=as_text("date")).values_list(
        "pk", "section_id", "day", "kind", "offering_id", "state", *(f"tally__{s}" for s in STATUS_FIELDS)
    )
    result: list[RegisterRow] = []
    for pk, section_id, day, kind, offering_id, state, present, late, absent, excused in rows.order_by():
        counts = None if present is None else (present, late, absent, excused)
        result.append((pk, section_id, day_from_text(day), kind, offering_id, state, counts))
    return result


def _register_tallies(
    period: ReportPeriod,
    modes: RegisterModes,
    section_ids: list[int] | None,
    registers: list[RegisterRow],
    grade_of: dict[int, int],
) -> tuple[list[tuple[int, datetime.date, Tally]], bool]:
    """(section id, day, tally) for each submitted register of the period whose kind is its grade's mode
    (the possible sessions of selectors.session_records; `grade_of`: each section's grade level); and
    whether registers of another kind exist in the period (then per-student counts must filter by kind).

    The counts are the registers' tallies (RegisterTally, kept by the services with every mark), read with
    the registers: no query of their own. A submitted register without a tally (written in bulk around the
    services, before `manage.py attendance_tallies`) is counted from its records, in one more query."""
    result = []
    untallied: dict[int, tuple[int, datetime.date]] = {}
    mixed = False
    for pk, section_id, day, kind, _offering, state, counts in registers:
        if not period.start <= day <= period.end:
            continue
        if kind != modes.for_grade(grade_of.get(section_id)):
            mixed = True
        elif state == RegisterState.SUBMITTED:
            if counts is None:
                untallied[pk] = (section_id, day)
            elif any(counts):
                result.append((section_id, day, Tally(*counts)))
    if untallied:
        result += _counted_tallies(period, section_ids, untallied)
    return result, mixed


def _counted_tallies(
    period: ReportPeriod, section_ids: list[int] | None, where: dict[int, tuple[int, datetime.date]]
) -> list[tuple[int, datetime.date, Tally]]:
    """The tallies of registers that have none stored, counted from their records (grouped in the order of
    the (date, status, register, student) index: no sorting, no visit to the table)."""
    records = AttendanceRecord.objects.filter(date__range=(period.start, period.end))
    if section_ids is not None:
        records = records.filter(register__section_id__in=section_ids)
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
    return [(*where[register_id], Tally(*counts)) for register_id, counts in sums.items()]


# The overview names this many of the chronically absent (the worst first); each section's page lists all.
CHRONIC_SHOWN = 100
# The students whose marked sessions one query counts (their ids are bound parameters).
CHRONIC_BATCH = 5000


def _chronic_lines(
    period: ReportPeriod,
    modes: RegisterModes,
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
        records = records.filter(modes.counted_q("register__"))
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
    return _named_lines(rows, sections), len(rows)


def tallied_sums(
    period: ReportPeriod, modes: RegisterModes, section_ids: list[int] | None, grade_of: dict[int, int]
) -> tuple[dict[int, tuple[list[int], int]], dict[datetime.date, list[int]]] | None:
    """The submitted registers' tallies added up in the database, per section (with the days it has marks
    on) and per day: two grouped queries whatever the size of the school, and no record read. None when a
    submitted register of the period has no tally (written around the services): then the records count."""
    registers = Register.objects.filter(
        modes.counted_q(grade_of=grade_of),
        date__range=(period.start, period.end),
        state=RegisterState.SUBMITTED,
    )
    if section_ids is not None:
        registers = registers.filter(section_id__in=section_ids)
    sums = {status: Sum(f"tally__{status}") for status in STATUS_FIELDS}
    marked = Q(*(Q(**{f"tally__{status}__gt": 0}) for status in STATUS_FIELDS), _connector=Q.OR)
    per_section: dict[int, tuple[list[int], int]] = {}
    rows = (
        registers.values("section_id")
        .annotate(
            **sums,
            days=Count("date", distinct=True, filter=marked),
            untallied=Count("pk", filter=Q(tally=None)),
        )
        .order_by()
        .values_list("section_id", *STATUS_FIELDS, "days", "untallied")
    )
    for section_id, *counts, days, untallied in rows:
        if untallied:
            return None
        if days:
            per_section[section_id] = ([count or 0 for count in counts], days)
    per_day: dict[datetime.date, list[int]] = {}
    if per_section:
        days_rows = (
            registers.filter(marked)
            .values("date")
            .annotate(**sums)
            .order_by()
            .values_list("date", *STATUS_FIELDS)
        )
        per_day = {day: [count or 0 for count in counts] for day, *counts in days_rows}
    return per_section, per_day


def counted_sums(
    period: ReportPeriod,
    modes: RegisterModes,
    section_ids: list[int] | None,
    registers: list[RegisterRow],
    grade_of: dict[int, int],
) -> tuple[dict[int, tuple[list[int], int]], dict[datetime.date, list[int]], bool]:
    """As tallied_sums, from the registers (and their records where they have no tally), in Python; and
    whether registers of another kind than their grade's mode exist in the period."""
    tallies, mixed = _register_tallies(period, modes, section_ids, registers, grade_of)
    per_section: dict[int, list[int]] = {}
    section_days: dict[int, set] = defaultdict(set)
    per_day: dict[datetime.date, list[int]] = {}
    for section_id, day, tally in tallies:
        counts = (tally.present, tally.late, tally.absent, tally.excused)
        for sums_by, key in ((per_section, section_id), (per_day, day)):
            sums = sums_by.get(key)
            if sums is None:
                sums_by[key] = list(counts)
            else:
                for index, value in enumerate(counts):
                    sums[index] += value
        section_days[section_id].add(day)
    return {pk: (sums, len(section_days[pk])) for pk, sums in per_section.items()}, per_day, mixed


def chronic_from_term(
    term_id: int, modes: RegisterModes, threshold: Decimal, sections: dict[int, Section]
) -> tuple[list[StudentLine], int]:
    """The chronically absent of a term so far, from the students' term tallies (StudentTermTally) of their
    grade's register mode (the grade of their section in the term's year): the comparison is made in the
    database, so only the chronically absent come back. Two queries."""
    tenths = max(int(threshold * 10), 1)
    missed = F("absent") + F("excused")
    possible = F("present") + F("late") + missed
    rows = list(
        StudentTermTally.objects.filter(term_tally_counted(modes), term_id=term_id)
        .alias(scaled_missed=missed * 1000, scaled_possible=possible * tenths, marked=possible)
        .filter(marked__gt=0, scaled_missed__gte=F("scaled_possible"))
        .values_list("student_id", "absent", "excused", "present", "late")
    )
    lines = [
        (student_id, absent, excused, absent + excused + present + late)
        for student_id, absent, excused, present, late in rows
    ]
    return _named_lines(lines, sections), len(lines)


def term_tally_counted(modes: RegisterModes) -> Q:
    """The term tallies of the kind of their student's grade (through the student's enrollment in a section
    of the term's year: no join that could count a tally twice)."""
    if modes.uniform:
        return Q(kind=modes.default)
    own = [pk for pk, _mode in modes.by_grade]

    def enrolled_in(grades: list[int]) -> Exists:
        return Exists(
            Enrollment.objects.filter(
                student_id=OuterRef("student_id"),
                section__year_id=OuterRef("term__year_id"),
                section__grade_level_id__in=grades,
            )
        )

    counted = Q(kind=modes.default) & ~enrolled_in(own)
    for mode in sorted(modes.kinds() - {modes.default}):
        counted |= Q(enrolled_in([pk for pk, grade_mode in modes.by_grade if grade_mode == mode]), kind=mode)
    return counted


def _named_lines(rows: list[tuple[int, int, int, int]], sections: dict[int, Section]) -> list[StudentLine]:
    """(student, absent, excused, marked) rows as lines with names and sections, worst first, at most
    CHRONIC_SHOWN of them: one query."""
    rows.sort(key=lambda row: (-(row[1] + row[2]) / row[3], row[0]))
    shown = {row[0]: row for row in rows[:CHRONIC_SHOWN]}
    if not shown:
        return []
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
    return lines


def attendance_overview(
    *,
    sections: list[Section],
    period: ReportPeriod,
    mode: RegisterModes | str,
    threshold: Decimal,
    whole_school: bool = False,
) -> Overview:
    """Rates for the period over `sections` (every section when `whole_school`): overall, by grade level,
    section, weekday and month; and the chronically absent students. A fixed number of queries.

    The rates add up the registers' tallies in the database; the whole school's chronically absent over a
    term so far come from the students' term tallies. Registers without a tally (written around the
    services) and other periods are counted from the records, as before tallies existed."""
    modes = RegisterModes.coerce(mode)
    by_id = {section.pk: section for section in sections}
    section_ids = None if whole_school else list(by_id)
    grade_of = {section.pk: section.grade_level_id for section in sections}
    registers: list[RegisterRow] | None = None
    mixed = False
    tallied = tallied_sums(period, modes, section_ids, grade_of)
    if tallied is None:
        registers = registers_between(period.start, period.end, section_ids)
        per_section, per_day, mixed = counted_sums(period, modes, section_ids, registers, grade_of)
    else:
        per_section, per_day = tallied

    total = Tally()
    sections_rows: dict[int, Row] = {}
    grades: dict[int, Row] = {}
    weekdays: dict[int, Row] = {}
    months: dict[tuple[int, int], Row] = {}
    for section_id, (sums, days) in per_section.items():
        section = by_id.get(section_id)
        if section is None:
            continue
        tally = Tally(*sums)
        total.add(tally)
        row = sections_rows.setdefault(section_id, Row(label=section.name, obj=section))
        row.tally.add(tally)
        row.days = days
        grade: GradeLevel = section.grade_level
        grades.setdefault(grade.pk, Row(label=grade.name, obj=grade)).tally.add(tally)
    for day, sums in per_day.items():
        _add_day(weekdays, months, day, Tally(*sums))

    chronic: list[StudentLine] = []
    chronic_count = 0
    if total.possible:
        if whole_school and tallied is not None and period.term_id is not None:
            chronic, chronic_count = chronic_from_term(period.term_id, modes, threshold, by_id)
        else:
            if registers is None:
                registers = registers_between(period.start, period.end, section_ids)
                mixed = any(row[3] != modes.for_grade(grade_of.get(row[1])) for row in registers)
            chronic, chronic_count = _chronic_lines(
                period, modes, threshold, section_ids, mixed=mixed, sections=by_id, registers=registers
            )
    order = {section.pk: index for index, section in enumerate(sections)}
    grade_order = {
        section.grade_level_id: (section.grade_level.order, section.grade_level.name) for section in sections
    }
    return Overview(
        period=period,
        threshold=threshold,
        total=total,
        school_days=len(per_day),
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


def section_report(
    *, section: Section, period: ReportPeriod, mode: RegisterModes | str, threshold: Decimal
) -> SectionReport:
    """A section's students, each with their attendance summary for the period (selectors.
    attendance_summary: the same figure as on the family page and the report card), plus the section's
    rates by weekday and month (its registers of its grade's mode). Constant queries whatever the class
    size."""
    modes = RegisterModes.coerce(mode)
    students_query = section_students(section, period)
    per_student = attendance_summary(students_query.values("pk"), period.start, period.end, mode=modes)
    records = session_records(period.start, period.end, mode=modes.for_grade(section.grade_level_id)).filter(
        register__section=section
    )
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
