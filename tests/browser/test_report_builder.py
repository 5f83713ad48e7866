"""The office builds a report like a person: students with attendance below 90% this term, by section; it
previews (the preview follows the form), saves it, exports it as XLSX and opens the file; the builder and the
saved report are axe-clean and fit a 390 px phone."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from playwright.sync_api import expect

from tests import factories as f
from tests.browser.test_walk import AXE_JS, AXE_SOURCE, OVERFLOW_JS
from tests.reports.test_builder import _attendance, _classmate

TYPING_DELAY_MS = 40


def _axe_clean(page) -> None:
    page.evaluate(AXE_SOURCE + "\n;true")
    violations = page.evaluate(AXE_JS, None)
    assert violations == [], violations
    assert page.evaluate(OVERFLOW_JS) is None


def test_the_office_builds_previews_saves_and_exports_a_report(page, login, admin, school):
    _attendance(school)  # Sam (7A) 80%, Olive (7B) 100%
    _classmate(school, "Cleo", "A-0003", absences=5)  # 50%
    login(page, admin)
    page.goto("/reports/builder/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Report builder")
    page.get_by_role("link", name="New report").click()
    page.get_by_role("link", name="Attendance by student").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New report")

    page.get_by_label("Filter 1: field").select_option(label="Attendance rate (%)")
    page.get_by_label("Filter 1: comparison").select_option(label="is less than")
    value = page.get_by_label("Filter 1: value")
    value.click()
    value.press_sequentially("90", delay=TYPING_DELAY_MS)
    page.get_by_label("Group by").select_option(label="Section")
    page.get_by_role("button", name="Preview").click()

    preview = page.get_by_role("table", name="Preview of the report")
    expect(preview.get_by_role("rowheader", name="7A")).to_be_visible()
    expect(preview.get_by_role("rowheader", name="7B")).to_have_count(0)
    expect(page.get_by_text("1 row", exact=True)).to_be_visible()
    _axe_clean(page)

    name = page.get_by_label("Report name")
    name.click()
    name.press_sequentially("Below 90% by section", delay=TYPING_DELAY_MS)
    name.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Below 90% by section")
    report = page.get_by_role("table", name="Below 90% by section")
    expect(report.get_by_role("rowheader", name="7A")).to_be_visible()
    _axe_clean(page)

    with page.expect_download() as waiting:
        page.get_by_role("link", name="Export (XLSX)").click()
    download = waiting.value
    assert download.suggested_filename.startswith("below-90-by-section-")
    with open(download.path(), "rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read())).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][:3] == ["Section", "Rows", "Possible sessions (total)"]
    assert rows[1][:3] == ["7A", 2, 20]
    assert len(rows) == 2

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    _axe_clean(page)


def test_a_filters_value_follows_the_field_chosen_for_it(page, login, admin, school):
    for first, gender in (("Nora", "F"), ("Milo", "M")):
        student = f.StudentFactory(first_name=first, last_name="Brightwater", gender=gender)
        f.EnrollmentFactory(student=student, section=school.other_section)
    login(page, admin)
    page.goto("/reports/builder/new/?dataset=students")
    value = page.get_by_label("Filter 1: value")
    expect(value).to_have_attribute("type", "text")

    page.get_by_label("Filter 1: field").select_option(label="Gender")
    expect(value).to_have_js_property("tagName", "SELECT")  # the list of its choices, under the same label
    value.focus()
    page.keyboard.press("ArrowDown")  # (choose) → Female, as a person moves through a list
    expect(value).to_have_value("F")
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("table", name="Preview of the report")
    expect(preview.get_by_text("Nora Brightwater")).to_be_visible()
    expect(preview.get_by_text("Milo Brightwater")).to_have_count(0)
    _axe_clean(page)

    page.get_by_label("Filter 1: field").select_option(label="Date of birth")
    expect(value).to_have_attribute("type", "date")
    page.get_by_label("Filter 1: field").select_option(label="Last name")
    expect(value).to_have_attribute("type", "text")
    value.click()
    value.press_sequentially("Brightwater", delay=TYPING_DELAY_MS)
    page.get_by_role("button", name="Preview").click()
    expect(preview.get_by_text("Milo Brightwater")).to_be_visible()
    expect(preview.get_by_text("Nora Brightwater")).to_be_visible()
    page.reload()  # the address keeps the filter; the page draws its input as the field needs
    expect(page.get_by_label("Filter 1: value")).to_have_value("Brightwater")
