"""Offline marksheets: export an offering's grid, fill it in with openpyxl (as a teacher would in a
spreadsheet), upload for a preview of every change and every error, confirm to write them all at once."""

from __future__ import annotations

import html
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from modules.core.models import AuditEvent
from modules.exams.marksheets import FIRST_MARK_COLUMN, FIRST_STUDENT_ROW
from modules.exams.models import Mark, TermStatus
from tests import factories as f
from tests.reauth import reauthenticate

pytestmark = pytest.mark.django_db


@pytest.fixture
def grid(school):
    """Mathematics · 7A in Term 1: Sam and Ann; Quiz 1 (out of 20, Sam has 12) and Quiz 2 (out of 20)."""
    ann = f.StudentFactory(first_name="Ann", last_name="Able", admission_number="A-0003")
    f.EnrollmentFactory(student=ann, section=school.section)
    quiz1 = f.AssessmentFactory(offering=school.offering, term=school.term, name="Quiz 1", max_score=20)
    quiz2 = f.AssessmentFactory(offering=school.offering, term=school.term, name="Quiz 2", max_score=20)
    f.MarkFactory(assessment=quiz1, student=school.child, score=12)
    return {"ann": ann, "quiz1": quiz1, "quiz2": quiz2}


def url(name, school, offering=None) -> str:
    return reverse(f"exams:{name}", kwargs={"pk": (offering or school.offering).pk})


def export(client, school, offering=None):
    reauthenticate(client)  # a bulk export of the class (modules.core.exports)
    response = client.get(url("marksheet_export", school, offering), {"term": school.term.pk})
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content))


def find_row(sheet, admission) -> int:
    for row in range(FIRST_STUDENT_ROW, sheet.max_row + 1):
        if sheet.cell(row, 1).value == admission:
            return row
    raise AssertionError(admission)


def upload(client, school, workbook, offering=None):
    buffer = io.BytesIO()
    workbook.save(buffer)
    file = SimpleUploadedFile("marks.xlsx", buffer.getvalue())
    return client.post(url("marksheet_preview", school, offering), {"term": school.term.pk, "file": file})


def test_it_exports_the_grid_with_ids_maxima_and_marks(as_user, teacher, school, grid):
    sheet = export(as_user(teacher), school)["Marks"]
    assert sheet["A1"].value == f"studentflow-marksheet offering={school.offering.pk} term={school.term.pk}"
    assert sheet.row_dimensions[1].hidden and sheet.protection.sheet
    assert sheet.cell(3, FIRST_MARK_COLUMN).value == grid["quiz1"].pk
    assert sheet.cell(4, FIRST_MARK_COLUMN).value == "Quiz 1"
    assert sheet.cell(5, FIRST_MARK_COLUMN).value == 20
    row = find_row(sheet, "A-0001")
    assert sheet.cell(row, 2).value == "Sam Parent"
    assert sheet.cell(row, FIRST_MARK_COLUMN).value == 12
    assert sheet.cell(row, FIRST_MARK_COLUMN).protection.locked is False
    assert AuditEvent.objects.filter(action="marksheet.export", actor=teacher).exists()


def test_it_neutralises_formulas_in_names(as_user, admin, school, grid):
    grid["ann"].first_name = '=HYPERLINK("http://x")'
    grid["ann"].save()
    sheet = export(as_user(admin), school)["Marks"]
    name = sheet.cell(find_row(sheet, "A-0003"), 2)
    assert name.data_type == "s" and name.value.startswith("'=")


