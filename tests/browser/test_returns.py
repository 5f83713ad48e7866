"""The office has a compliance return too long to print while it waits prepared in the background: the
return's page offers it, the job's page follows it, and the download has every student."""

from __future__ import annotations

import io
from pathlib import Path

from playwright.sync_api import expect
from pypdf import PdfReader

from modules.reports import returns
from tests.reports.test_returns_attendance import week  # noqa: F401  (the fixture: five pupils' week)

NAMES = ["Able, Amy", "Brook, Bob", "Crane, Cal", "Dune, Dee", "Elm, Eve"]


def test_the_office_prints_a_long_return_prepared_in_the_background(page, login, admin, week, monkeypatch):  # noqa: F811
    monkeypatch.setattr(returns, "PDF_ROWS", 3)  # the students' table has 5 rows
    login(page, admin)
    page.goto("/reports/returns/attendance/?start=2024-03-11&end=2024-03-15")
    expect(page.get_by_text("This return has 8 rows: its PDF is prepared in the background")).to_be_visible()
    expect(page.get_by_role("link", name="Download PDF")).to_have_count(0)

    page.get_by_role("button", name="Prepare the PDF").click()
    expect(page.get_by_role("status")).to_contain_text("Finished")
    expect(page.get_by_text("8 rows.")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    reader = PdfReader(io.BytesIO(Path(download.path()).read_bytes()))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert [name for name in NAMES if name in text] == NAMES
