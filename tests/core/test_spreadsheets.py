"""The shared spreadsheet helpers: exports never carry a live formula; uploads never cost what they like."""

from __future__ import annotations

import datetime
import html
import io
import re
import struct
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from modules.core.models import Job
from modules.core.spreadsheets import (
    SpreadsheetRefused,
    csv_bytes,
    csv_response,
    safe_cell,
    spreadsheet_check,
    xlsx_bytes,
    xlsx_response,
)
from tests.reauth import reauthenticate


def test_it_neutralises_text_that_a_spreadsheet_would_run():
    for text in ["=1+1", "+1", "-2+3", "@SUM(A1)", "\tx", "\r=1"]:
        assert safe_cell(text) == "'" + text
    assert safe_cell("Maria") == "Maria"
    assert safe_cell(-3) == -3  # a negative number is data
    assert safe_cell(None) == ""
    assert safe_cell(datetime.date(2020, 1, 2)) == datetime.date(2020, 1, 2)


def test_it_writes_xlsx_with_text_cells_only_for_text():
    content = xlsx_bytes(["Name", "Born"], [["=cmd|' /C calc'!A0", datetime.date(2012, 5, 17)]])
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    name, born = next(sheet.iter_rows(min_row=2))
    assert name.value == "'=cmd|' /C calc'!A0"
    assert name.data_type == "s"
    assert born.value == datetime.datetime.combine(datetime.date(2012, 5, 17), datetime.time())  # no zone
    assert sheet.freeze_panes == "A2"


def test_it_writes_csv_with_a_bom_and_the_same_protection():
    content = csv_bytes(["Name"], [["-1+2"], ["Zoë"]])
    assert content.startswith(b"\xef\xbb\xbf")
    assert content.decode("utf-8-sig").splitlines() == ["Name", "'-1+2", "Zoë"]


def test_responses_are_private_attachments():
    xlsx = xlsx_response("list.xlsx", ["a"], [[1]])
    csv = csv_response("list.csv", ["a"], [[1]])
    assert xlsx["Content-Disposition"] == 'attachment; filename="list.xlsx"'
    assert csv["Content-Disposition"] == 'attachment; filename="list.csv"'
    assert xlsx["Cache-Control"] == csv["Cache-Control"] == "private, no-store"


# ----------------------------------------------------------------------------------------------------
# Uploaded spreadsheets: refused before anything parses them when their size, packing or extent is absurd.
# The hostile files are built here, small in memory: the zip bomb's sheet is written in chunks.

IMPORT_HEADERS = ["admission_number", "first_name", "last_name", "date_of_birth"]
SHEET = "xl/worksheets/sheet1.xml"


