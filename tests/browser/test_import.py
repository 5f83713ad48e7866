"""The office imports students with their guardians from a spreadsheet, like a person would."""

from __future__ import annotations

from openpyxl import load_workbook
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


def test_the_office_imports_the_valid_rows_then_the_corrected_rejected_ones(
    page, login, admin, school, tmp_path
):
    rows = [
        student_row(1, first_name="Vera", last_name="Valid"),
        student_row(2, first_name="Bart", last_name="Badday", date_of_birth="31/02/2010"),
        student_row(3, first_name="Vic", last_name="Valid"),
        student_row(4, first_name="Bea", last_name="Badsection", section="9Z"),
        student_row(5, first_name="Val", last_name="Valid", guardian1_email="shared@family.test"),
    ]
    first = tmp_path / "term-intake.xlsx"
    first.write_bytes(xlsx_bytes(rows))
    login(page, admin)
    page.goto("/people/import/")
    page.get_by_label("Spreadsheet with students and guardians").set_input_files(first)
    page.get_by_role("button", name="Upload and check").click()

    expect(page.get_by_role("heading", name="The dry run found 2 problems.")).to_be_visible()
    expect(page.get_by_text("2 rows have problems and cannot be imported.")).to_be_visible()
    assert not Student.objects.filter(admission_number__startswith="N").exists()
    page.get_by_role("button", name="Import the 3 valid rows").click()

    expect(page.get_by_role("heading", name="Import finished")).to_be_visible()
    expect(page.get_by_text("3 students imported", exact=True)).to_be_visible()
    expect(page.get_by_text("2 rows were not imported.")).to_be_visible()
    assert sorted(
        Student.objects.filter(admission_number__startswith="N").values_list("last_name", flat=True)
    ) == [
        "Valid",
        "Valid",
        "Valid",
    ]

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download rejected rows (.xlsx)").click()
    rejected = tmp_path / "rejected.xlsx"
    download_info.value.save_as(rejected)
    workbook = load_workbook(rejected)
    sheet = workbook.worksheets[0]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][-1] == "Reason"
    assert len(values) == 3
    reasons = {row[1]: row[-1] for row in values[1:]}
    assert reasons == {
        "Bart": "Date of birth '31/02/2010' is not a valid date (write it as YYYY-MM-DD or DD/MM/YYYY).",
        "Bea": "Section '9Z' does not exist this year.",
    }

    # The office corrects the two cells in the file it downloaded and uploads it as it is.
    headers = values[0]
    sheet.cell(row=2, column=headers.index("date_of_birth") + 1, value="2010-02-28")
    sheet.cell(row=3, column=headers.index("section") + 1, value="7B")
    workbook.save(rejected)
    page.get_by_role("link", name="Import another file").click()
    page.get_by_label("Spreadsheet with students and guardians").set_input_files(rejected)
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("heading", name="No problems found")).to_be_visible()
    expect(page.get_by_text("These columns are not used")).to_have_count(0)
    page.get_by_role("button", name="Import 2 students").click()
    expect(page.get_by_role("heading", name="Import finished")).to_be_visible()
    page.reload()
    expect(page.get_by_text("2 students imported", exact=True)).to_be_visible()
    assert Student.objects.filter(admission_number__startswith="N").count() == 5
    bart = Student.objects.get(first_name="Bart")
    assert bart.date_of_birth.isoformat() == "2010-02-28"
    assert bart.enrollments.get().section.name == "7A"
    assert Student.objects.get(first_name="Bea").enrollments.get().section.name == "7B"


def test_the_office_invites_the_guardians_of_a_section(phone_page, login, admin, school):
    from django.core import mail

    from modules.people.models import Guardian
    from tests import factories as f

    for name, email, language in [("Gina", "gina@family.test", "es"), ("Nadia", "", "en")]:
        child = f.StudentFactory(first_name=f"Kid{name}", last_name="Family")
        f.EnrollmentFactory(student=child, section=school.section)
        guardian = f.GuardianFactory(
            user=None, first_name=name, last_name="Family", email=email, preferred_language=language
        )
        f.GuardianLinkFactory(student=child, guardian=guardian)
    page = phone_page
    login(page, admin)
    page.goto("/people/guardians/")
    page.get_by_role("link", name="Invite guardians without a login").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invite guardians without a login")
    page.get_by_label("Guardians of").select_option(label="7A")
    page.get_by_role("button", name="Show who will be invited").click()
    expect(page.get_by_text("1 guardian without a login will be invited.")).to_be_visible()
    expect(page.get_by_role("link", name="Nadia Family")).to_be_visible()  # no email: listed to be fixed
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_role("button", name="Invite 1 guardian").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invitations to guardians · 7A")
    expect(page.get_by_text("1 invitation sent.")).to_be_visible()
    page.reload()
    expect(page.get_by_text("1 of 1 done (100%).")).to_be_visible()
    assert [message.to for message in mail.outbox] == [["gina@family.test"]]
    assert "Su cuenta" in mail.outbox[0].subject
    assert Guardian.objects.get(first_name="Gina").user.language == "es"
