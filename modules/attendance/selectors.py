from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Prefetch, Subquery

from modules.academics.models import Enrollment, EnrollmentStatus
from modules.attendance.models import AttendanceRecord, AttendanceStatus, Register
from modules.people.models import Student


@dataclass
class RegisterRow:
    student: Student
    record: AttendanceRecord | None

    @property
    def status(self) -> str:
        return self.record.status if self.record else AttendanceStatus.PRESENT

    @property
    def is_marked(self) -> bool:
        return self.record is not None


def register_students(register: Register):
    """The students on a register: active enrollments in its section for the section's year."""
    return Student.objects.filter(
        enrollments__section_id=register.section_id,
        enrollments__status=EnrollmentStatus.ACTIVE,
        is_active=True,
    )


def register_rows(register: Register) -> list[RegisterRow]:
    """Every student on the register with their record (None = not marked, shown as present). Two queries."""
    # order_by(): one record per student, so no join to sort them by name.
    records = AttendanceRecord.objects.filter(register=register).order_by()
    students = (
        register_students(register)
        .prefetch_related(Prefetch("attendance_records", queryset=records, to_attr="register_records"))
        .order_by("last_name", "first_name")
    )
    return [
        RegisterRow(student=s, record=(s.register_records[0] if s.register_records else None))
        for s in students
    ]


@dataclass(frozen=True)
class RegisterCounts:
    """A register's counters: present, absent, late, excused and unmarked add up to `total`."""

    total: int
    present: int
    absent: int
    late: int
    excused: int
    unmarked: int


def register_counts(rows: list[RegisterRow]) -> RegisterCounts:
    """Each student counted once: by their mark, or as unmarked (an unmarked row is drawn "present", the
    status it is saved with on submission, but it is not counted present until then)."""
    counts = dict.fromkeys(AttendanceStatus.values, 0)
    unmarked = 0
    for row in rows:
        if row.is_marked:
            counts[row.status] += 1
        else:
            unmarked += 1
    return RegisterCounts(
        total=len(rows),
        present=counts[AttendanceStatus.PRESENT],
        absent=counts[AttendanceStatus.ABSENT],
        late=counts[AttendanceStatus.LATE],
        excused=counts[AttendanceStatus.EXCUSED],
        unmarked=unmarked,
    )


def register_tally(register: Register) -> RegisterCounts:
    """The counters without loading the rows: one query grouping the register's students by their mark."""
    # order_by(): the records' default ordering (by student name) would join the students in the subquery.
    mark = (
        AttendanceRecord.objects.filter(register_id=register.pk, student_id=OuterRef("pk"))
        .order_by()
        .values("status")
    )
    groups = (
        register_students(register)
        .annotate(mark=Subquery(mark[:1]))
        .order_by()
        .values("mark")
        .annotate(n=Count("pk", distinct=True))
    )
    by_mark = {group["mark"]: group["n"] for group in groups}
    unmarked = by_mark.pop(None, 0)
    return RegisterCounts(
        total=unmarked + sum(by_mark.values()),
        present=by_mark.get(AttendanceStatus.PRESENT, 0),
        absent=by_mark.get(AttendanceStatus.ABSENT, 0),
        late=by_mark.get(AttendanceStatus.LATE, 0),
        excused=by_mark.get(AttendanceStatus.EXCUSED, 0),
        unmarked=unmarked,
    )


def register_marks_by_status(register_ids: list[int]) -> dict[int, dict[str, int]]:
    """For a list of registers: how many records of each status each has (one query)."""
    result: dict[int, dict[str, int]] = {pk: {} for pk in register_ids}
    rows = (
        AttendanceRecord.objects.filter(register_id__in=register_ids)
        .order_by()
        .values("register_id", "status")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        result[row["register_id"]][row["status"]] = row["n"]
    return result


def student_on_register(register: Register, student_id: int) -> Student | None:
    return register_students(register).filter(pk=student_id).first()


def enrollment_exists(register: Register, student_id: int) -> bool:
    return Enrollment.objects.filter(
        section_id=register.section_id, student_id=student_id, status=EnrollmentStatus.ACTIVE
    ).exists()


def registers_between(section_id: int, start: datetime.date, end: datetime.date):
    return Register.objects.filter(section_id=section_id, date__range=(start, end))
