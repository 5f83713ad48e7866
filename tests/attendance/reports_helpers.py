"""Hand-made attendance history for the reports tests: a past school year (so every day is in the past),
sections with the persona teachers as homeroom teachers, and registers with records, written in bulk."""

from __future__ import annotations

import datetime

from modules.academics.models import AcademicYear, Section
from modules.attendance.models import AttendanceRecord, Register
from modules.attendance.services import tallies_rebuild
from tests import factories as f

YEAR_START = datetime.date(2023, 9, 1)
YEAR_END = datetime.date(2024, 7, 15)


def past_year() -> AcademicYear:
    year, _created = AcademicYear.objects.get_or_create(
        name="2023/2024", defaults={"start_date": YEAR_START, "end_date": YEAR_END, "is_current": False}
    )
    return year


def past_section(name: str, *, teacher=None, grade: str = "Grade 7", order: int = 7) -> Section:
    level = f.GradeLevelFactory(name=grade, order=order)
    return f.SectionFactory(
        year=past_year(),
        grade_level=level,
        name=name,
        homeroom_teacher=teacher.staff_profile if teacher is not None else None,
    )


def pupils(section: Section, *names: str):
    """Students enrolled (active) in the section, named "First Last"."""
    result = []
    for name in names:
        first, last = name.split(" ", 1)
        student = f.StudentFactory(first_name=first, last_name=last)
        f.EnrollmentFactory(student=student, section=section)
        result.append(student)
    return result


def school_days(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    days, day = [], first
    while day <= last:
        if day.weekday() < 5:
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


def daily_registers(section: Section, days: list[datetime.date]) -> dict[datetime.date, Register]:
    Register.objects.bulk_create(
        [Register(kind="daily", date=day, section=section, state="submitted") for day in days]
    )
    return {r.date: r for r in Register.objects.filter(section=section, kind="daily", date__in=days)}


def mark(
    registers: dict, marks: dict, *, default: str | None = "present", students=(), tallied: bool = True
) -> None:
    """Records for every register: `marks[(student, day)] = status`; everyone else gets `default`. Written
    in bulk, then tallied as `manage.py attendance_tallies` does (unless `tallied` is False: records loaded
    around the services, which the reports count from the records)."""
    records = []
    for day, register in registers.items():
        for student in students:
            status = marks.get((student, day), default)
            if status is None:
                continue
            records.append(
                AttendanceRecord(
                    register=register,
                    student=student,
                    status=status,
                    date=day,
                    late_minutes=5 if status == "late" else None,
                )
            )
    AttendanceRecord.objects.bulk_create(records)
    if tallied and registers:
        tallies_rebuild(start=min(registers), end=max(registers))
