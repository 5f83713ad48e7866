"""Spreadsheet downloads (XLSX and CSV) that any module can reuse, protected against formula injection, and
the one safe way to read an uploaded spreadsheet (see `spreadsheet_check` and `spreadsheet_rows` below).

A cell whose text starts with = + - @ (or a tab / carriage return) is run as a formula by Excel, LibreOffice
and Google Sheets. Student names, addresses and notes come from people outside the office, so every text
cell is neutralised with a leading single quote (OWASP "CSV injection" advice).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.http import HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import column_index_from_string, get_column_letter

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


# ----------------------------------------------------------------------------------------------------
# Reading uploaded spreadsheets without letting the file decide how much work it costs
#
# An .xlsx is a zip of XML files. Two small uploads have taken a worker down: a 1.6 KB workbook whose sheet
# declared `<dimension ref="A1:XFD1048576"/>` (openpyxl's read-only reader pads every row up to the declared
# size, 16,384 cells x 1,048,576 rows), and a 287 KB zip bomb whose sheet XML unpacked to hundreds of MB.
# So every upload goes through `spreadsheet_check` first: it reads only the zip's central directory and the
# first few KB of the sheet (milliseconds, bounded memory), and refuses absurd sizes before any parser runs.
# `spreadsheet_rows` then streams the rows with hard row and column limits, ignoring the declared dimension.

MAX_UNPACKED_BYTES = 100 * 1024 * 1024
# Real sheets compress 5-25 times (a sheet of identical rows about 25); deflate's ceiling is about 1,000.
MAX_COMPRESSION_RATIO = 100
# Below this size any ratio is harmless (a tiny XML part can compress very well).
RATIO_EXEMPT_BYTES = 1024 * 1024
MAX_ZIP_MEMBERS = 1000
# Blank rows below the data are skipped, but only this many: a sheet reaching row 1,048,576 is refused.
BLANK_ROW_ALLOWANCE = 1000
_HEAD_BYTES = 64 * 1024
_PART_LIMIT = 1024 * 1024  # workbook.xml and its relationships: a few KB in real files

_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s[^>]*?ref\s*=\s*[\"']([A-Za-z0-9:$]+)[\"']")
_SHEET_DATA = re.compile(rb"<(?:\w+:)?sheetData[\s>/]")
_TAG = re.compile(r"<(?:\w+:)?(sheet|Relationship)\s([^>]*)>")
_ATTRIBUTE = re.compile(r"([\w:]+)\s*=\s*[\"']([^\"']*)[\"']")
_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")


class SpreadsheetRefused(ValueError):
    """The uploaded spreadsheet cannot be read safely; the message is for the person who uploaded it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _damaged() -> SpreadsheetRefused:
    return SpreadsheetRefused(
        _("This Excel file could not be read; it may be damaged. Open it, save it again as .xlsx and retry.")
    )


def _too_many_rows(count: int | str, limit: int) -> SpreadsheetRefused:
    return SpreadsheetRefused(
        _("This file declares %(count)s rows; the limit is %(limit)s. Split it into smaller files.")
        % {"count": count, "limit": intcomma(limit)}
    )


def _too_many_columns(count: int, limit: int) -> SpreadsheetRefused:
    return SpreadsheetRefused(
        _("This file declares %(count)s columns; the limit is %(limit)s.")
        % {"count": intcomma(count), "limit": intcomma(limit)}
    )


def spreadsheet_check(
    content: bytes,
    *,
    file_format: str,
    max_rows: int,
    max_columns: int,
    sheet: str | None = None,
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES,
) -> int | None:
    """Refuse a file whose size, packing or declared extent is absurd, before anything parses it.

    `max_rows` counts data rows below the header row. For XLSX this reads the zip's central directory and
    the first bytes of one sheet (the first, or the one named `sheet`) and returns the number of data rows
    its dimension declares (blank rows included), or None when the file does not say. For CSV it counts
    the non-blank rows without keeping them. Raises SpreadsheetRefused.
    """
    if file_format == "csv":
        return _csv_check(content, max_rows=max_rows)
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise _damaged() from error
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise _damaged()
        for member in members:
            if member.file_size > RATIO_EXEMPT_BYTES and member.file_size > MAX_COMPRESSION_RATIO * max(
                member.compress_size, 1
            ):
                raise SpreadsheetRefused(_("This file is compressed too much to be a real spreadsheet."))
        # zipfile stops reading a member at the size its central directory records, so these sizes bound
        # what any later parser can unpack, whatever the compressed data really holds.
        unpacked = sum(member.file_size for member in members)
        if unpacked > max_unpacked_bytes:
            raise SpreadsheetRefused(
                _("This file unpacks to %(size)s; the limit is %(limit)s. Is it really a spreadsheet?")
                % {"size": filesizeformat(unpacked), "limit": filesizeformat(max_unpacked_bytes)}
            )
        head = _read_head(archive, _sheet_path(archive, sheet))
    dimension = _DIMENSION.search(head.split(b"<sheetData", 1)[0]) if head else None
    if dimension is None:
        return None
    last_row, last_column = _dimension_end(dimension[1].decode("ascii"))
    if last_row - 1 > max_rows + BLANK_ROW_ALLOWANCE:
        raise _too_many_rows(intcomma(last_row), max_rows)  # as the spreadsheet numbers them
    if last_column > max_columns:
        raise _too_many_columns(last_column, max_columns)
    return max(0, last_row - 1)


