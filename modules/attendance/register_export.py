"""The classic monthly register of a section: students × the days of a month, with the codes and totals,
as a PDF (A4 landscape, for the printer and the file) or an XLSX workbook.

Codes: P present, L late, A absent, E excused; blank when nothing was recorded (or the register is still
being taken); "—" on weekends and days the school was closed. Each student's rate for the month is the one
definition (selectors.attendance_summary): present or late, out of the registers taken of the kind of the
section's grade level (its own register mode, else the school's). In a per-lesson grade one code sums up the
day: A (or E) only when every lesson was missed, else L when late to any, else P; single missed lessons are
on the reports page as patterns.
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from modules.academics.models import CalendarEvent, Section
from modules.attendance.models import AttendancePolicy, AttendanceStatus, RegisterModes
from modules.attendance.selectors import AttendanceSummary, attendance_summary, session_records
from modules.core.audit import audit_log
from modules.core.models import SchoolProfile

CODES = {
    AttendanceStatus.PRESENT: "P",
    AttendanceStatus.LATE: "L",
    AttendanceStatus.ABSENT: "A",
    AttendanceStatus.EXCUSED: "E",
}
NO_SCHOOL = "—"


@dataclass
class Day:
    date: datetime.date
    open: bool  # a school day (not a weekend, holiday or closure)
    closure: str = ""
    present: int = 0  # P + L
    absent: int = 0  # A + E

    @property
    def weekday_initial(self) -> str:
        return date_format(self.date, "D")[:2]


@dataclass
class Line:
    student: object
    codes: list[str]
    totals: dict[str, int] = field(default_factory=dict)
    # The month's attendance (selectors.attendance_summary): the rate the family page and the report card
    # give for the same days. In per-lesson mode it counts lessons, the codes count days.
    summary: AttendanceSummary = field(default_factory=AttendanceSummary)

    @property
    def present(self) -> int:
        return self.totals.get("P", 0)

    @property
    def late(self) -> int:
        return self.totals.get("L", 0)

    @property
    def absent(self) -> int:
        return self.totals.get("A", 0)

    @property
    def excused(self) -> int:
        return self.totals.get("E", 0)


@dataclass
class MonthlyRegister:
    school: SchoolProfile
    section: Section
    month: datetime.date  # the first day
    days: list[Day]
    lines: list[Line]
    generated_at: datetime.datetime

    @property
    def title(self) -> str:
        return _("Attendance register · %(section)s · %(month)s") % {
            "section": self.section.name,
            "month": date_format(self.month, "YEAR_MONTH_FORMAT"),
        }

    @property
    def school_days(self) -> int:
        return sum(1 for day in self.days if day.open)

    @property
    def totals(self) -> dict[str, int]:
        summed: dict[str, int] = defaultdict(int)
        for line in self.lines:
            for code, count in line.totals.items():
                summed[code] += count
        return dict(summed)


def parse_month(text: str | None, today: datetime.date | None = None) -> datetime.date | None:
    """ "2025-03" → 1 March 2025; empty → this month; anything else (or an absurd year) → None."""
    if not text:
        today = today or timezone.localdate()
        return today.replace(day=1)
    try:
        year, month = (int(part) for part in text.strip().split("-"))
        first = datetime.date(year, month, 1)
    except ValueError:
        return None
    return first if 2000 <= first.year <= 2100 else None


def _day_code(statuses: list[str]) -> str:
    """One code for a day from the student's records that day (one record in daily mode)."""
    if len(statuses) == 1:
        return CODES.get(statuses[0], "")
    missed = [s for s in statuses if s in (AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED)]
    if len(missed) == len(statuses):
        return "E" if all(s == AttendanceStatus.EXCUSED for s in missed) else "A"
    return "L" if AttendanceStatus.LATE in statuses else "P"


