"""A file with some bad rows: the office imports the valid rows (explicitly, with their count), downloads the
rejected rows with the reason in a last column, corrects them and uploads that file as it is."""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from modules.academics.importing import import_uploads_purge
from modules.core.models import Job
from modules.people.models import Guardian, GuardianLink, Student
from tests import factories as f
from tests.people.test_import_files import (
    HEADERS,
    _on_the_queue,
    csv_upload,
    page_text,
    student_row,
    upload,
    xlsx_bytes,
    xlsx_upload,
)


@pytest.fixture
def office(as_user, admin, school):
    return as_user(admin)


def _five_rows_two_bad() -> list[dict]:
    return [
        student_row(1, guardian1_phone="+1 555 0101"),
        student_row(2, date_of_birth="31/02/2010", guardian1_phone="+1 555 0102"),
        student_row(3),
        student_row(4, section="9Z", gender="Q"),
        student_row(5),
    ]


def _imported() -> list[str]:
    return sorted(
        Student.objects.filter(admission_number__startswith="N").values_list("admission_number", flat=True)
    )


def choose_valid_rows(client, job: Job, digest: str | None = None):
    """Press "Import the N valid rows" as the page drew it (its hidden digest of the rows it showed)."""
    if digest is None:
        text = page_text(client.get(reverse("people:import_detail", args=[job.pk])))
        digest = re.search(r'name="valid_digest" value="([0-9a-f]+)"', text)[1]
    return _on_the_queue(client, reverse("people:import_confirm", args=[job.pk]), {"valid_digest": digest})