def _csv_check(content: bytes, *, max_rows: int) -> int:
    """The number of non-blank rows below the header, counted without keeping them (a CSV is small text)."""
    filled = sum(1 for row in _csv_rows(content, None) if any(cell.strip() for cell in row))
    count = max(0, filled - 1)  # the header row
    if count > max_rows:
        raise SpreadsheetRefused(
            _("The file has %(count)s rows; the limit is %(limit)s. Split it into smaller files.")
            % {"count": intcomma(count), "limit": intcomma(max_rows)}
        )
    return count


def _read_part(archive: zipfile.ZipFile, name: str) -> str:
    try:
        with archive.open(name) as handle:
            return handle.read(_PART_LIMIT).decode("utf-8", "replace")
    except (KeyError, zipfile.BadZipFile, OSError, EOFError, zlib.error) as error:
        raise _damaged() from error


def _sheet_path(archive: zipfile.ZipFile, sheet: str | None) -> str:
    """The zip member of the first sheet (or of the sheet named `sheet`), from the workbook's own index."""
    sheets = [
        dict(_ATTRIBUTE.findall(attributes))
        for tag, attributes in _TAG.findall(_read_part(archive, "xl/workbook.xml"))
        if tag == "sheet"
    ]
    chosen = next((s for s in sheets if sheet is None or s.get("name") == sheet), None)
    if chosen is None:
        if sheet is None:
            raise _damaged()
        return ""  # the caller reports the missing sheet in its own words
    relation = next((value for key, value in chosen.items() if key.endswith(":id")), "")
    targets = {
        found.get("Id"): found.get("Target", "")
        for tag, attributes in _TAG.findall(_read_part(archive, "xl/_rels/workbook.xml.rels"))
        if tag == "Relationship"
        for found in [dict(_ATTRIBUTE.findall(attributes))]
    }
    target = targets.get(relation)
    if not target:
        raise _damaged()
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _read_head(archive: zipfile.ZipFile, path: str) -> bytes:
    if not path:
        return b""
    try:
        with archive.open(path) as handle:
            return handle.read(_HEAD_BYTES)
    except (KeyError, zipfile.BadZipFile, OSError, EOFError, zlib.error) as error:
        raise _damaged() from error


def _dimension_end(ref: str) -> tuple[int, int]:
    """(last row, last column) of a dimension such as "A1:XFD1048576" (or "A1" for one cell)."""
    match = _CELL.match(ref.rsplit(":", 1)[-1])
    if match is None:
        raise _damaged()
    return int(match[2]), column_index_from_string(match[1].upper())


def spreadsheet_rows(
    content: bytes, *, file_format: str, max_rows: int, max_columns: int, sheet: str | None = None
) -> Iterator[list[Any]]:
    """The rows of an uploaded XLSX or CSV, header row first, each cut to `max_columns` cells.

    Streams the file (openpyxl read-only mode for XLSX) and stops with SpreadsheetRefused once it meets more
    than `max_rows` non-blank rows below the header, or runs past `BLANK_ROW_ALLOWANCE` blank ones: the
    declared dimension is never used to size anything. Call `spreadsheet_check` first. Other failures to
    read raise SpreadsheetRefused with a message saying the file may be damaged.
    """
    source = (
        _xlsx_rows(content, max_columns, sheet) if file_format == "xlsx" else _csv_rows(content, max_columns)
    )
    limit = max_rows + 1 + BLANK_ROW_ALLOWANCE
    filled = 0
    for number, row in enumerate(source, start=1):
        if number > 1 and any(value is not None and str(value).strip() for value in row):
            filled += 1
            if filled > max_rows:
                raise SpreadsheetRefused(
                    _(
                        "This file has more than %(limit)s rows, the limit for one upload. "
                        "Split it into smaller files."
                    )
                    % {"limit": intcomma(max_rows)}
                )
        if number > limit:
            raise SpreadsheetRefused(
                _(
                    "This file goes on down to row %(row)s; the limit is %(limit)s rows. "
                    "Delete the empty rows below your data."
                )
                % {"row": intcomma(number), "limit": intcomma(max_rows)}
            )
        yield row


def _xlsx_rows(content: bytes, max_columns: int, sheet: str | None) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    # A damaged workbook fails in many ways inside openpyxl (zip, XML, missing parts, bad values, its own
    # exception classes); all of them mean the same thing to the person who uploaded it.
    except Exception as error:
        raise _damaged() from error
    try:
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        # Forget the declared size: read-only openpyxl pads every row (and the end of the sheet) up to it.
        worksheet.reset_dimensions()
        rows = worksheet.iter_rows(max_col=max_columns, values_only=True)
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception as error:
                raise _damaged() from error
            yield list(row)
    except KeyError as error:
        raise _damaged() from error
    finally:
        workbook.close()


def _csv_rows(content: bytes, max_columns: int | None) -> Iterator[list[Any]]:
    # The caller has checked the encoding; a stray byte becomes U+FFFD rather than an error mid-stream.
    text = content.decode("utf-8-sig", "replace")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise SpreadsheetRefused(
                _("This CSV file could not be read: %(error)s") % {"error": error}
            ) from error
        yield row[:max_columns]
