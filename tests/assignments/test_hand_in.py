"""Handing work in through the student's page: files and typed answers, the receipt, replacing until the
due time, late work by the late policy, and every refusal with nothing half-written."""

from __future__ import annotations

import datetime
import hashlib
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from modules.assignments.events import work_handed_in
from modules.assignments.models import HandIn, HomeworkPolicy, LatePolicy, Submission, SubmissionFile
from modules.core.models import AuditEvent
from tests import factories as f

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def pdf(name="essay.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def txt(name="answer.txt", content=b"The Romans built roads."):
    return SimpleUploadedFile(name, content, content_type="text/plain")


def hand_in_url(assignment):
    return reverse("assignments:hand_in", args=[assignment.pk])


def page_url(assignment):
    return reverse("assignments:student_assignment", args=[assignment.pk])


@pytest.fixture
def homework(school):
    return f.AssignmentFactory(offering=school.offering, term=school.term, title="Roman roads")


def post(client, assignment, *, version=0, **data):
    payload = {"base_version": version, "text": ""}
    payload.update(data)
    return client.post(hand_in_url(assignment), payload)


def stored(assignment, student):
    return Submission.objects.filter(assignment=assignment, student=student).first()


def test_it_hands_in_a_file_and_a_typed_answer_and_shows_the_receipt(
    as_user, student, school, homework, django_capture_on_commit_callbacks
):
    client = as_user(student)
    received = []
    work_handed_in.connect(lambda **kw: received.append(kw), weak=False, dispatch_uid="test-hand-in")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = post(client, homework, files=[pdf()], text="  See my essay.\r\nThanks  ")
    finally:
        work_handed_in.disconnect(dispatch_uid="test-hand-in")
    assert response.status_code == 302
    assert response.url == page_url(homework) + "#receipt"
    submission = stored(homework, school.child)
    assert submission.version == 1
    assert submission.text == "See my essay.\nThanks"
    assert not submission.is_late
    (row,) = submission.files.all()
    assert (row.name, row.size, row.sha256, row.version) == (
        "essay.pdf",
        len(PDF),
        hashlib.sha256(PDF).hexdigest(),
        1,
    )
    assert "essay" not in row.file.name  # a random name on disk
    assert received == [
        {"signal": work_handed_in, "sender": "assignments", "submission_id": submission.pk, "by": student}
    ]
    assert AuditEvent.objects.filter(
        action="assignments.work_handed_in", object_id=str(submission.pk)
    ).exists()
    page = client.get(page_url(homework)).content.decode()
    assert "Handed in. Your receipt is below." in page
    receipt = page.split('data-testid="receipt"')[1].split("</section>")[0]
    assert "essay.pdf" in receipt
    assert hashlib.sha256(PDF).hexdigest() in receipt
    assert f"{len(PDF)}" in receipt  # bytes, as filesizeformat prints a small file
    assert "See my essay." in receipt
    assert reverse("assignments:submission_file", args=[row.pk]) in receipt


def test_it_takes_a_typed_answer_alone_when_the_homework_is_typed(as_user, student, school):
    assignment = f.AssignmentFactory(offering=school.offering, term=school.term, hand_in=HandIn.TEXT)
    client = as_user(student)
    page = client.get(page_url(assignment)).content.decode()
    assert 'type="file"' not in page
    assert post(client, assignment, text="Roads were straight.").status_code == 302
    assert stored(assignment, school.child).text == "Roads were straight."


def test_it_refuses_files_on_typed_homework(as_user, student, school):
    assignment = f.AssignmentFactory(offering=school.offering, term=school.term, hand_in=HandIn.TEXT)
    response = post(as_user(student), assignment, text="x", files=[pdf()])
    # The form has no file field on typed homework: the files are ignored, the answer taken.
    assert response.status_code == 302
    assert not SubmissionFile.objects.exists()


def test_it_refuses_an_empty_hand_in(as_user, student, school, homework):
    response = post(as_user(student), homework, text="   ")
    assert response.status_code == 400
    assert "Nothing was handed in: choose a file or type your answer." in response.content.decode()
    assert stored(homework, school.child) is None


def test_it_asks_for_a_file_on_file_homework(as_user, student, school, homework):
    response = post(as_user(student), homework, text="Only words")
    assert response.status_code == 400
    page = response.content.decode()
    assert "handed in as a file: choose at least one file" in page
    assert "Only words" in page  # what was typed comes back
    assert stored(homework, school.child) is None


def test_it_refuses_a_file_too_large_for_the_school_and_keeps_what_was_typed(
    as_user, student, school, homework
):
    HomeworkPolicy.objects.update_or_create(
        pk=1, defaults={"max_file_bytes": 1024, "max_submission_bytes": 4096}
    )
    response = post(as_user(student), homework, files=[txt(content=b"x" * 2000)], text="my words")
    assert response.status_code == 400
    page = response.content.decode()
    assert "answer.txt is too large" in page
    assert "my words" in page
    assert stored(homework, school.child) is None


def test_it_refuses_a_hand_in_over_the_total_or_the_number_of_files(as_user, student, school, homework):
    HomeworkPolicy.objects.update_or_create(
        pk=1, defaults={"max_file_bytes": 1500, "max_submission_bytes": 2048, "max_files": 2}
    )
    client = as_user(student)
    response = post(client, homework, files=[txt("a.txt", b"a" * 1200), txt("b.txt", b"b" * 1200)])
    assert response.status_code == 400
    assert "All the files of a hand-in come to at most 2.0" in response.content.decode()
    response = post(client, homework, files=[txt("a.txt"), txt("b.txt"), txt("c.txt")])
    assert "A hand-in holds at most 2 files; this one would hold 3." in response.content.decode()
    assert stored(homework, school.child) is None


def test_it_refuses_a_web_page_renamed_to_a_text_file(as_user, student, school, homework):
    response = post(
        as_user(student), homework, files=[txt("essay.txt", b"<!doctype html><script>alert(1)</script>")]
    )
    assert response.status_code == 400
    assert "holds a web page, a drawing or a script" in response.content.decode()
    assert not SubmissionFile.objects.exists()


def test_it_refuses_a_zip_bomb_dressed_as_a_word_file(as_user, student, school, homework):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("word/media/huge.bin", b"\0" * (110 * 1024 * 1024))
    bomb = SimpleUploadedFile("essay.docx", buffer.getvalue())
    response = post(as_user(student), homework, files=[bomb])
    assert response.status_code == 400
    assert "expands to more than 100.0" in response.content.decode()
    assert stored(homework, school.child) is None


def test_it_refuses_a_kind_the_teacher_did_not_ask_for(as_user, student, school):
    assignment = f.AssignmentFactory(offering=school.offering, term=school.term, allowed_extensions="pdf")
    response = post(as_user(student), assignment, files=[txt()])
    assert response.status_code == 400
    assert "answer.txt is not an accepted kind of file. Accepted: pdf." in response.content.decode()


def test_it_replaces_the_hand_in_until_the_due_time_keeping_the_files_ticked(
    as_user, student, school, homework
):
    client = as_user(student)
    post(client, homework, files=[pdf(), txt("notes.txt")])
    first = stored(homework, school.child)
    kept, dropped = sorted(first.files.all(), key=lambda row: row.name)
    response = post(client, homework, version=1, keep=[kept.pk], files=[txt("better.txt", b"Better answer")])
    assert response.status_code == 302
    submission = stored(homework, school.child)
    assert submission.version == 2
    current = {row.name: row for row in submission.files.filter(version=2)}
    assert set(current) == {"essay.pdf", "better.txt"}
    assert current["essay.pdf"].file.name == kept.file.name  # the same stored file, not a copy
    # The first hand-in's receipt stays true: its rows are kept.
    assert set(submission.files.filter(version=1).values_list("name", flat=True)) == {
        "essay.pdf",
        "notes.txt",
    }
    assert dropped.name == "notes.txt"
    # Each earlier hand-in's files stay on the receipt, to be downloaded and checked.
    page = client.get(page_url(homework)).content.decode()
    history = page.split('data-testid="earlier-hand-ins"')[1].split("</details>")[0]
    assert "Hand-in number 1" in history
    assert reverse("assignments:submission_file", args=[dropped.pk]) in history


def test_it_refuses_the_second_of_two_tabs_and_loses_nothing(as_user, student, school, homework):
    client = as_user(student)
    # Both tabs were drawn before anything was handed in (version 0); the first wins.
    assert post(client, homework, files=[pdf()], text="from tab one").status_code == 302
    response = post(client, homework, files=[txt()], text="typed in tab two")
    assert response.status_code == 409
    page = response.content.decode()
    assert "handed in again from another tab or device" in page
    assert "typed in tab two" in page  # kept in the form
    submission = stored(homework, school.child)
    assert (submission.version, submission.text) == (1, "from tab one")
    assert list(submission.files.values_list("name", flat=True)) == ["essay.pdf"]
    # Only the first tab's file was written to disk: the refused one left nothing behind.
    assert SubmissionFile.objects.count() == 1
    # The page now stands on the hand-in as it is: handing in from it replaces that one, on purpose.
    assert 'name="base_version" value="1"' in page
    assert post(client, homework, version=1, files=[txt()], text="typed in tab two").status_code == 302
    assert stored(homework, school.child).text == "typed in tab two"


def test_it_refuses_a_stale_tab_that_keeps_files_of_a_replaced_hand_in(as_user, student, school, homework):
    client = as_user(student)
    post(client, homework, files=[pdf()])
    old_file = SubmissionFile.objects.get()
    post(client, homework, version=1, files=[txt()])  # replaced in another tab, without the PDF
    response = post(client, homework, version=1, keep=[old_file.pk], text="stale")
    assert response.status_code == 409
    assert "handed in again from another tab or device" in response.content.decode()
    assert stored(homework, school.child).version == 2


def test_a_failed_upload_keeps_the_previous_hand_in(as_user, student, school, homework):
    client = as_user(student)
    post(client, homework, files=[pdf()], text="first")
    before = stored(homework, school.child)
    response = post(
        client, homework, version=1, files=[txt("bad.txt", b"<html><body>x</body></html>")], text="second"
    )
    assert response.status_code == 400
    after = stored(homework, school.child)
    assert (after.version, after.text, after.submitted_at) == (1, "first", before.submitted_at)
    assert [row.name for row in after.files.filter(version=1)] == ["essay.pdf"]
    assert after.files.get().file.storage.exists(after.files.get().file.name)


def test_it_removes_the_files_it_wrote_when_the_hand_in_is_refused_at_the_last_moment(
    as_user, student, school, homework, monkeypatch
):
    from modules.assignments import submissions

    written = []
    real_store = submissions._store

    def store(checked):
        rows = real_store(checked)
        written.extend(row.file.name for row in rows)
        # Another tab hands in between the early check and the locked one.
        f.SubmissionFactory(assignment=homework, student=school.child, version=1)
        return rows

    monkeypatch.setattr(submissions, "_store", store)
    response = post(as_user(student), homework, files=[pdf()])
    assert response.status_code == 409
    assert written
    from django.core.files.storage import default_storage

    assert not any(default_storage.exists(name) for name in written)


def test_it_marks_a_late_hand_in_with_its_days_late(as_user, student, school):
    now = timezone.now()
    assignment = f.AssignmentFactory(
        offering=school.offering,
        term=school.term,
        opens_at=now - datetime.timedelta(days=5),
        due_at=now - datetime.timedelta(days=1, hours=2),
        late_until=now + datetime.timedelta(days=2),
    )
    client = as_user(student)
    page = client.get(page_url(assignment)).content.decode()
    assert "this hand-in will be marked late" in page
    assert post(client, assignment, files=[pdf()]).status_code == 302
    submission = stored(assignment, school.child)
    assert (submission.is_late, submission.days_late) == (True, 2)
    assert "2 days late" in client.get(page_url(assignment)).content.decode()


def test_it_refuses_a_hand_in_after_the_cut_off(as_user, student, school):
    now = timezone.now()
    assignment = f.AssignmentFactory(
        offering=school.offering,
        term=school.term,
        opens_at=now - datetime.timedelta(days=5),
        due_at=now - datetime.timedelta(days=2),
        late_until=now - datetime.timedelta(days=1),
    )
    client = as_user(student)
    page = client.get(page_url(assignment)).content.decode()
    assert "Late work was accepted until" in page
    assert 'action="' + hand_in_url(assignment) not in page
    response = post(client, assignment, files=[pdf()])
    assert response.status_code == 400
    assert "Late work was accepted until" in response.content.decode()
    assert stored(assignment, school.child) is None
    assert not SubmissionFile.objects.exists()


def test_it_refuses_late_work_when_the_teacher_does(as_user, student, school):
    now = timezone.now()
    assignment = f.AssignmentFactory(
        offering=school.offering,
        term=school.term,
        opens_at=now - datetime.timedelta(days=5),
        due_at=now - datetime.timedelta(minutes=1),
        late_policy=LatePolicy.REFUSE,
    )
    response = post(as_user(student), assignment, files=[pdf()])
    assert response.status_code == 400
    assert "late work is not accepted" in response.content.decode()


def test_it_keeps_an_on_time_hand_in_once_the_due_time_has_passed(as_user, student, school):
    now = timezone.now()
    assignment = f.AssignmentFactory(
        offering=school.offering,
        term=school.term,
        opens_at=now - datetime.timedelta(days=5),
        due_at=now - datetime.timedelta(hours=1),
    )
    f.SubmissionFactory(
        assignment=assignment, student=school.child, submitted_at=now - datetime.timedelta(hours=2)
    )
    response = post(as_user(student), assignment, version=1, text="changed my mind", files=[pdf()])
    assert response.status_code == 400
    assert "Your hand-in was on time and stays as it is" in response.content.decode()
    assert stored(assignment, school.child).text == "My answer."


def test_it_refuses_after_the_work_was_returned(as_user, student, school, homework):
    f.SubmissionFactory(assignment=homework, student=school.child, returned_at=timezone.now())
    response = post(as_user(student), homework, version=1, files=[pdf()])
    assert response.status_code == 400
    assert "marked and returned" in response.content.decode()


def test_it_refuses_paper_homework_online(as_user, student, school):
    assignment = f.AssignmentFactory(offering=school.offering, term=school.term, hand_in=HandIn.PAPER)
    response = post(as_user(student), assignment, files=[pdf()])
    assert response.status_code == 400
    assert "handed in on paper" in response.content.decode()


def test_it_answers_404_for_another_class_or_an_unpublished_assignment(as_user, student, school):
    other_class = f.AssignmentFactory(offering=school.other_offering, term=school.term)
    draft = f.AssignmentFactory(offering=school.offering, term=school.term, published_at=None)
    later = f.AssignmentFactory(
        offering=school.offering, term=school.term, published_at=timezone.now() + datetime.timedelta(days=1)
    )
    client = as_user(student)
    for assignment in (other_class, draft, later):
        assert client.get(page_url(assignment)).status_code == 404
        assert post(client, assignment, files=[pdf()]).status_code == 404
    assert not Submission.objects.exists()


def test_it_refuses_the_wrong_method_and_the_wrong_roles(
    client, as_user, teacher, guardian, bursar, school, homework
):
    assert client.post(hand_in_url(homework), {"base_version": 0}).status_code == 302  # visitors log in
    for user in (teacher, guardian, bursar):
        assert post(as_user(user), homework, files=[pdf()]).status_code == 403
    student_client = as_user(school.child.user)
    assert student_client.get(hand_in_url(homework)).status_code == 405
    assert student_client.put(hand_in_url(homework)).status_code == 405
    assert not Submission.objects.exists()


def test_it_refuses_a_missing_or_forged_version(as_user, student, school, homework):
    client = as_user(student)
    response = client.post(hand_in_url(homework), {"files": [pdf()]})
    assert response.status_code == 400
    assert post(client, homework, version=7, files=[pdf()]).status_code == 409
    assert stored(homework, school.child) is None


def test_it_takes_the_same_form_sent_twice_once(as_user, student, school, homework):
    client = as_user(student)
    assert post(client, homework, files=[pdf()], text="once").status_code == 302
    # A double click: the same form, from the same page (version 0), again.
    response = post(client, homework, files=[pdf()], text="once")
    assert response.status_code == 302
    submission = stored(homework, school.child)
    assert submission.version == 1
    assert SubmissionFile.objects.count() == 1


def test_it_takes_work_on_time_until_the_students_own_extended_due_time(as_user, student, school):
    now = timezone.now()
    assignment = f.AssignmentFactory(
        offering=school.offering,
        term=school.term,
        opens_at=now - datetime.timedelta(days=5),
        due_at=now - datetime.timedelta(days=1),
        late_policy=LatePolicy.REFUSE,
    )
    f.SubmissionFactory(
        assignment=assignment,
        student=school.child,
        text="",
        submitted_at=None,
        version=0,
        extended_due_at=now + datetime.timedelta(days=1),
    )
    client = as_user(student)
    assert "extended for you" in client.get(page_url(assignment)).content.decode()
    assert post(client, assignment, files=[pdf()]).status_code == 302
    submission = stored(assignment, school.child)
    assert (submission.is_late, submission.days_late, submission.version) == (False, 0, 1)


def test_it_says_when_homework_opens_before_it_does(as_user, student, school):
    now = timezone.now()
    assignment = f.AssignmentFactory(
        offering=school.offering,
        term=school.term,
        opens_at=now + datetime.timedelta(days=1),
        due_at=now + datetime.timedelta(days=3),
    )
    client = as_user(student)
    assert "This homework opens on" in client.get(page_url(assignment)).content.decode()
    response = post(client, assignment, files=[pdf()])
    assert response.status_code == 400
    assert "This homework opens on" in response.content.decode()
    assert stored(assignment, school.child) is None
