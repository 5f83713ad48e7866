"""What families (and the child's teachers and the office) see of a child's attendance: a month calendar and
the term's rate (selectors.attendance_summary, the one definition). Reads only; every figure comes from one
ORM aggregation, never a query per day."""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Max, QuerySet, When
from django.utils.translation import gettext as _

from modules.academics.models import CalendarEvent, Term
from modules.accounts.models import Role
from modules.attendance.models import AttendanceRecord, AttendanceStatus, RegisterState
from modules.attendance.selectors import AttendanceSummary, student_attendance
from modules.people.models import Student

# Which status a day shows when it had several lessons with different marks (the most serious first).
DAY_PRIORITY = [
    AttendanceStatus.ABSENT,
    AttendanceStatus.EXCUSED,
    AttendanceStatus.LATE,
    AttendanceStatus.PRESENT,
]


def guardian_children(user) -> QuerySet[Student]:
    """The children a guardian login may send absence notes for."""
    if not user.is_authenticated or Role.GUARDIAN not in user.roles:
        return Student.objects.none()
    return Student.objects.filter(
        pk__in=Student.objects.filter(guardian_links__guardian__user=user).values("pk")
    )


def submitted_records(student: Student) -> QuerySet[AttendanceRecord]:
    """Only submitted registers count: marks being taken right now are not final and families do not see
    them."""
    return AttendanceRecord.objects.filter(student=student, register__state=RegisterState.SUBMITTED)


def parse_month(value: str | None, today: datetime.date) -> tuple[datetime.date, bool]:
    """The first day of the month asked for (?month=YYYY-MM), or of this month; and whether the value was
    understood (False: show this month and say so)."""
    if not value:
        return today.replace(day=1), True
    try:
        year, month = (int(part) for part in value.split("-", 1))
        first = datetime.date(year, month, 1)
    except (TypeError, ValueError):
        return today.replace(day=1), False
    if not 2000 <= first.year <= 2100:
        return today.replace(day=1), False
    return first, True


def month_shift(first: datetime.date, months: int) -> datetime.date:
    index = first.year * 12 + first.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class CalendarDay:
    date: datetime.date
    status: str  # present, absent, late, excused, closed, weekend, none, upcoming
    label: str
    detail: str = ""

    @property
    def is_mark(self) -> bool:
        return self.status in AttendanceStatus.values


def _mark_day(day: datetime.date, counts: dict[str, int], minutes: int | None) -> CalendarDay:
    status = next(s for s in DAY_PRIORITY if counts.get(s))
    if status == AttendanceStatus.LATE:
        label = _("Late %(minutes)s min") % {"minutes": minutes or 0}
    else:
        label = str(
            {
                AttendanceStatus.PRESENT: _("Present"),
                AttendanceStatus.ABSENT: _("Absent"),
                AttendanceStatus.EXCUSED: _("Excused"),
            }[status]
        )
    total = sum(counts.values())
    detail = ""
    if total > 1:
        detail = _("%(count)s of %(total)s lessons") % {"count": counts[status], "total": total}
    return CalendarDay(date=day, status=status, label=label, detail=detail)


def month_calendar(
    student: Student, first: datetime.date, today: datetime.date
) -> list[list[CalendarDay | None]]:
    """The month as weeks (Monday first) of days with their status. Two queries: the month's marks grouped
    by day and status, and the closures overlapping the month."""
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    marks: dict[datetime.date, dict[str, int]] = {}
    late_minutes: dict[datetime.date, int | None] = {}
    rows = (
        submitted_records(student)
        .filter(date__range=(first, last))
        .values("date", "status")
        .annotate(n=Count("pk"), minutes=Max("late_minutes"))
        .order_by()
    )
    for row in rows:
        marks.setdefault(row["date"], {})[row["status"]] = row["n"]
        if row["status"] == AttendanceStatus.LATE:
            late_minutes[row["date"]] = row["minutes"]
    closed: dict[datetime.date, str] = {}
    for event in CalendarEvent.objects.closures().filter(start_date__lte=last, end_date__gte=first):
        day = max(event.start_date, first)
        while day <= min(event.end_date, last):
            closed.setdefault(day, event.name)
            day += datetime.timedelta(days=1)

    weeks: list[list[CalendarDay | None]] = []
    week: list[CalendarDay | None] = [None] * first.weekday()
    for number in range(1, last.day + 1):
        day = first.replace(day=number)
        if day in marks:
            entry = _mark_day(day, marks[day], late_minutes.get(day))
        elif day in closed:
            entry = CalendarDay(date=day, status="closed", label=_("School closed"), detail=closed[day])
        elif day.weekday() >= 5:
            entry = CalendarDay(date=day, status="weekend", label=_("Weekend"))
        elif day > today:
            entry = CalendarDay(date=day, status="upcoming", label="")
        else:
            entry = CalendarDay(date=day, status="none", label=_("No record"))
        week.append(entry)
        if len(week) == 7:
            weeks.append(week)
            week = []
    if week:
        weeks.append(week + [None] * (7 - len(week)))
    return weeks


@dataclass(frozen=True)
class TermRate:
    """This term's attendance so far (selectors.attendance_summary: the figure the report card, the reports
    and the exports show too)."""

    term: Term | None
    summary: AttendanceSummary = field(default_factory=AttendanceSummary)


def rate_term(today: datetime.date) -> Term | None:
    """The term running today, or else the last one that has started (between terms). One query."""
    return (
        Term.objects.filter(start_date__lte=today)
        .annotate(running=Case(When(end_date__gte=today, then=1), default=0, output_field=IntegerField()))
        .order_by("-running", "-start_date")
        .first()
    )


def term_rate(student: Student, today: datetime.date) -> TermRate:
    """The attendance summary for the current term so far. Two queries (the term, one aggregation)."""
    term = rate_term(today)
    if term is None:
        return TermRate(term=None)
    summary = student_attendance(student.pk, term.start_date, min(term.end_date, today))
    return TermRate(term=term, summary=summary)
