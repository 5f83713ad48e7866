from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from modules.academics.models import Enrollment, EnrollmentStatus
from modules.attendance.models import (
    AttendancePolicy,
    AttendanceRecord,
    AttendanceStatus,
    GradeRegisterMode,
    Register,
    RegisterModes,
    RegisterState,
)
from modules.people.models import Student

# --- the attendance rate: one definition for every page, PDF, message and export ---------------------------

HUNDRED = Decimal(100)
ONE_DECIMAL = Decimal("0.1")


@dataclass
class AttendanceSummary:
    """A student's (or a group's) marks over a period, counted by `session_records`, and the rate. The
    definition, the same on every page, PDF, message and export (the family page, the report card, the
    office's reports and chronic absence, the weekly digest, the monthly register):

    - a *possible session* is a submitted register whose kind is the register mode of its section's grade
      level (the grade's own, else the school's: a day for a daily grade, a lesson for a per-lesson grade)
      and on which the student has a mark. A register not taken, or still being taken, is not a possible
      session (nothing is final yet), nor is a register of the other kind (a daily register of a grade that
      takes one per lesson: kept, but not counted);
    - attended: marked present or late (a late arrival is attended);
    - authorised absence: marked excused (an accepted reason, but still a session missed);
    - unauthorised absence: marked absent;
    - attendance rate = attended / possible sessions, in percent, one decimal, rounded half up; None when
      there is no possible session. Missed = 100 - rate. Chronic absence: missed at least the school's
      threshold (AttendancePolicy.chronic_absence_percent) of the possible sessions.
    """

    present: int = 0  # present on time
    late: int = 0
    absent: int = 0  # unauthorised absence
    excused: int = 0  # authorised absence

    @classmethod
    def from_row(cls, row: dict) -> AttendanceSummary:
        return cls(**{status: row.get(status) or 0 for status in STATUS_FIELDS})

    def add(self, other: AttendanceSummary) -> None:
        self.present += other.present
        self.late += other.late
        self.absent += other.absent
        self.excused += other.excused

    @property
    def possible(self) -> int:
        return self.present + self.late + self.absent + self.excused

    @property
    def attended(self) -> int:
        """Present, on time or late."""
        return self.present + self.late

    @property
    def authorised(self) -> int:
        return self.excused

    @property
    def unauthorised(self) -> int:
        return self.absent

    @property
    def missed(self) -> int:
        return self.absent + self.excused

    @property
    def rate(self) -> Decimal | None:
        """Attended as a percentage of possible sessions, one decimal, half up (None: nothing possible)."""
        if not self.possible:
            return None
        return (Decimal(self.attended) * HUNDRED / Decimal(self.possible)).quantize(
            ONE_DECIMAL, rounding=ROUND_HALF_UP
        )

    @property
    def missed_percent(self) -> Decimal | None:
        """100 - rate (so that the two always add up to 100 on a page)."""
        rate = self.rate
        return None if rate is None else HUNDRED - rate

    def is_chronic(self, threshold: Decimal) -> bool:
        """Missed at least `threshold` % of the possible sessions (exactly, before rounding)."""
        return bool(self.possible) and self.missed * HUNDRED >= threshold * self.possible


STATUS_FIELDS = ("present", "late", "absent", "excused")


def status_counts() -> dict:
    """The aggregations of AttendanceSummary's fields: {"present": Count(..., filter=...), ...}."""
    return {status: Count("pk", filter=Q(status=status)) for status in STATUS_FIELDS}


def counted_registers_q(mode: RegisterModes | str | None = None, prefix: str = "") -> Q:
    """The registers that are possible sessions by kind (selectors.AttendanceSummary): those whose kind is
    the mode of their section's grade level (`mode`: the modes, or one kind for registers of that kind only,
    else the policy's, read inside the same query: no query of its own). `prefix` reaches the register."""
    if isinstance(mode, RegisterModes):
        return mode.counted_q(prefix)
    if mode is not None:
        return Q(**{f"{prefix}kind": mode})
    # The grade's own mode, else the school's, else the policy's default when it was never saved.
    grade_mode = GradeRegisterMode.objects.filter(
        grade_level_id=OuterRef(f"{prefix}section__grade_level_id")
    ).values("mode")[:1]
    kind = Coalesce(
        Subquery(grade_mode),
        Subquery(AttendancePolicy.objects.order_by("pk").values("mode")[:1]),
        Value(AttendancePolicy._meta.get_field("mode").default),
    )
    return Q(**{f"{prefix}kind": kind})


def session_records(
    start: datetime.date, end: datetime.date, *, mode: RegisterModes | str | None = None
) -> QuerySet[AttendanceRecord]:
    """The marks that count as possible sessions between two days (both included): on submitted registers
    whose kind is the mode of their section's grade level (`mode`: the RegisterModes, or one kind of
    register, else the policy's modes read in the same query)."""
    return AttendanceRecord.objects.filter(
        counted_registers_q(mode, "register__"),
        date__range=(start, end),
        register__state=RegisterState.SUBMITTED,
    )


def attendance_summary(
    students: Iterable[int] | QuerySet | None,
    start: datetime.date,
    end: datetime.date,
    *,
    mode: RegisterModes | str | None = None,
) -> dict[int, AttendanceSummary]:
    """Each student's AttendanceSummary (the one definition of the attendance rate: see its docstring)
    between two days (both included), by student id; a student with no possible session gets an empty
    summary (rate None), also when looked up by a key not asked for. One query whatever the number of
    students (the register modes, when `mode` is not given, are read in the same query).

    `students`: ids, or a queryset of students (used as a subquery), or None for every student (one scan of
    the period, for recounting a whole term)."""
    records = session_records(start, end, mode=mode)
    if students is not None:
        if not isinstance(students, QuerySet):
            students = list(students)
        records = records.filter(student_id__in=students)
    rows = (
        records.values_list("student_id")
        .annotate(**status_counts())
        .order_by()
        .values_list("student_id", *STATUS_FIELDS)
    )
    found: dict[int, AttendanceSummary] = defaultdict(AttendanceSummary)
    for row in rows:
        found[row[0]] = AttendanceSummary(*row[1:])
    return found


def student_attendance(
    student_id: int, start: datetime.date, end: datetime.date, *, mode: RegisterModes | str | None = None
) -> AttendanceSummary:
    """One student's summary (see attendance_summary)."""
    return attendance_summary([student_id], start, end, mode=mode)[student_id]


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