def _workbook(rows: int = 1) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(IMPORT_HEADERS)
    for number in range(1, rows + 1):
        sheet.append([f"A{number}", "Maria", "Lopez", "2012-05-17"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _rewrite_sheet(content: bytes, rewrite) -> bytes:
    """The workbook with its first sheet's XML changed by `rewrite` (bytes -> bytes)."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for member in source.infolist():
            data = source.read(member.filename)
            out.writestr(member.filename, rewrite(data) if member.filename == SHEET else data)
    return buffer.getvalue()


def dimension_bomb() -> bytes:
    """A tiny workbook whose sheet declares every row and column Excel allows (A1:XFD1048576)."""
    return _rewrite_sheet(
        _workbook(),
        lambda xml: re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:XFD1048576"/>', xml),
    )


def zip_bomb(unpacked_mb: int = 300) -> bytes:
    """A workbook whose sheet XML is `unpacked_mb` MB of repeated cells, deflated to a few hundred KB.

    No dimension element, so only the zip's own numbers give it away."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(_workbook())) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for member in source.infolist():
            if member.filename != SHEET:
                out.writestr(member.filename, source.read(member.filename))
        chunk = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * (1024 * 1024 // 48)
        with out.open(SHEET, "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8"?><worksheet '
                b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            for _ in range(unpacked_mb):
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


@pytest.fixture
def office(as_user, admin, school):
    return as_user(admin)


def _upload_bounded(client, name: str, content: bytes):
    """Post the file to the student import; the response and the peak MB allocated meanwhile."""
    tracemalloc.start()
    try:
        response = client.post(reverse("people:import_start"), {"file": SimpleUploadedFile(name, content)})
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return response, peak / 1024 / 1024


def _page_text(response) -> str:
    return html.unescape(response.content.decode())


def test_an_upload_declaring_a_million_rows_is_refused_at_once(office):
    content = dimension_bomb()
    assert len(content) < 10_000
    response, peak_mb = _upload_bounded(office, "students.xlsx", content)
    assert response.status_code == 200  # the form again, with the message on the file field
    assert "This file declares 1,048,576 rows; the limit is 10,000." in _page_text(response)
    assert Job.objects.count() == 0
    assert peak_mb < 50, peak_mb  # bounded memory: refused before anything parses the rows


def test_an_upload_declaring_sixteen_thousand_columns_is_refused(office):
    content = _rewrite_sheet(
        _workbook(), lambda xml: re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:XFD3"/>', xml)
    )
    response = office.post(reverse("people:import_start"), {"file": SimpleUploadedFile("s.xlsx", content)})
    assert "This file declares 16,384 columns; the limit is 100." in _page_text(response)
    assert Job.objects.count() == 0


def test_a_zip_bomb_is_refused_without_unpacking_it(office):
    content = zip_bomb(300)
    assert len(content) < 2 * 1024 * 1024  # under the upload limit: only the zip's numbers give it away
    response, peak_mb = _upload_bounded(office, "students.xlsx", content)
    assert response.status_code == 200
    assert "This file is compressed too much to be a real spreadsheet." in _page_text(response)
    assert Job.objects.count() == 0
    assert peak_mb < 50, peak_mb  # bounded memory: refused before anything parses the rows


def test_a_file_unpacking_beyond_the_limit_is_refused_even_when_it_compresses_like_a_real_one():
    # Ten members of 12 MB of random-ish text each: a plausible ratio, an implausible total.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for index in range(10):
            archive.writestr(f"xl/media/part{index}.bin", b"\0")
    # Forge only the central directory's sizes: zipfile trusts them, and so does the check.
    content = _forge_sizes(buffer.getvalue(), 12 * 1024 * 1024)
    with pytest.raises(SpreadsheetRefused, match="This file unpacks to"):
        spreadsheet_check(content, file_format="xlsx", max_rows=10, max_columns=10)


def _forge_sizes(content: bytes, size: int) -> bytes:
    """Set the uncompressed and compressed size of every central-directory entry to `size` (ratio 1)."""
    data = bytearray(content)
    position = data.find(b"PK\x01\x02")
    while position != -1:
        struct.pack_into("<II", data, position + 20, size, size)
        position = data.find(b"PK\x01\x02", position + 4)
    return bytes(data)


def test_a_sheet_lying_about_its_size_is_stopped_while_streaming(
    office, settings, django_capture_on_commit_callbacks
):
    """The dimension says two rows; the rows go on: the dry run stops at the limit and says why."""
    settings.STUDENTFLOW_IMPORT_MAX_ROWS = 3
    content = _rewrite_sheet(
        _workbook(rows=6),
        lambda xml: re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:D2"/>', xml),
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = office.post(
            reverse("people:import_start"), {"file": SimpleUploadedFile("s.xlsx", content)}
        )
    assert response.status_code == 302
    text = _page_text(office.get(response["Location"]))
    assert "This file has more than 3 rows, the limit for one upload. Split it into smaller files." in text
    assert Job.objects.get().status == "failed"


def test_a_cell_far_below_the_data_is_not_padded_row_by_row(office, django_capture_on_commit_callbacks):
    """A lone cell on row 1,048,576 under a lying dimension: the reader gives up after the blank allowance."""

    def far_cell(xml: bytes) -> bytes:
        xml = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:D2"/>', xml)
        far = b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>'
        return xml.replace(b"</sheetData>", far + b"</sheetData>")

    with django_capture_on_commit_callbacks(execute=True):
        tracemalloc.start()
        try:
            response = office.post(
                reverse("people:import_start"),
                {"file": SimpleUploadedFile("s.xlsx", _rewrite_sheet(_workbook(), far_cell))},
            )
        finally:
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
    assert peak < 50 * 1024 * 1024
    text = _page_text(office.get(response["Location"]))
    assert "This file goes on down to row 11,002; the limit is 10,000 rows." in text


def test_a_real_workbook_passes_the_check_and_says_how_many_rows_it_holds():
    assert spreadsheet_check(_workbook(rows=60), file_format="xlsx", max_rows=100, max_columns=20) == 60


def test_a_csv_with_too_many_rows_is_counted_without_being_kept():
    content = ("a,b\r\n" + "1,2\r\n" * 12 + ",\r\n" * 5).encode()
    assert spreadsheet_check(content, file_format="csv", max_rows=12, max_columns=5) == 12
    with pytest.raises(SpreadsheetRefused, match="The file has 12 rows; the limit is 11."):
        spreadsheet_check(content, file_format="csv", max_rows=11, max_columns=5)


def test_the_marksheet_upload_refuses_the_same_files(as_user, teacher, school):
    """The teachers' marksheet upload goes through the same check, in the request, before the file is stored
    and queued for reading."""
    client = as_user(teacher)
    reauthenticate(client)  # the marksheet download is a bulk export
    url = reverse("exams:marksheet_preview", kwargs={"pk": school.offering.pk})
    exported = client.get(
        reverse("exams:marksheet_export", kwargs={"pk": school.offering.pk}), {"term": school.term.pk}
    ).content
    declared = _rewrite_sheet(
        exported,
        lambda xml: re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:XFD1048576"/>', xml),
    )
    for content, message in [
        (declared, "This file declares 1,048,576 rows; the limit is 2,000."),
        # Refused by the upload check every upload passes (modules/core/uploads.py), from the zip's directory
        # alone, before the spreadsheet reader would have said "compressed too much".
        (zip_bomb(300), "once unpacked, or holds too many files; it was not opened."),
    ]:
        tracemalloc.start()
        try:
            response = client.post(
                url, {"term": school.term.pk, "file": SimpleUploadedFile("marks.xlsx", content)}
            )
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert response.status_code == 400  # refused in the request, before anything is stored or queued
        assert message in _page_text(response)
        assert peak < 50 * 1024 * 1024
    assert not Job.objects.filter(kind="marksheet_read").exists()
