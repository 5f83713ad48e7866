"""The shared spreadsheet helpers: exports never carry a live formula."""

from __future__ import annotations

import datetime
import io

from openpyxl import load_workbook

from modules.core.spreadsheets import csv_bytes, csv_response, safe_cell, xlsx_bytes, xlsx_response


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
    assert name.value == "'=cmd|' /C calc'!A0" and name.data_type == "s"
    assert born.value == datetime.datetime(2012, 5, 17)
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
