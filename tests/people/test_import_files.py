"""Bad files are refused on the upload form with a clear message, and leave nothing behind.

Also holds the small helpers the other import tests use to build files the way a person would.
"""

from __future__ import annotations

import datetime
import html
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from openpyxl import Workbook

from modules.core.models import Job
from modules.people.models import Student

HEADERS = [
    "admission_number",
    "first_name",
    "last_name",
    "date_of_birth",
    "gender",
    "section",
    "email",
    "guardian1_first_name",
    "guardian1_last_name",
    "guardian1_email",
    "guardian1_phone",
    "guardian1_relationship",
    "guardian2_first_name",
    "guardian2_last_name",
    "guardian2_email",
    "guardian2_relationship",
]


def student_row(number: int, **values) -> dict:
    row = {
        "admission_number": f"N{number:04d}",
        "first_name": f"First{number}",
        "last_name": f"Last{number}",
        "date_of_birth": "2012-05-17",
        "gender": "F",
        "section": "7A",
        "guardian1_first_name": f"Parent{number}",
        "guardian1_last_name": f"Last{number}",
        "guardian1_email": f"parent{number}@family.test",
        "guardian1_relationship": "mother",
    }
    row.update(values)
    return row


def xlsx_bytes(rows: list[dict], headers: list[str] = HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(header, "") for header in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_upload(
    rows: list[dict], headers: list[str] = HEADERS, name: str = "students.xlsx"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, xlsx_bytes(rows, headers))


def csv_upload(
    rows: list[dict], headers: list[str] = HEADERS, delimiter: str = ",", encoding: str = "utf-8-sig"
) -> SimpleUploadedFile:
    lines = [delimiter.join(headers)]
    lines += [delimiter.join(str(row.get(header, "")) for header in headers) for row in rows]
    return SimpleUploadedFile("students.csv", ("\r\n".join(lines) + "\r\n").encode(encoding))


def page_text(response) -> str:
    """The page as a person reads it: entities such as &#x27; turned back into characters."""
    return html.unescape(response.content.decode())


def _on_the_queue(client, url: str, data: dict | None = None):
    """POST as the office does, let the queue run what the request queued once it committed (as in
    production: the web request never reads the file), then follow the redirect to the page."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, data or {})
    if response.status_code != 302:
        response.redirect_chain = []
        return response
    followed = client.get(response["Location"], follow=True)
    followed.redirect_chain = [(response["Location"], 302), *followed.redirect_chain]
    return followed


def upload(client, file) -> object:
    return _on_the_queue(client, reverse("people:import_start"), {"file": file})


def confirm(client, job) -> object:
    return _on_the_queue(client, reverse("people:import_confirm", args=[job.pk]))


def _assert_refused(client, file, message: str) -> None:
    response = upload(client, file)
    assert response.status_code == 200
    assert response.redirect_chain == []
    assert message in page_text(response)
    assert Job.objects.count() == 0


@pytest.fixture
def office(as_user, admin, school):
    return as_user(admin)


def test_it_refuses_a_file_that_is_not_xlsx_or_csv(office):
    _assert_refused(
        office, SimpleUploadedFile("students.pdf", b"%PDF-1.4"), "is not an Excel workbook (.xlsx)"
    )


def test_it_refuses_an_old_excel_file(office):
    _assert_refused(office, SimpleUploadedFile("students.xls", b"\xd0\xcf\x11\xe0"), "“students.xls” is not")


def test_it_refuses_an_xlsx_whose_content_is_not_a_workbook(office):
    _assert_refused(
        office, SimpleUploadedFile("students.xlsx", b"admission_number,first_name\n"), "not a real Excel"
    )


def test_it_refuses_a_damaged_xlsx(office):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    _assert_refused(office, SimpleUploadedFile("students.xlsx", buffer.getvalue()), "it may be damaged")


def test_it_refuses_a_truncated_xlsx(office):
    content = xlsx_bytes([student_row(1)])
    _assert_refused(
        office, SimpleUploadedFile("students.xlsx", content[: len(content) // 2]), "it may be damaged"
    )


def test_it_refuses_an_empty_file(office):
    # The browser does not send a zero-byte file at all, so the form says a file is needed.
    response = upload(office, SimpleUploadedFile("students.csv", b"\xef\xbb\xbf\r\n"))
    assert "The file is empty." in page_text(response)
    assert Job.objects.count() == 0


def test_it_refuses_a_csv_that_is_not_utf8(office):
    _assert_refused(
        office, csv_upload([student_row(1, first_name="Zoë")], encoding="latin-1"), "is not in UTF-8"
    )


def test_it_refuses_a_binary_file_named_csv(office):
    _assert_refused(
        office, SimpleUploadedFile("students.csv", xlsx_bytes([student_row(1)])), "not a CSV text file"
    )


def test_it_refuses_a_file_over_the_size_limit(office, settings):
    settings.STUDENTFLOW_IMPORT_MAX_BYTES = 1000
    _assert_refused(office, csv_upload([student_row(n) for n in range(40)]), "The file is too large")


def test_it_refuses_a_file_with_too_many_rows(office, settings):
    settings.STUDENTFLOW_IMPORT_MAX_ROWS = 3
    _assert_refused(office, csv_upload([student_row(n) for n in range(4)]), "The file has 4 rows")


def test_it_requires_a_file(office):
    response = office.post(reverse("people:import_start"), {})
    assert response.status_code == 200
    assert "This field is required." in page_text(response)
    assert Job.objects.count() == 0


def test_it_reports_missing_required_columns_in_the_dry_run(office):
    headers = [h for h in HEADERS if h != "date_of_birth"]
    response = upload(office, xlsx_upload([student_row(1)], headers=headers))
    text = page_text(response)
    assert "The file has no “date_of_birth” column, which is required." in text
    assert "Import 1 student" not in text
    assert Student.objects.filter(admission_number="N0001").count() == 0


def test_it_reports_a_file_without_data_rows(office):
    response = upload(office, xlsx_upload([]))
    assert "The file has no data rows below the header row." in page_text(response)


def test_it_reads_headers_in_any_case_and_semicolon_csv(office):
    headers = [header.upper() for header in HEADERS]
    row = {header.upper(): value for header, value in student_row(1, date_of_birth="17/05/2012").items()}
    response = upload(office, csv_upload([row], headers=headers, delimiter=";"))
    text = page_text(response)
    assert "No problems found" in text
    assert "2012-05-17" in text


def test_it_reads_excel_date_cells(office):
    response = upload(office, xlsx_upload([student_row(1, date_of_birth=datetime.date(2011, 3, 9))]))
    text = page_text(response)
    assert "No problems found" in text
    assert "2011-03-09" in text


def test_it_refuses_a_zero_byte_file(office):
    response = upload(office, SimpleUploadedFile("students.csv", b""))
    assert "The submitted file is empty." in page_text(response)
    assert Job.objects.count() == 0