def rejected_rows(client, job: Job, file_format: str = "xlsx") -> list[list]:
    response = client.get(reverse("people:import_rejected", args=[job.pk, file_format]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    content = b"".join(response.streaming_content)
    if file_format == "csv":
        text = content.decode("utf-8-sig")
        return list(csv.reader(io.StringIO(text), delimiter=";" if ";" in text.split("\n")[0] else ","))
    return [list(row) for row in load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True)]


def test_it_imports_the_valid_rows_and_offers_the_rejected_ones(office, school):
    response = upload(office, xlsx_upload(_five_rows_two_bad()))
    job = Job.objects.get()
    text = page_text(response)
    assert "The dry run found 3 problems." in text
    assert "2 rows have problems and cannot be imported." in text
    assert "3 rows are valid." in text
    assert "Import the 3 valid rows" in text
    assert "Download rejected rows (.xlsx)" in text
    assert "Download rejected rows (.csv)" not in text  # the upload was a workbook
    assert _imported() == []  # nothing until the office chooses

    response = choose_valid_rows(office, job)
    text = page_text(response)
    assert "Import finished" in text
    assert "3 students imported" in text
    assert "2 rows were not imported." in text
    assert _imported() == ["N0001", "N0003", "N0005"]
    # A rejected row's student, guardian and enrolment are written together or not at all: not at all.
    assert not Guardian.objects.filter(email__in=["parent2@family.test", "parent4@family.test"]).exists()
    assert GuardianLink.objects.filter(student__admission_number__startswith="N").count() == 3
    assert "Download rejected rows (.xlsx)" in text


def test_the_rejected_rows_keep_the_uploaded_columns_and_say_why(office, school):
    upload(office, xlsx_upload(_five_rows_two_bad()))
    job = Job.objects.get()
    rows = rejected_rows(office, job)
    assert rows[0] == [*HEADERS, "Reason"]
    assert [row[0] for row in rows[1:]] == ["N0002", "N0004"]
    by_header = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert by_header[0]["date_of_birth"] == "31/02/2010"  # as typed, not as the portal read it
    assert by_header[0]["Reason"] == (
        "Date of birth '31/02/2010' is not a valid date (write it as YYYY-MM-DD or DD/MM/YYYY)."
    )
    assert by_header[1]["Reason"] == "Gender 'Q' is not F, M or X.; Section '9Z' does not exist this year."


def test_the_corrected_rejected_rows_import_as_they_are(office, school):
    upload(office, xlsx_upload(_five_rows_two_bad()))
    job = Job.objects.get()
    choose_valid_rows(office, job)
    rows = rejected_rows(office, job)
    headers = rows[0]
    fixed = [dict(zip(headers, row, strict=True)) for row in rows[1:]]
    fixed[0]["date_of_birth"] = "2010-02-28"
    fixed[1]["section"], fixed[1]["gender"] = "7B", "M"

    response = upload(office, SimpleUploadedFile("fixed.xlsx", xlsx_bytes(fixed, headers)))
    text = page_text(response)
    assert "No problems found" in text
    assert "not used and were ignored" not in text  # the Reason column is expected back
    second = Job.objects.exclude(pk=job.pk).get()
    _on_the_queue(office, reverse("people:import_confirm", args=[second.pk]))
    assert _imported() == ["N0001", "N0002", "N0003", "N0004", "N0005"]
    # The quote a spreadsheet download puts before "+1…" (formula protection) is not imported with it.
    assert Guardian.objects.get(email="parent2@family.test").phone == "+1 555 0102"


def test_a_csv_upload_gets_its_rejected_rows_as_csv_too(office, school):
    rows = [student_row(1), student_row(2, section="9Z")]
    response = upload(office, csv_upload(rows, delimiter=";"))
    job = Job.objects.get()
    assert "Download rejected rows (.csv)" in page_text(response)
    rejected = rejected_rows(office, job, "csv")
    assert rejected[0] == [*HEADERS, "Reason"]
    assert rejected[1][0] == "N0002"
    assert rejected[1][-1] == "Section '9Z' does not exist this year."
    assert rejected_rows(office, job, "xlsx")[1][0] == "N0002"

    rejected[1][HEADERS.index("section")] = "7A"
    content = "\ufeff" + "\r\n".join(";".join(row) for row in rejected) + "\r\n"
    choose_valid_rows(office, job)
    response = upload(office, SimpleUploadedFile("fixed.csv", content.encode()))
    assert "No problems found" in page_text(response)


def test_the_reason_column_is_in_the_office_language_and_ignored_in_any(as_user, admin, school):
    admin.language = "es"
    admin.save()
    office = as_user(admin)
    upload(office, xlsx_upload([student_row(1), student_row(2, section="9Z")]))
    job = Job.objects.get()
    rows = rejected_rows(office, job)
    assert rows[0][-1] == "Motivo"
    assert "9Z" in rows[1][-1]

    admin.language = "en"
    admin.save()
    rows[1][HEADERS.index("section")] = "7A"
    fixed = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    response = upload(office, SimpleUploadedFile("fixed.xlsx", xlsx_bytes(fixed, rows[0])))
    text = page_text(response)
    assert "No problems found" in text
    assert "not used and were ignored" not in text


def test_a_row_that_became_invalid_refuses_the_import_and_is_reported(office, school):
    upload(office, xlsx_upload(_five_rows_two_bad()))
    job = Job.objects.get()
    text = page_text(office.get(reverse("people:import_detail", args=[job.pk])))
    digest = re.search(r'name="valid_digest" value="([0-9a-f]+)"', text)[1]
    # Meanwhile someone registers a student with row 4's admission number (N0003, a valid row).
    f.StudentFactory(admission_number="N0003", first_name="Late", last_name="Comer")

    response = choose_valid_rows(office, job, digest)
    text = page_text(response)
    assert _imported() == ["N0003"]  # only the one registered meanwhile: nothing from the file
    assert "Nothing was imported: row 4 was valid in the dry run but has a problem now" in text
    assert "Row 4: admission number N0003 is already used by Late Comer." in text
    assert "Import the 2 valid rows" in text  # the office chooses again, with the new count
    assert [row[0] for row in rejected_rows(office, job)[1:]] == ["N0002", "N0003", "N0004"]

    # The page drawn before the change cannot confirm what it showed.
    response = choose_valid_rows(office, job, digest)
    assert "The dry run changed since this page was shown." in page_text(response)
    assert _imported() == ["N0003"]
    choose_valid_rows(office, job)
    assert _imported() == ["N0001", "N0003", "N0005"]


def test_a_rejected_row_does_not_bring_in_a_guardian_for_later_rows(office, school):
    rows = [
        student_row(1, guardian1_email="shared@family.test", date_of_birth="not a date"),
        student_row(2, guardian1_email="shared@family.test", guardian1_first_name="", guardian1_last_name=""),
        student_row(3, guardian1_email="other@family.test"),
        student_row(4, guardian1_email="other@family.test", guardian1_first_name="", guardian1_last_name=""),
    ]
    response = upload(office, xlsx_upload(rows))
    text = page_text(response)
    assert (
        "Row 3: guardian 1 has no first and last name here, and row 2, which names them, has problems."
        in text
    )
    assert "Import the 2 valid rows" in text
    # The preview names a sibling's guardian in full, from the row that brings them in.
    assert text.count("Parent3 Last3") == 2
    choose_valid_rows(office, Job.objects.get())
    assert _imported() == ["N0003", "N0004"]
    guardian = Guardian.objects.get(email="other@family.test")
    assert guardian.student_links.count() == 2


def test_the_preview_names_every_guardian_in_full(office, school):
    rows = [
        student_row(1, guardian1_first_name="María José", guardian1_last_name="García-Fernández de la Vega"),
        student_row(
            2, guardian1_email="parent1@family.test", guardian1_first_name="", guardian1_last_name=""
        ),
        student_row(3, guardian1_email="PARENT@school.test", guardian1_first_name="", guardian1_last_name=""),
    ]
    text = page_text(upload(office, xlsx_upload(rows)))
    assert text.count("María José García-Fernández de la Vega") == 2  # row 2 says only the email
    assert "Pat Parent" in text  # the portal's guardian, by the portal's name


def test_only_the_owner_downloads_rejected_rows_and_not_after_the_purge(as_user, office, admin, school):
    upload(office, xlsx_upload([student_row(1), student_row(2, section="9Z")]))
    job = Job.objects.get()
    from tests.conftest import _staff

    colleague = as_user(_staff("office2@school.test", "administrator", "Col", "League"))
    assert colleague.get(reverse("people:import_rejected", args=[job.pk, "xlsx"])).status_code == 404
    office = as_user(admin)
    assert office.get(reverse("people:import_rejected", args=[job.pk, "pdf"])).status_code == 404
    assert office.get(reverse("people:import_rejected", args=[job.pk, "csv"])).status_code == 404

    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - datetime.timedelta(days=3))
    assert import_uploads_purge(older_than=datetime.timedelta(days=2)) == 1
    assert office.get(reverse("people:import_rejected", args=[job.pk, "xlsx"])).status_code == 404


@pytest.mark.parametrize("persona", ["teacher", "guardian", "student", "bursar"])
def test_other_roles_cannot_download_rejected_rows(request, as_user, admin, school, persona):
    from modules.academics.importing import import_job_create, student_import_validate

    job = import_job_create(owner=admin, upload=xlsx_upload([student_row(1, section="9Z")]))
    student_import_validate(job=job)
    client = as_user(request.getfixturevalue(persona))
    assert client.get(reverse("people:import_rejected", args=[job.pk, "xlsx"])).status_code == 403
    assert (
        client.post(reverse("people:import_confirm", args=[job.pk]), {"valid_digest": "x"}).status_code == 403
    )
