"""The office imports students with their guardians from a spreadsheet, like a person would."""

from __future__ import annotations

from playwright.sync_api import expect

from modules.people.models import Student
from tests.people.test_import_files import student_row, xlsx_bytes


def test_the_office_imports_students_after_a_clean_dry_run(page, login, admin, school, tmp_path):
    path = tmp_path / "new-students.xlsx"
    path.write_bytes(
        xlsx_bytes(
            [
                student_row(1, first_name="Inez", last_name="Imported"),
                student_row(2, first_name="Ivan", last_name="Imported", guardian1_email="parent@school.test"),
            ]
        )
    )
    login(page, admin)
    page.get_by_role("button", name="Office", exact=True).click()  # the office menu in the navigation
    page.get_by_role("link", name="Import students and guardians").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import students and guardians")
    page.get_by_label("Spreadsheet with students and guardians").set_input_files(path)
    page.get_by_role("button", name="Upload and check").click()

    expect(page.get_by_role("heading", name="No problems found")).to_be_visible()
    expect(page.get_by_role("cell", name="Inez Imported")).to_be_visible()
    expect(page.get_by_text("existing guardian", exact=True)).to_be_visible()
    assert not Student.objects.filter(last_name="Imported").exists()  # the dry run wrote nothing

    page.get_by_role("button", name="Import 2 students").click()
    # The write runs on the queue (immediate in tests); the page shows it finished.
    expect(page.get_by_role("heading", name="Import finished")).to_be_visible()
    expect(page.get_by_text("2 students imported", exact=True)).to_be_visible()
    page.get_by_role("link", name="See the students").click()
    expect(page.get_by_role("link", name="Inez Imported")).to_be_visible()
    expect(page.get_by_role("link", name="Ivan Imported")).to_be_visible()


def test_the_office_sees_the_problems_and_cannot_confirm(page, login, admin, school, tmp_path):
    path = tmp_path / "students.xlsx"
    path.write_bytes(xlsx_bytes([student_row(1), student_row(2, date_of_birth="31/02/2010")]))
    login(page, admin)
    page.goto("/people/import/")
    page.get_by_label("Spreadsheet with students and guardians").set_input_files(path)
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("heading", name="The dry run found 1 problem.")).to_be_visible()
    expect(page.get_by_text("Row 3: date of birth '31/02/2010' is not a valid date").first).to_be_visible()
    expect(page.get_by_role("button", name="Import 2 students")).to_have_count(0)
    page.get_by_role("link", name="Upload a corrected file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import students and guardians")
