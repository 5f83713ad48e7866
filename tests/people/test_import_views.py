"""The import pages as the office uses them: upload, read the dry run, confirm; and who may not."""

from __future__ import annotations

import io
import uuid

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from modules.academics.importing import IMPORT_COLUMNS
from modules.core.models import AuditEvent, Job
from modules.people.models import Student
from tests.people.test_import_files import confirm, page_text, student_row, upload, xlsx_upload


@pytest.fixture
def office(as_user, admin, school):
    return as_user(admin)


def _job(admin, rows) -> Job:
    from modules.academics.importing import import_job_create, student_import_validate

    job = import_job_create(owner=admin, upload=xlsx_upload(rows))
    student_import_validate(job=job)
    return job


def test_it_shows_the_upload_form_with_the_columns(office):
    response = office.get(reverse("people:import_start"))
    text = page_text(response)
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in text
    assert reverse("people:import_template") in text
    for column in IMPORT_COLUMNS:
        assert column.name in text


def test_it_downloads_a_template_with_headers_and_an_example_row(office):
    response = office.get(reverse("people:import_template"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert list(rows[0]) == [column.name for column in IMPORT_COLUMNS]
    assert rows[1][0] == "A1023"
    assert len(rows) == 2
    assert workbook.sheetnames[1] == "Help"


def test_the_template_passes_its_own_dry_run(office):
    template = office.get(reverse("people:import_template")).content
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = upload(office, SimpleUploadedFile("template.xlsx", template))
    text = page_text(response)
    assert "No problems found" in text
    assert "Import 1 student" in text


def test_it_uploads_shows_the_dry_run_and_imports_on_confirm(office, school):
    rows = [student_row(1), student_row(2, guardian1_email="parent@school.test")]
    response = upload(office, xlsx_upload(rows))
    job = Job.objects.get()
    assert response.redirect_chain == [(reverse("people:import_detail", args=[job.pk]), 302)]
    text = page_text(response)
    assert "No problems found" in text
    assert "existing guardian" in text
    assert "Pat Parent" in text
    assert "First1 Last1" in text
    assert "new guardian" in text
    assert Student.objects.filter(admission_number__startswith="N").count() == 0

    response = confirm(office, job)
    text = page_text(response)
    assert "2 students imported" in text
    assert "Import finished" in text
    assert Student.objects.filter(admission_number__startswith="N").count() == 2
    assert AuditEvent.objects.filter(action="student.import", actor=response.wsgi_request.user).count() == 1

    student_list = office.get(reverse("people:student_list"))
    assert student_list.status_code == 200
    assert "First2 Last2" in page_text(student_list)


def test_confirming_twice_does_not_import_twice(office, admin, school):
    job = _job(admin, [student_row(1)])
    confirm(office, job)
    response = confirm(office, job)
    assert "it is not imported twice" in page_text(response)
    assert Student.objects.filter(admission_number="N0001").count() == 1


def test_a_dry_run_with_problems_lists_them_and_cannot_be_confirmed(office, admin, school):
    job = _job(admin, [student_row(1), student_row(2, date_of_birth="31/02/2010")])
    response = office.get(reverse("people:import_detail", args=[job.pk]))
    text = page_text(response)
    assert "The dry run found 1 problem." in text
    assert "Row 3: date of birth '31/02/2010' is not a valid date" in text
    assert "Import 2 students" not in text
    assert (
        "Import the 1 valid row" in text
    )  # the office may choose that instead (tests/people/test_import_valid_rows.py)
    # Confirming the whole file (no choice of the valid rows) is refused.
    response = office.post(reverse("people:import_confirm", args=[job.pk]), follow=True)
    assert "Only a dry run without problems can be imported." in page_text(response)
    assert not Student.objects.filter(admission_number__startswith="N").exists()


def test_it_filters_rows_with_problems_and_paginates(office, admin, school):
    rows = [student_row(n) for n in range(1, 131)]
    rows[120]["section"] = "9Z"
    job = _job(admin, rows)
    url = reverse("people:import_detail", args=[job.pk])
    text = page_text(office.get(url))
    assert "Page 1 of 2" in text
    assert "First1 Last1" in text
    assert "First125 Last125" not in text
    text = page_text(office.get(url, {"page": 2}))
    assert "First125 Last125" in text
    text = page_text(office.get(url, {"problems": 1}))
    assert "First121 Last121" in text
    assert "First1 Last1" not in text


def test_the_office_sees_only_its_own_imports(as_user, admin, school):
    job = _job(admin, [student_row(1)])
    from tests.conftest import _staff

    colleague = _staff("office2@school.test", "administrator", "Col", "League")
    client = as_user(colleague)
    assert client.get(reverse("people:import_detail", args=[job.pk])).status_code == 404
    assert client.post(reverse("people:import_confirm", args=[job.pk])).status_code == 404
    assert client.get(reverse("people:import_detail", args=[uuid.uuid4()])).status_code == 404
    assert not Student.objects.filter(admission_number="N0001").exists()


@pytest.mark.parametrize("persona", ["teacher", "guardian", "student", "bursar"])
def test_other_roles_are_refused(request, as_user, admin, school, persona):
    job = _job(admin, [student_row(1)])
    client = as_user(request.getfixturevalue(persona))
    assert client.get(reverse("people:import_start")).status_code == 403
    assert (
        client.post(reverse("people:import_start"), {"file": xlsx_upload([student_row(2)])}).status_code
        == 403
    )
    assert client.get(reverse("people:import_template")).status_code == 403
    assert client.get(reverse("people:import_detail", args=[job.pk])).status_code == 403
    assert client.post(reverse("people:import_confirm", args=[job.pk])).status_code == 403
    assert Job.objects.count() == 1
    assert not Student.objects.filter(admission_number__startswith="N").exists()


def test_visitors_are_sent_to_log_in(client, school):
    response = client.get(reverse("people:import_start"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_wrong_methods_are_refused(office, admin, school):
    job = _job(admin, [student_row(1)])
    assert office.get(reverse("people:import_confirm", args=[job.pk])).status_code == 405
    assert office.post(reverse("people:import_template")).status_code == 405
    assert office.post(reverse("people:import_detail", args=[job.pk])).status_code == 405
    assert office.put(reverse("people:import_start")).status_code == 405
    assert not Student.objects.filter(admission_number="N0001").exists()


def test_the_upload_page_lists_recent_imports(office, admin, school):
    job = _job(admin, [student_row(1)])
    text = page_text(office.get(reverse("people:import_start")))
    assert reverse("people:import_detail", args=[job.pk]) in text
    assert "students.xlsx" in text
