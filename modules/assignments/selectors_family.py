"""What students and guardians read of homework: each assignment of a child's classes with the child's work,
its state (`states.work_state`, the one definition) and, once returned, the gradebook's mark.

Every read is a fixed number of queries whatever the number of assignments or children: the assignments
(scoped by `Assignment.objects.visible_to`), the children's sections, their submissions and the marks of the
returned ones, each fetched once and matched in Python.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.dates import WEEKDAYS

from modules.academics.models import AcademicYear, Enrollment
from modules.assignments import states
from modules.assignments.models import Assignment, HandIn, Submission
from modules.assignments.states import WorkState
from modules.core.params import query_date
from modules.exams.models import Mark
from modules.people.models import Student

# How soon "due soon" is, on the student's list.
DUE_SOON_DAYS = 7
# The years a week view may show (?week=); outside them the page shows this week and says so.
WEEK_YEARS = (1900, 2999)


@dataclass
class HomeworkRow:
    assignment: Assignment
    student: Student
    submission: Submission | None
    state: WorkState
    can_hand_in: bool
    mark: Mark | None = None  # the gradebook's mark, after any late penalty; only once returned

    @property
    def due_at(self) -> datetime.datetime:
        return self.submission.due_at if self.submission is not None else self.assignment.due_at

    @property
    def is_extended(self) -> bool:
        return self.submission is not None and self.submission.extended_due_at is not None

    @property
    def is_returned(self) -> bool:
        return self.state == WorkState.MARKED

    @property
    def is_paper(self) -> bool:
        return self.assignment.hand_in == HandIn.PAPER

    @property
    def penalty_percent(self) -> Decimal:
        if self.submission is None or not self.is_returned:
            return Decimal("0")
        return self.submission.penalty_percent

    @property
    def state_badge(self) -> str:
        """The Bootstrap colour of the state's badge."""
        return {
            WorkState.DUE: "secondary",
            WorkState.MISSING: "danger",
            WorkState.HANDED_IN: "success",
            WorkState.LATE: "warning",
            WorkState.MARKED: "primary",
        }[self.state]


@dataclass
class HomeworkGroups:
    """The student's list, in the order a student reads it."""

    overdue: list[HomeworkRow] = field(default_factory=list)
    due_soon: list[HomeworkRow] = field(default_factory=list)
    later: list[HomeworkRow] = field(default_factory=list)
    handed_in: list[HomeworkRow] = field(default_factory=list)
    marked: list[HomeworkRow] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(
            len(part) for part in (self.overdue, self.due_soon, self.later, self.handed_in, self.marked)
        )


def homework_by_student(
    *,
    user,
    students: Sequence[Student],
    year: AcademicYear | None,
    now: datetime.datetime | None = None,
    due_from: datetime.datetime | None = None,
    due_before: datetime.datetime | None = None,
    with_marks: bool = True,
    enrollments: Sequence[Enrollment] | None = None,
) -> dict[int, list[HomeworkRow]]:
    """Each student's homework this year (their sections' published assignments that `user` may see), by
    student id, ordered by due time; optionally only what is due in [due_from, due_before), and without
    reading the returned marks (`with_marks=False`, for a summary that shows none). `enrollments`: the
    students' enrolments this year when the caller has read them already (saves reading them again)."""
    now = now or timezone.now()
    result: dict[int, list[HomeworkRow]] = {student.pk: [] for student in students}
    if not students or year is None:
        return result
    sections: dict[int, set[int]] = defaultdict(set)
    pairs = (
        [(each.student_id, each.section_id) for each in enrollments]
        if enrollments is not None
        else Enrollment.objects.filter(student__in=[s.pk for s in students], year=year)
        .order_by()
        .values_list("student_id", "section_id")
    )
    for student_id, section_id in pairs:
        sections[section_id].add(student_id)
    if not sections:
        return result
    # Narrowed before scoping: `visible_to` is a subquery over what the queryset holds then, so it checks
    # these sections' assignments, not every assignment of the school (CONTRIBUTING, Access).
    scoped = Assignment.objects.filter(offering__section_id__in=list(sections))
    if due_from is not None:
        scoped = scoped.filter(due_at__gte=due_from)
    if due_before is not None:
        scoped = scoped.filter(due_at__lt=due_before)
    scoped = scoped.visible_to(user)
    assignments = list(
        scoped.select_related("offering__subject", "offering__teacher", "assessment").order_by("due_at", "pk")
    )
    if not assignments:
        return result
    submissions = {
        (row.assignment_id, row.student_id): row
        for row in Submission.objects.filter(
            student__in=[s.pk for s in students], assignment__in=[a.pk for a in assignments]
        )
        .order_by()
        .defer("text", "extracted_text", "feedback")
    }
    by_pk = {student.pk: student for student in students}
    rows: list[HomeworkRow] = []
    for assignment in assignments:
        for student_id in sorted(sections.get(assignment.offering.section_id, ())):
            submission = submissions.get((assignment.pk, student_id))
            if submission is not None:
                submission.assignment = assignment  # the row already read: no query per due_at
            rows.append(
                HomeworkRow(
                    assignment=assignment,
                    student=by_pk[student_id],
                    submission=submission,
                    state=states.work_state(assignment, submission, now),
                    can_hand_in=states.can_hand_in(assignment, submission, now),
                )
            )
    returned = [row for row in rows if with_marks and row.is_returned and row.assignment.assessment_id]
    if returned:
        marks = {
            (mark.assessment_id, mark.student_id): mark
            for mark in Mark.objects.filter(
                student__in=[s.pk for s in students],
                assessment__in={row.assignment.assessment_id for row in returned},
            )
        }
        for row in returned:
            row.mark = marks.get((row.assignment.assessment_id or 0, row.student.pk))
    for row in rows:
        result[row.student.pk].append(row)
    return result


