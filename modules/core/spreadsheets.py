"""Spreadsheet downloads (XLSX and CSV) that any module can reuse, protected against formula injection.

A cell whose text starts with = + - @ (or a tab / carriage return) is run as a formula by Excel, LibreOffice
and Google Sheets. Student names, addresses and notes come from people outside the office, so every text
cell is neutralised with a leading single quote (OWASP "CSV injection" advice).
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Excel refuses control characters other than tab, newline and carriage return inside a cell.
_ILLEGAL = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32)])

Row = Sequence[Any]


def safe_cell(value: Any) -> Any:
    """A value that a spreadsheet shows as written and never evaluates.

    Numbers, dates and booleans pass through (a negative number is data, not a formula); text that a
    spreadsheet would read as a formula is prefixed with a single quote; other values become text.
    """
    if value is None:
        return ""
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        # Spreadsheets have no time zones: show the school's local time.
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, bool | int | float | Decimal | datetime.date | datetime.time):
        return value
    text = str(value).translate(_ILLEGAL)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def _disposition(filename: str) -> str:
    ascii_name = filename.encode("ascii", "ignore").decode() or "export"
    return f'attachment; filename="{ascii_name.replace(chr(34), "")}"'


def xlsx_bytes(
    headers: Sequence[str],
    rows: Iterable[Row],
    *,
    sheet_title: str = "Sheet1",
    extra_sheets: Sequence[tuple[str, Sequence[str], Iterable[Row]]] = (),
) -> bytes:
    """An XLSX workbook: bold, frozen header row, then the rows (each cell through `safe_cell`).

    Written in openpyxl's write-only mode so a large export streams through without building a cell tree.
    """
    workbook = Workbook(write_only=True)
    for title, sheet_headers, sheet_rows in ((sheet_title, headers, rows), *extra_sheets):
        _write_sheet(workbook, title, sheet_headers, sheet_rows)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_sheet(workbook: Workbook, title: str, headers: Sequence[str], rows: Iterable[Row]) -> None:
    sheet = workbook.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, min(40, len(str(header)) + 4))
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=safe_cell(str(header)))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        cells = []
        for value in row:
            value = safe_cell(value)
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                # Text stays text: openpyxl would otherwise read a leading "=" as a formula.
                cell.data_type = "s"
            elif isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)


def xlsx_response(filename: str, headers: Sequence[str], rows: Iterable[Row], **kwargs: Any) -> HttpResponse:
    """Download an XLSX file built from headers and rows (see `xlsx_bytes` for the keyword options)."""
    response = HttpResponse(xlsx_bytes(headers, rows, **kwargs), content_type=XLSX_CONTENT_TYPE)
    response.headers["Content-Disposition"] = _disposition(filename)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def csv_bytes(headers: Sequence[str], rows: Iterable[Row], *, delimiter: str = ",") -> bytes:
    """CSV text with a UTF-8 byte-order mark, so Excel opens accents correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([safe_cell(str(header)) for header in headers])
    for row in rows:
        writer.writerow([_csv_text(safe_cell(value)) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_text(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def csv_response(
    filename: str, headers: Sequence[str], rows: Iterable[Row], *, delimiter: str = ","
) -> HttpResponse:
    response = HttpResponse(csv_bytes(headers, rows, delimiter=delimiter), content_type=CSV_CONTENT_TYPE)
    response.headers["Content-Disposition"] = _disposition(filename)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
