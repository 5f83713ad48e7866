"""Taking the register on the large school: the page of a 40-student section, one live mark, submitting.

The demo's sections have 30 students, so the measures use a dedicated bench fixture, created once and kept
(`bench_register`): section "Bench 40" of the current year with 40 students and its own homeroom teacher,
and its register for the day the bench runs; 25 of the students have a photo (as in the issue's measure),
the others show their initials. Nothing else in the demo school points at it.
"""

from __future__ import annotations

import datetime
import itertools
from urllib.parse import urlencode

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from bench.registry import measure

BENCH_TEACHER_EMAIL = "register.bench@demo.school"
BENCH_SECTION = "Bench 40"
CLASS_SIZE = 40
PHOTOS = 25
# What browsers and htmx send (the test client would otherwise post multipart, slower to parse).
FORM = "application/x-www-form-urlencoded"


def bench_register():
    """The bench fixture (idempotent): a 40-student section, its homeroom teacher, and today's register."""
    from modules.academics.models import Enrollment, GradeLevel, Section
    from modules.academics.selectors import current_year
    from modules.accounts.groups import group_for
    from modules.accounts.models import User
    from modules.attendance.models import Register, RegisterMode
    from modules.people.models import Position, Staff, Student

    year = current_year()
    user = User.objects.filter(email=BENCH_TEACHER_EMAIL).first()
    if user is None:
        user = User.objects.create_user(BENCH_TEACHER_EMAIL, first_name="Rita", last_name="Register")
        Staff.objects.create(
            user=user,
            first_name="Rita",
            last_name="Register",
            email=BENCH_TEACHER_EMAIL,
            staff_number="BENCH-REGISTER",
            position=Position.TEACHER,
        )
        user.groups.add(group_for(Position.TEACHER))
    section, _created = Section.objects.get_or_create(
        year=year,
        name=BENCH_SECTION,
        defaults={
            "grade_level": GradeLevel.objects.order_by("order").first(),
            "homeroom_teacher": user.staff_profile,
            "capacity": CLASS_SIZE,
        },
    )
    enrolled = section.enrollments.count()
    if enrolled < CLASS_SIZE:
        students = Student.objects.bulk_create(
            Student(
                first_name=f"Pupil{n:02d}",
                last_name=f"Bench{n:02d}",
                admission_number=f"BENCH-REG-{n:02d}",
                date_of_birth=datetime.date(2013, 1, 1) + datetime.timedelta(days=9 * n),
            )
            for n in range(enrolled + 1, CLASS_SIZE + 1)
        )
        Enrollment.objects.bulk_create(
            Enrollment(student=student, section=section, year=year) for student in students
        )
    _bench_photos(section)
    register, _created = Register.objects.get_or_create(
        kind=RegisterMode.DAILY, section=section, date=timezone.localdate()
    )
    return register


def _bench_photos(section) -> None:
    """A photo for the first PHOTOS students of the section (saved one by one: the model makes each one's
    thumbnail, as an upload would)."""
    import io

    from django.core.files.base import ContentFile
    from PIL import Image

    from modules.people.models import Student

    students = Student.objects.filter(enrollments__section=section).order_by("last_name", "first_name")
    for number, student in enumerate(students[:PHOTOS]):
        if student.photo:
            continue
        buffer = io.BytesIO()
        colour = f"#{(number * 9973) % 0xFFFFFF:06x}"
        Image.new("RGB", (480, 480), colour).save(buffer, format="JPEG", quality=85)
        student.photo.save(f"bench-{number:02d}.jpg", ContentFile(buffer.getvalue()), save=True)


def form_data(register, action: str) -> dict[str, str]:
    """Every field the register page's form sends, untouched (what "Submit register" posts)."""
    from modules.attendance.selectors import register_rows

    data = {"action": action}
    for row in register_rows(register):
        record, prefix = row.record, f"s{row.student.pk}"
        values = {
            "status": row.status,
            "late_minutes": "" if record is None or record.late_minutes is None else str(record.late_minutes),
            "reason": record.reason if record else "",
            "note": record.note if record else "",
        }
        for name, value in values.items():
            data[f"{prefix}-{name}"] = value
            data[f"initial-{prefix}-{name}"] = value
    return data


class _Rollback(Exception):
    pass


@measure("attendance: register page, 40 students (teacher)", budget_ms=25, budget_queries=8)
def register_page(bench):
    register = bench_register()
    client = bench.client_for(BENCH_TEACHER_EMAIL)
    url = reverse("attendance:register_detail", args=[register.pk])

    def run():
        response = bench.get(client, url)
        run.note = (  # type: ignore[attr-defined]
            f"The page weighs {len(response.content) / 1000:.1f} KB (HTML, uncompressed; issue 15 asks for "
            f"half of the 126 KB it measured), {PHOTOS} of its 40 rows with a photo thumbnail."
        )
        return response

    return run


@measure(
    "attendance: one live mark (HTMX)",
    budget_ms=10,
    note="Each run marks the next student of the 40 absent or late in turn (an update of a saved mark, "
    "with the row and the counters rendered back); the marks are kept, as a teacher's would be.",
)
def register_mark(bench):
    from bench.runner import BenchError

    register = bench_register()
    client = bench.client_for(BENCH_TEACHER_EMAIL)
    url = reverse("attendance:register_mark", args=[register.pk])
    students = list(register.section.enrollments.values_list("student_id", flat=True))
    turns = itertools.cycle((student, status) for status in ("absent", "late") for student in students)
    from modules.attendance.models import AttendanceRecord

    # Each row sends its base (the hidden initial-… copies of what it shows), as the page does; a stale base
    # is refused (409).
    fields = ("status", "late_minutes", "reason", "note")
    shown = {
        row[0]: dict(zip(fields, row[1:], strict=True))
        for row in AttendanceRecord.objects.filter(register=register).values_list("student_id", *fields)
    }

    def run():
        student, status = next(turns)
        base = shown.get(student, {"status": "present"})
        data = {"student": student, f"s{student}-status": status}
        data.update({f"initial-s{student}-{name}": base.get(name) or "" for name in fields})
        response = client.post(url, urlencode(data), content_type=FORM, headers={"HX-Request": "true"})
        if response.status_code != 200:
            raise BenchError(f"POST {url} answered {response.status_code}")
        shown[student] = {"status": status, "late_minutes": 0 if status == "late" else None}

    return run


@measure(
    "attendance: submit a register (notifications queued, not sent)",
    budget_ms=30,
    note='The whole register form (40 rows) posted with "Submit register": rows compared, unmarked students '
    "saved present, the register submitted, the redirect answered. Each run is inside a transaction that is "
    "rolled back, so the on_commit callbacks that would queue the guardians' notices never run (the bench "
    "runs Huey immediate) and every run submits the same in-progress register.",
)
def register_submit(bench):
    from bench.runner import BenchError
    from modules.attendance.models import AttendanceRecord

    register = bench_register()
    client = bench.client_for(BENCH_TEACHER_EMAIL)
    url = reverse("attendance:register_save", args=[register.pk])
    # Half the class marked, half left for submission to save present.
    AttendanceRecord.objects.filter(register=register, student__last_name__gt="Bench20").delete()
    data = urlencode(form_data(register, "submit"))

    def run():
        try:
            with transaction.atomic():
                response = client.post(url, data, content_type=FORM)
                if response.status_code != 302:
                    raise BenchError(f"POST {url} answered {response.status_code}")
                raise _Rollback
        except _Rollback:
            pass

    return run