def test_it_round_trips_preview_then_confirm_in_one_go(as_user, teacher, school, grid):
    client = as_user(teacher)
    workbook = export(client, school)
    sheet = workbook["Marks"]
    sam, ann = find_row(sheet, "A-0001"), find_row(sheet, "A-0003")
    sheet.cell(sam, FIRST_MARK_COLUMN).value = 14.5  # 12 → 14.5
    sheet.cell(sam, FIRST_MARK_COLUMN + 1).value = "abs"
    sheet.cell(ann, FIRST_MARK_COLUMN + 1).value = 18
    response = upload(client, school, workbook)
    assert response.status_code == 200
    changes = {(c.student, c.assessment, c.old, c.new) for c in response.context["reading"].changes}
    assert changes == {
        ("Sam Parent", "Quiz 1", "12", "14.5"),
        ("Sam Parent", "Quiz 2", "", "abs"),
        ("Ann Able", "Quiz 2", "", "18"),
    }
    assert "Save 3 changes" in response.content.decode()
    assert Mark.objects.count() == 1  # nothing written by the preview
    token = response.context["confirm_form"].initial["token"]
    response = client.post(url("marksheet_confirm", school), {"token": token})
    assert response.status_code == 302
    assert Mark.objects.get(assessment=grid["quiz1"], student=school.child).score == Decimal("14.5")
    assert Mark.objects.get(assessment=grid["quiz2"], student=school.child).code == "abs"
    assert Mark.objects.get(assessment=grid["quiz2"], student=grid["ann"]).score == 18
    assert AuditEvent.objects.filter(action="mark.set", actor=teacher).count() == 3
    assert AuditEvent.objects.filter(action="marksheet.import").count() == 1
    # A second confirm (a double click, the back button) does nothing.
    response = client.post(url("marksheet_confirm", school), {"token": token}, follow=True)
    assert "There is nothing to save" in response.content.decode()
    assert AuditEvent.objects.filter(action="mark.set").count() == 3


def test_it_shows_every_error_and_writes_nothing(as_user, teacher, school, grid):
    client = as_user(teacher)
    workbook = export(client, school)
    sheet = workbook["Marks"]
    sam = find_row(sheet, "A-0001")
    sheet.cell(sam, FIRST_MARK_COLUMN).value = 15  # a valid change, not written because of the errors
    sheet.cell(sam, FIRST_MARK_COLUMN + 1).value = 25
    sheet.cell(find_row(sheet, "A-0003"), FIRST_MARK_COLUMN).value = "seven"
    response = upload(client, school, workbook)
    page = response.content.decode()
    assert f"Row {sam} (Sam Parent), Quiz 2: 25 is above the maximum of 20." in page
    assert "is not a score" in page
    assert response.context["confirm_form"] is None
    assert Mark.objects.get().score == 12


def test_it_refuses_a_file_for_another_class(as_user, admin, school, grid):
    client = as_user(admin)
    other = f.CourseOfferingFactory(
        subject=school.offering.subject, section=school.other_section, teacher=school.other_teacher_staff
    )
    workbook = export(client, school, offering=other)
    response = upload(client, school, workbook)
    assert "This file is for Mathematics · 7B, not for this class." in response.content.decode()
    assert response.context["confirm_form"] is None


def test_it_refuses_changed_student_rows(as_user, teacher, school, grid):
    client = as_user(teacher)
    workbook = export(client, school)
    sheet = workbook["Marks"]
    extra = sheet.max_row + 1
    sheet.cell(extra, 1).value = "A-0042"
    sheet.cell(extra, 2).value = "New Kid"
    sheet.cell(extra, FIRST_MARK_COLUMN).value = 10
    response = upload(client, school, workbook)
    assert "The student rows changed: A-0042 is not in this class." in response.content.decode()
    assert Mark.objects.count() == 1


def test_it_refuses_an_unknown_assessment_column(as_user, teacher, school, grid):
    client = as_user(teacher)
    workbook = export(client, school)
    sheet = workbook["Marks"]
    column = FIRST_MARK_COLUMN + 2
    sheet.cell(3, column).value = 999999
    sheet.cell(4, column).value = "Quiz 9"
    response = upload(client, school, workbook)
    assert "Assessment “Quiz 9” is not in this class." in response.content.decode()


def test_it_refuses_a_locked_term_to_the_teacher(as_user, teacher, school, grid):
    client = as_user(teacher)
    workbook = export(client, school)
    workbook["Marks"].cell(find_row(workbook["Marks"], "A-0001"), FIRST_MARK_COLUMN).value = 19
    TermStatus.objects.create(term=school.term, locked_at=timezone.now())
    response = upload(client, school, workbook)
    assert "This term is locked. Ask the office to change a mark." in response.content.decode()
    assert response.context["confirm_form"] is None
    assert Mark.objects.get().score == 12


def test_it_lets_the_office_change_a_locked_term_with_a_reason(as_user, admin, school, grid):
    client = as_user(admin)
    workbook = export(client, school)
    workbook["Marks"].cell(find_row(workbook["Marks"], "A-0001"), FIRST_MARK_COLUMN).value = 19
    TermStatus.objects.create(term=school.term, locked_at=timezone.now())
    token = upload(client, school, workbook).context["confirm_form"].initial["token"]
    response = client.post(url("marksheet_confirm", school), {"token": token}, follow=True)
    assert "give a reason" in response.content.decode()
    assert Mark.objects.get().score == 12
    client.post(url("marksheet_confirm", school), {"token": token, "reason": "Re-marked paper"})
    assert Mark.objects.get().score == 19
    assert AuditEvent.objects.get(action="mark.set").reason == "Re-marked paper"


