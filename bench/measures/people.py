"""The office's student list (first page, and a filtered search) and the bulk import of 3,000 students."""

from __future__ import annotations

import datetime
import io
import random
from urllib.parse import urlencode

from django.db import transaction
from django.db.models import Count
from django.urls import reverse

from bench.registry import measure
from modules.accounts import demo

LIST_BUDGET_MS = 60
IMPORT_ROWS = 3000


@measure("people: student list, first page", budget_ms=LIST_BUDGET_MS)
def student_list(bench):
    client = bench.client_for(demo.ADMIN_EMAIL)
    url = reverse("people:student_list")
    return lambda: bench.get(client, url)


@measure("people: student list, filtered search", budget_ms=LIST_BUDGET_MS)
def student_search(bench):
    """A name search within one grade level: the commonest family name's first four letters, in Grade 7."""
    from modules.academics.models import GradeLevel
    from modules.people.models import Student

    client = bench.client_for(demo.ADMIN_EMAIL)
    common = Student.objects.values("last_name").annotate(n=Count("id")).order_by("-n", "last_name").first()
    grade = GradeLevel.objects.get(name="Grade 7")
    query = urlencode({"q": common["last_name"][:4], "grade_level": grade.pk})
    url = f"{reverse('people:student_list')}?{query}"
    return lambda: bench.get(client, url)


class _Rollback(Exception):
    pass


def build_import_workbook(rows: int, *, seed: int = 7) -> bytes:
    """An .xlsx of new students with their guardians, headed by the import's own column names.

    Siblings share their guardians' emails (the import reuses a guardian met earlier in the file); every
    student goes into a section of the current year.
    """
    from faker import Faker
    from openpyxl import Workbook

    from modules.academics.importing import IMPORT_COLUMNS
    from modules.academics.models import Section
    from modules.academics.selectors import current_year

    rng = random.Random(seed)
    fake = Faker(["en_US", "es_ES", "fr_FR"])
    fake.seed_instance(seed)
    sections = list(Section.objects.filter(year=current_year()).values_list("name", flat=True))
    headers = [column.name for column in IMPORT_COLUMNS]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Students")
    sheet.append(headers)
    written = family = 0
    while written < rows:
        family += 1
        last = fake.last_name()
        mother, father = fake.first_name_female(), fake.first_name_male()
        for _child in range(min(rows - written, rng.choice([1, 1, 1, 2, 2, 3]))):
            written += 1
            female = rng.random() < 0.5
            values = {
                "admission_number": f"BENCH{written:05d}",
                "first_name": fake.first_name_female() if female else fake.first_name_male(),
                "last_name": last,
                "date_of_birth": datetime.date(2010, 9, 1) + datetime.timedelta(days=rng.randint(0, 365 * 8)),
                "gender": "F" if female else "M",
                "section": rng.choice(sections),
                "address": f"{rng.randint(1, 999)} Bench Street",
                "guardian1_first_name": mother,
                "guardian1_last_name": last,
                "guardian1_email": f"bench.family{family}.mother@example.com",
                "guardian1_phone": f"+1 555 {rng.randint(1000, 9999)}",
                "guardian1_relationship": "mother",
                "guardian2_first_name": father if family % 3 else "",
                "guardian2_last_name": last if family % 3 else "",
                "guardian2_email": f"bench.family{family}.father@example.com" if family % 3 else "",
                "guardian2_relationship": "father" if family % 3 else "",
            }
            sheet.append([values.get(name, "") for name in headers])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@measure(
    "people: import 3,000 students (xlsx)",
    budget_ms=20_000,
    runs=3,
    warmup=0,
    note=(
        "3 timed runs, no warm-up: each run is a whole import (upload check, dry run, write) of 3,000 rows "
        "with their guardians, rolled back afterwards so every run starts from the same database."
    ),
)
def student_import(bench):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from modules.academics.importing import (
        Phase,
        import_job_create,
        import_phase,
        student_import_commit,
        student_import_validate,
    )

    admin = bench.user(demo.ADMIN_EMAIL)
    content = build_import_workbook(IMPORT_ROWS)

    def run():
        try:
            with transaction.atomic():
                upload = SimpleUploadedFile(
                    "students.xlsx",
                    content,
                    content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                )
                job = import_job_create(owner=admin, upload=upload)
                student_import_validate(job=job)
                student_import_commit(job=job)
                job.refresh_from_db()
                if import_phase(job) != Phase.IMPORTED:
                    errors = [e for row in job.result.get("rows", []) for e in row.get("errors", [])][:3]
                    file_errors = job.result.get("file_errors", [])
                    raise RuntimeError(
                        f"import ended in {import_phase(job)}: {job.message} {file_errors} {errors}"
                    )
                imported = job.result["imported"]["students"]
                if imported != IMPORT_ROWS:
                    raise RuntimeError(f"imported {imported} students, expected {IMPORT_ROWS}")
                raise _Rollback
        except _Rollback:
            pass

    return run
