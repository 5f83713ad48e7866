"""The office prints a section's report cards and gets ONE PDF with a page per student."""

from __future__ import annotations

import io
from pathlib import Path

from playwright.sync_api import expect
from pypdf import PdfReader

from tests import factories as f
from tests.exams.test_report_card_fixtures import sams_term


def test_the_office_prints_a_sections_report_cards_as_one_pdf(page, login, admin, school):
    sams_term(school)
    for first in ["Ana", "Ben", "Cleo"]:
        f.EnrollmentFactory(
            student=f.StudentFactory(first_name=first, last_name="Print"), section=school.section
        )
    login(page, admin)
    page.goto("/grades/report-cards/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Report cards")
    page.get_by_label("Term").select_option(label=str(school.term))
    page.get_by_label(f"7A ({school.year.name})").check()
    page.get_by_role("button", name="Print report cards").click()

    expect(page.get_by_role("status")).to_contain_text("Finished")
    expect(page.get_by_text("4 report cards in one PDF.")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    reader = PdfReader(io.BytesIO(Path(download.path()).read_bytes()))
    texts = [p.extract_text() for p in reader.pages]
    assert len(texts) == 4
    # Sorted by last name, then first name: Sam Parent before the three Prints.
    expected = ["Sam Parent", "Ana Print", "Ben Print", "Cleo Print"]
    assert [name in text for name, text in zip(expected, texts, strict=True)] == [True] * 4
