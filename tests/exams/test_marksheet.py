"""Offline marksheets: export an offering's grid, fill it in with openpyxl (as a teacher would in a
spreadsheet), upload for a preview of every change and every error (read on the queue, after commit, as in
production), confirm to write them all at once."""

from __future__ import annotations

import datetime
import html
import io
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from modules.core.jobs import jobs_sweep
from modules.core.models import AuditEvent, Job, JobStatus
from modules.exams.marksheets import FIRST_MARK_COLUMN, FIRST_STUDENT_ROW, READ_KIND
from modules.exams.models import Mark, TermStatus
from tasks.exams import purge_stale_marksheet_uploads
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


def post_file(client, school, workbook, offering=None):
    buffer = io.BytesIO()
    workbook.save(buffer)
    file = SimpleUploadedFile("marks.xlsx", buffer.getvalue())
    return client.post(url("marksheet_preview", school, offering), {"term": school.term.pk, "file": file})


def upload(client, school, workbook, offering=None):
    """Post the file, let the queue read it after commit (as in production), and open the page the
    teacher is sent to: the preview of the reading."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = post_file(client, school, workbook, offering)
    assert response.status_code == 302
    return client.get(response["Location"])


def test_it_exports_the_grid_with_ids_maxima_and_marks(as_user, teacher, school, grid):
    sheet = export(as_user(teacher), school)["Marks"]
    assert sheet["A1"].value == f"studentflow-marksheet offering={school.offering.pk} term={school.term.pk}"
    assert sheet.row_dimensions[1].hidden
    assert sheet.protection.sheet
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
    assert name.data_type == "s"
    assert name.value.startswith("'=")


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


def changed_workbook(client, school):
    workbook = export(client, school)
    workbook["Marks"].cell(find_row(workbook["Marks"], "A-0001"), FIRST_MARK_COLUMN).value = 17
    return workbook


def test_the_request_stores_the_file_and_queues_the_reading_without_parsing_it(
    as_user, teacher, school, grid, django_capture_on_commit_callbacks
):
    client = as_user(teacher)
    workbook = changed_workbook(client, school)
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_file(client, school, workbook)
    job = Job.objects.get(kind=READ_KIND)
    page = url("marksheet", school) + f"?term={school.term.pk}&reading={job.pk}"
    assert response.status_code == 302
    assert response["Location"] == page
    assert len(callbacks) == 1  # the reading waits for the queue
    assert job.status == JobStatus.QUEUED
    assert job.owner == teacher
    assert job.result == {}
    assert job.payload["offering"] == school.offering.pk
    assert job.payload["term"] == school.term.pk
    assert default_storage.exists(job.payload["path"])  # stored privately until read

    response = client.get(page)
    text = response.content.decode()
    assert "Reading your file…" in text
    assert response.context["reading"] is None
    assert f'hx-get="{html.escape(page)}"' in text
    assert 'hx-trigger="every 1s"' in text
    assert response.context["confirm_form"] is None

    callbacks[0]()  # the queue runs
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert not job.payload["path"]
    assert not default_storage.exists(response.context["job"].payload["path"])  # deleted once read
    response = client.get(page, HTTP_HX_REQUEST="true")
    text = response.content.decode()
    assert "<html" not in text
    assert "Reading your file…" not in text
    assert "hx-trigger" not in text
    assert [(c.student, c.old, c.new) for c in response.context["reading"].changes] == [
        ("Sam Parent", "12", "17")
    ]
    assert "Save 1 change" in text
    assert Mark.objects.get().score == 12


def test_another_user_can_neither_see_nor_confirm_someone_elses_reading(
    as_user, teacher, admin, school, grid
):
    teacher_client = as_user(teacher)
    response = upload(teacher_client, school, changed_workbook(teacher_client, school))
    token = response.context["confirm_form"].initial["token"]
    page = url("marksheet", school) + f"?reading={token}"
    office = as_user(admin)  # allowed on the class, but the reading is the teacher's
    assert office.get(page).status_code == 404
    assert office.post(url("marksheet_confirm", school), {"token": token}).status_code == 404
    assert office.post(url("marksheet_confirm", school), {"token": "not-a-job"}).status_code == 404
    # Nor through another class of the teacher's own.
    teacher_client = as_user(teacher)
    other = f.CourseOfferingFactory(section=school.section, teacher=school.offering.teacher)
    assert teacher_client.get(url("marksheet", school, other) + f"?reading={token}").status_code == 404
    assert teacher_client.post(url("marksheet_confirm", school, other), {"token": token}).status_code == 404
    assert Mark.objects.get().score == 12
    assert teacher_client.post(url("marksheet_confirm", school), {"token": token}).status_code == 302
    assert Mark.objects.get().score == 17


def test_a_reading_is_confirmed_once(as_user, teacher, school, grid):
    client = as_user(teacher)
    response = upload(client, school, changed_workbook(client, school))
    token = response.context["confirm_form"].initial["token"]
    client.post(url("marksheet_confirm", school), {"token": token})
    Mark.objects.update(score=3)  # changed again in the gradebook afterwards
    response = client.post(url("marksheet_confirm", school), {"token": token}, follow=True)
    assert "There is nothing to save" in response.content.decode()
    assert Mark.objects.get().score == 3
    assert Job.objects.get(pk=token).result["applied"] is True
    assert AuditEvent.objects.filter(action="marksheet.import").count() == 1
    page = client.get(url("marksheet", school) + f"?reading={token}")
    assert "These changes were saved." in page.content.decode()
    assert page.context["confirm_form"] is None


def test_a_reading_lost_with_its_worker_is_queued_again_by_the_sweeper(
    as_user, teacher, school, grid, django_capture_on_commit_callbacks
):
    client = as_user(teacher)
    with django_capture_on_commit_callbacks() as callbacks:
        post_file(client, school, changed_workbook(client, school))
    assert len(callbacks) == 1  # the worker holding this task is killed: it never runs
    job = Job.objects.get(kind=READ_KIND)
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, attempts=1, leased_until=timezone.now() - datetime.timedelta(seconds=1)
    )
    page = url("marksheet", school) + f"?reading={job.pk}"
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_sweep().restarted == 1
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.attempts == 2
    response = client.get(page)
    assert [(c.student, c.new) for c in response.context["reading"].changes] == [("Sam Parent", "17")]
    assert "Finished after a restart" in response.content.decode()
    client.post(url("marksheet_confirm", school), {"token": str(job.pk)})
    assert Mark.objects.get().score == 17


def test_a_reading_whose_file_is_gone_says_so(
    as_user, teacher, school, grid, django_capture_on_commit_callbacks
):
    client = as_user(teacher)
    with django_capture_on_commit_callbacks() as callbacks:
        post_file(client, school, changed_workbook(client, school))
    job = Job.objects.get(kind=READ_KIND)
    default_storage.delete(job.payload["path"])  # purged (tasks.exams) before a worker got to it
    callbacks[0]()
    response = client.get(url("marksheet", school) + f"?reading={job.pk}")
    assert "The uploaded file is no longer available. Upload it again." in response.content.decode()
    assert response.context["confirm_form"] is None


def test_an_upload_never_read_is_purged_after_a_day(
    as_user, teacher, school, grid, django_capture_on_commit_callbacks
):
    client = as_user(teacher)
    with django_capture_on_commit_callbacks():  # the task is lost: nothing reads the file
        post_file(client, school, changed_workbook(client, school))
    job = Job.objects.get(kind=READ_KIND)
    path = job.payload["path"]
    assert purge_stale_marksheet_uploads.call_local() == 0  # a fresh upload is kept for its reading
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - datetime.timedelta(days=2))
    assert purge_stale_marksheet_uploads.call_local() == 1
    assert not default_storage.exists(path)
    job.refresh_from_db()
    assert job.payload["path"] == ""