def homework_groups(rows: Sequence[HomeworkRow], now: datetime.datetime) -> HomeworkGroups:
    """A student's rows sorted into what needs doing (overdue, due soon, later) and what is done."""
    groups = HomeworkGroups()
    soon = now + datetime.timedelta(days=DUE_SOON_DAYS)
    for row in rows:
        if row.state == WorkState.MISSING:
            groups.overdue.append(row)
        elif row.state == WorkState.DUE:
            (groups.due_soon if row.due_at <= soon else groups.later).append(row)
        elif row.state == WorkState.MARKED:
            groups.marked.append(row)
        else:
            groups.handed_in.append(row)
    groups.overdue.sort(key=lambda row: row.due_at)
    groups.due_soon.sort(key=lambda row: row.due_at)
    groups.later.sort(key=lambda row: row.due_at)
    groups.handed_in.sort(key=lambda row: row.due_at, reverse=True)
    groups.marked.sort(
        key=lambda row: row.submission.returned_at if row.submission and row.submission.returned_at else now,
        reverse=True,
    )
    return groups


@dataclass
class WeekDay:
    day: datetime.date
    rows: list[HomeworkRow]
    is_today: bool

    @property
    def weekday_name(self) -> str:
        """The day's name in the reader's language ("Wednesday")."""
        return str(WEEKDAYS[self.day.weekday()])


def week_start(value: str | None, today: datetime.date) -> tuple[datetime.date, bool]:
    """The Monday of the week `value` (YYYY-MM-DD, any day of it) falls in, or this week's; and whether the
    value was understood (an unreadable one shows this week, and the page says so)."""
    understood = True
    day = today
    if value:
        asked = query_date(value)
        # A week a school year can be in: a date at the ends of the calendar (0001-01-01, 9999-12-31) would
        # overflow its Monday, its next week or the time zone's conversion.
        if asked is not None and WEEK_YEARS[0] <= asked.year <= WEEK_YEARS[1]:
            day = asked
        else:
            understood = False
    return day - datetime.timedelta(days=day.weekday()), understood


def week_bounds(monday: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The week's first and last moment in the school's time zone, as aware datetimes."""
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(monday, datetime.time.min, tzinfo=zone)
    return start, datetime.datetime.combine(
        monday + datetime.timedelta(days=7), datetime.time.min, tzinfo=zone
    )


def week_days(rows: Sequence[HomeworkRow], monday: datetime.date, today: datetime.date) -> list[WeekDay]:
    """Seven days from `monday`, each with the rows due that day (in the school's time zone)."""
    by_day: dict[datetime.date, list[HomeworkRow]] = defaultdict(list)
    for row in rows:
        by_day[timezone.localdate(row.due_at)].append(row)
    days = [monday + datetime.timedelta(days=offset) for offset in range(7)]
    return [WeekDay(day=day, rows=by_day.get(day, []), is_today=day == today) for day in days]


def state_counts(rows: Sequence[HomeworkRow]) -> dict[str, int]:
    """How many rows are in each state (every state present, zero or more)."""
    counts = dict.fromkeys(WorkState.values, 0)
    for row in rows:
        counts[row.state] += 1
    return counts


@dataclass
class HomeworkDue:
    """What a home page says of a student's homework: what is overdue and what is due within the week."""

    overdue: list[HomeworkRow]
    due_soon: list[HomeworkRow]


def homework_due(
    *,
    user,
    students: Sequence[Student],
    year: AcademicYear | None,
    now: datetime.datetime | None = None,
    enrollments: Sequence[Enrollment] | None = None,
) -> dict[int, HomeworkDue]:
    """Each student's overdue work and work due in the next DUE_SOON_DAYS, by student id (a fixed number of
    queries whatever the number of students or assignments)."""
    now = now or timezone.now()
    rows = homework_by_student(
        user=user,
        students=students,
        year=year,
        now=now,
        due_before=now + datetime.timedelta(days=DUE_SOON_DAYS),
        with_marks=False,
        enrollments=enrollments,
    )
    result = {}
    for student_id, student_rows in rows.items():
        groups = homework_groups(student_rows, now)
        result[student_id] = HomeworkDue(overdue=groups.overdue, due_soon=groups.due_soon)
    return result
