"""A saved report's exports, opened and read back: CSV, XLSX (openpyxl) and PDF (pypdf's text), each in the
scope of the person exporting; re-authentication first; a large one prepared on the queue as a core Job."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from modules.core.models import AuditEvent, Job, JobStatus
from modules.reports import builder
from modules.reports.builder_exports import JOB_KIND
from modules.reports.models import SavedReport
from tests.reauth import reauthenticate

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(school, admin) -> SavedReport:
    report = SavedReport.objects.create(
        owner=admin,
        name="Class lists",
        dataset="students",
        definition={"columns": ["admission_number", "name", "section"], "sort": "admission_number"},
    )
    return report


def _export(client, report, fmt):
    return client.get(reverse("reports:builder_export", args=[report.pk, fmt]))


def test_it_asks_for_the_password_before_exporting(report, admin, as_user):
    response = _export(as_user(admin), report, "csv")
    assert response.status_code == 302
    assert "reauthenticate" in response.headers["Location"]


def test_it_exports_csv(report, admin, as_user):
    response = _export(reauthenticate(as_user(admin)), report, "csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="class-lists-')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        ["Admission number", "Name", "Section"],
        ["A-0001", "Sam Parent", "7A"],
        ["A-0002", "Olive Elsewhere", "7B"],
    ]
    assert AuditEvent.objects.filter(action="report.export", object_id=str(report.pk)).exists()


def test_it_exports_xlsx(report, admin, as_user):
    response = _export(reauthenticate(as_user(admin)), report, "xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        ["Admission number", "Name", "Section"],
        ["A-0001", "Sam Parent", "7A"],
        ["A-0002", "Olive Elsewhere", "7B"],
    ]


def test_it_exports_pdf(report, admin, as_user):
    response = _export(reauthenticate(as_user(admin)), report, "pdf")
    assert response.headers["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Class lists" in text
    assert "Sam Parent" in text
    assert "Olive Elsewhere" in text


def test_it_exports_a_shared_report_in_the_exporters_scope(report, teacher, as_user):
    report.shared_with.add(teacher)
    response = _export(reauthenticate(as_user(teacher)), report, "csv")
    text = response.content.decode("utf-8-sig")
    assert "Sam Parent" in text
    assert "Olive Elsewhere" not in text


def test_it_refuses_an_unknown_format(report, admin, as_user):
    assert _export(reauthenticate(as_user(admin)), report, "docx").status_code == 404


def test_it_prepares_a_large_export_on_the_queue(
    report, admin, as_user, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(builder, "EXPORT_AT_ONCE", 1)
    client = reauthenticate(as_user(admin))
    offer = _export(client, report, "xlsx")
    assert offer.status_code == 200
    assert "This report has 2 rows, more than the 1" in offer.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:builder_export_start", args=[report.pk, "xlsx"]))
    job = Job.objects.get(kind=JOB_KIND)
    assert response.headers["Location"] == reverse("job_progress", args=[job.pk])
    assert job.owner == admin
    progress = client.get(reverse("job_progress", args=[job.pk]))
    assert "2 rows." in progress.content.decode()
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == (JobStatus.SUCCEEDED, 2, 2)
    download = client.get(reverse("job_download", args=[job.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert [row[1] for row in sheet.iter_rows(values_only=True)] == ["Name", "Sam Parent", "Olive Elsewhere"]