def monthly_register(
    *, section: Section, month: datetime.date, mode: RegisterModes | str | None = None
) -> MonthlyRegister:
    """The register of a section for a month. Five queries whatever the class size."""
    modes = RegisterModes.coerce(mode or AttendancePolicy.load().modes)
    last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    closures: dict[datetime.date, str] = {}
    for event in CalendarEvent.objects.closures().filter(start_date__lte=last, end_date__gte=month):
        day = max(event.start_date, month)
        while day <= min(event.end_date, last):
            closures.setdefault(day, event.name)
            day += datetime.timedelta(days=1)
    days = [
        Day(
            date=month + datetime.timedelta(days=offset),
            open=(month + datetime.timedelta(days=offset)).weekday() < 5
            and (month + datetime.timedelta(days=offset)) not in closures,
            closure=closures.get(month + datetime.timedelta(days=offset), ""),
        )
        for offset in range(last.day)
    ]

    statuses: dict[int, dict[datetime.date, list[str]]] = defaultdict(lambda: defaultdict(list))
    # Only the marks that count (submitted registers of the section's grade's mode), as for the rate.
    records = session_records(month, last, mode=modes.for_grade(section.grade_level_id)).filter(
        register__section=section
    )
    for student_id, day, status in records.values_list("student_id", "date", "status").order_by():
        statuses[student_id][day].append(status)

    from modules.people.models import Student

    students = list(
        Student.objects.filter(
            Q(enrollments__section=section, enrollments__status="active") | Q(pk__in=list(statuses))
        )
        .distinct()
        .order_by("last_name", "first_name")
    )
    summaries = attendance_summary([student.pk for student in students], month, last, mode=modes)
    lines = []
    for student in students:
        codes, totals = [], defaultdict(int)
        for index, day in enumerate(days):
            found = statuses.get(student.pk, {}).get(day.date)
            if found:
                code = _day_code(found)
                totals[code] += 1
                if code in ("P", "L"):
                    days[index].present += 1
                else:
                    days[index].absent += 1
            else:
                code = "" if day.open else NO_SCHOOL
            codes.append(code)
        lines.append(Line(student=student, codes=codes, totals=dict(totals), summary=summaries[student.pk]))
    return MonthlyRegister(
        school=SchoolProfile.load(),
        section=section,
        month=month,
        days=days,
        lines=lines,
        generated_at=timezone.now(),
    )


def monthly_register_export(
    *, section: Section, month: datetime.date, by, file_format: str
) -> MonthlyRegister:
    """The monthly register for a download, with the audit event that says who took the data."""
    register = monthly_register(section=section, month=month)
    audit_log(
        actor=by,
        action="attendance.register_export",
        obj=section,
        after={"month": month.strftime("%Y-%m"), "format": file_format, "students": len(register.lines)},
    )
    return register


def register_sheet(register: MonthlyRegister) -> tuple[list[str], list[list]]:
    """Headers and rows for the XLSX: one row per student, then the totals of each day."""
    headers = [
        _("Student"),
        _("Admission number"),
        *[f"{day.date.day} {day.weekday_initial}" for day in register.days],
        "P",
        "L",
        "A",
        "E",
        _("Attendance rate (%)"),
    ]
    rows: list[list] = [
        [
            f"{line.student.last_name}, {line.student.first_name}",
            line.student.admission_number,
            *line.codes,
            line.present,
            line.late,
            line.absent,
            line.excused,
            line.summary.rate if line.summary.rate is not None else "",
        ]
        for line in register.lines
    ]
    totals = register.totals
    rows.append(
        [
            _("Present (P + L)"),
            "",
            *[day.present if day.open else NO_SCHOOL for day in register.days],
            totals.get("P", 0),
            totals.get("L", 0),
            "",
            "",
            "",
        ]
    )
    rows.append(
        [
            _("Absent (A + E)"),
            "",
            *[day.absent if day.open else NO_SCHOOL for day in register.days],
            "",
            "",
            totals.get("A", 0),
            totals.get("E", 0),
            "",
        ]
    )
    return headers, rows