def test_it_refuses_a_confirm_when_a_mark_changed_since_the_preview(as_user, teacher, school, grid):
    client = as_user(teacher)
    workbook = export(client, school)
    sheet = workbook["Marks"]
    sheet.cell(find_row(sheet, "A-0001"), FIRST_MARK_COLUMN).value = 19
    sheet.cell(find_row(sheet, "A-0003"), FIRST_MARK_COLUMN).value = 5
    token = upload(client, school, workbook).context["confirm_form"].initial["token"]
    Mark.objects.filter(student=school.child).update(score=13)  # typed in the gradebook meanwhile
    response = client.post(url("marksheet_confirm", school), {"token": token}, follow=True)
    assert "changed since the preview" in response.content.decode()
    assert not Mark.objects.filter(student=grid["ann"]).exists()  # all or nothing


def test_it_refuses_a_file_that_is_not_a_workbook(as_user, teacher, school, grid):
    response = as_user(teacher).post(
        url("marksheet_preview", school),
        {"term": school.term.pk, "file": SimpleUploadedFile("marks.xlsx", b"not a zip at all")},
    )
    assert response.status_code == 400
    assert "is not really a .xlsx file" in response.content.decode()


def test_it_hides_the_marksheet_from_other_teachers_and_families(as_user, other_teacher, guardian, school):
    for user in (other_teacher, guardian):
        client = as_user(user)
        assert client.get(url("marksheet", school)).status_code == 404
        assert client.get(url("marksheet_export", school)).status_code == 404
    assert as_user(other_teacher).post(url("marksheet_confirm", school), {"token": "x"}).status_code == 404


def test_it_shows_the_marksheet_page_and_refuses_wrong_methods(as_user, teacher, school, grid):
    client = as_user(teacher)
    response = client.get(url("marksheet", school))
    assert response.status_code == 200
    assert "Download the marksheet (.xlsx)" in response.content.decode()
    assert client.post(url("marksheet", school)).status_code == 405
    assert client.get(url("marksheet_preview", school)).status_code == 405
    assert client.get(url("marksheet_confirm", school)).status_code == 405


def test_a_file_downloaded_before_a_gradebook_change_does_not_undo_it(as_user, teacher, admin, school, grid):
    client = as_user(teacher)
    workbook = export(client, school)  # Sam has 12 in Quiz 1
    sheet = workbook["Marks"]
    assert workbook["Base"].sheet_state == "veryHidden"
    sam, ann = find_row(sheet, "A-0001"), find_row(sheet, "A-0003")
    # Meanwhile the office changes Sam's Quiz 1 to 15 and enters Ann's Quiz 2 as 9 in the gradebook.
    Mark.objects.filter(assessment=grid["quiz1"], student=school.child).update(score=15)
    f.MarkFactory(assessment=grid["quiz2"], student=grid["ann"], score=9)
    # The teacher leaves Sam's 12 as downloaded, types 11 in Ann's Quiz 2 (empty in the file) and 16 in Sam's.
    sheet.cell(ann, FIRST_MARK_COLUMN + 1).value = 11
    sheet.cell(sam, FIRST_MARK_COLUMN + 1).value = 16
    response = upload(client, school, workbook)
    page = html.unescape(response.content.decode())
    reading = response.context["reading"]
    assert [(c.student, c.assessment, c.old, c.new) for c in reading.changes] == [
        ("Sam Parent", "Quiz 2", "", "16")
    ]
    assert not reading.errors
    assert "1 mark was changed by someone else since the file was downloaded" in page
    assert (
        f"Row {ann} (Ann Able), Quiz 2: someone else changed the mark from “—” to “9” since the file was "
        "downloaded; the file's “11” is not saved." in page
    )
    token = response.context["confirm_form"].initial["token"]
    assert client.post(url("marksheet_confirm", school), {"token": token}).status_code == 302
    marks = {(m.assessment.name, m.student.first_name): m.display for m in Mark.objects.all()}
    assert marks == {("Quiz 1", "Sam"): "15", ("Quiz 2", "Ann"): "9", ("Quiz 2", "Sam"): "16"}
