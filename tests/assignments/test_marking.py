"""Marking beside the hand-in: score and feedback saved as a draft, save and next, bad scores refused with the
typed value kept, two tabs refused rather than overwritten; returning one or all into the gradebook with the
late penalty (visible to families without the gradebook's notice, "work returned" sent instead); a returned
mark changed on either side; extensions; paper work received; the feedback file; the gradebook's side."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from modules.assignments.events import work_returned
from modules.assignments.marking import submissions_return
from modules.assignments.models import HandIn, Submission
from modules.core.models import AuditEvent
from modules.exams.events import marks_published
from modules.exams.models import Assessment, Mark, TermStatus
from modules.exams.services import mark_set
from tests import factories as f
from tests.assignments.inbox_fixtures import graded_homework, homework_fixture, pupil  # noqa: F401


def _mark_url(homework, student) -> str:
    return reverse("assignments:inbox_mark", args=[homework.pk, student.pk])


def _base(client, url) -> dict[str, str]:
    """The hidden base fields of the marking form as the page drew them (what a browser sends back)."""
    html = client.get(url).content.decode()
    fields = {}
    for name in ("base_score", "base_feedback", "base_mark"):
        chunk = html.split(f'name="{name}"', 1)[1].split(">", 1)[0]
        fields[name] = chunk.split('value="', 1)[1].split('"', 1)[0] if 'value="' in chunk else ""
    return fields


def _post(client, url, **data):
    base = _base(client, url)
    return client.post(url, {**base, **data})


@pytest.fixture
def events():
    """The domain events sent while the test runs (after commit), by name."""
    sent: dict[str, list[dict]] = {"work_returned": [], "marks_published": []}

    def on_returned(sender, **kwargs):
        sent["work_returned"].append(kwargs)

    def on_published(sender, **kwargs):
        sent["marks_published"].append(kwargs)

    work_returned.connect(on_returned, dispatch_uid="test.on_returned")
    marks_published.connect(on_published, dispatch_uid="test.on_published")
    yield sent
    work_returned.disconnect(dispatch_uid="test.on_returned")
    marks_published.disconnect(dispatch_uid="test.on_published")


# ---- The page and the draft --------------------------------------------------------------------------------


def test_it_shows_the_work_beside_the_marking_form(as_user, teacher, school, homework):
    response = as_user(teacher).get(_mark_url(homework, school.child))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Photosynthesis turns light into sugar." in html
    assert 'name="score"' in html
    assert "/ 20" in html
    assert 'name="feedback"' in html
    assert 'name="feedback_file"' in html
    assert "3 of 3" in html  # Late, Missing, Parent: the last one
    assert "Save and next student" not in html
    assert "This is the last student of the class." in html
    first = as_user(teacher).get(_mark_url(homework, homework.late.student)).content.decode()
    assert "1 of 3" in first
    assert "Save and next student" in first
    assert 'aria-keyshortcuts="Control+Enter"' in first


def test_it_lists_the_files_with_their_download(as_user, teacher, homework):
    response = as_user(teacher).get(_mark_url(homework, homework.late.student))
    html = response.content.decode()
    row = homework.late.files.get()
    assert "essay.txt" in html
    assert reverse("assignments:submission_file", args=[row.pk]) in html
    assert "late by 2 days" in html
    assert "20% off the score when it is returned" in html


def test_it_saves_a_draft_and_nothing_reaches_the_gradebook(as_user, teacher, school, homework, events):
    client = as_user(teacher)
    url = _mark_url(homework, school.child)
    response = _post(client, url, score="15,5", feedback="Clear and well argued.", save="1")
    assert response.status_code == 302
    assert response["Location"] == url
    submission = Submission.objects.get(pk=homework.on_time.pk)
    assert submission.raw_score == Decimal("15.5")
    assert submission.feedback == "Clear and well argued."
    assert submission.marked_at is not None
    assert submission.marked_by == teacher
    assert submission.returned_at is None
    assert not Mark.objects.exists()
    assert not events["work_returned"]
    assert AuditEvent.objects.filter(action="submission.mark").count() == 1


def test_it_saves_and_opens_the_next_student(as_user, teacher, school, homework):
    client = as_user(teacher)
    first = homework.late.student  # "Late, Lee" is first in name order
    response = _post(client, _mark_url(homework, first), score="14", feedback="", next="1")
    assert response.status_code == 302
    assert response["Location"] == _mark_url(homework, homework.missing)


def test_it_marks_a_student_who_handed_nothing_in(as_user, teacher, homework):
    """Work done on paper or in class, or a zero for missing work: the row is created."""
    client = as_user(teacher)
    _post(client, _mark_url(homework, homework.missing), score="0", feedback="Nothing handed in.")
    submission = Submission.objects.get(assignment=homework.assignment, student=homework.missing)
    assert submission.raw_score == 0
    assert submission.submitted_at is None


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("25", "25 is above the maximum of 20."),
        ("-1", "A score cannot be negative."),
        ("twelve", "“twelve” is not a score."),
        ("ex", "Type a score from 0 to 20"),
        ("7.125", "Use at most two decimals."),
    ],
)
def test_it_refuses_a_wrong_score_and_keeps_what_was_typed(
    as_user, teacher, school, homework, typed, message
):
    client = as_user(teacher)
    response = _post(client, _mark_url(homework, school.child), score=typed, feedback="Kept feedback")
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html
    assert f'value="{typed}"' in html
    assert "Kept feedback" in html
    assert 'aria-invalid="true"' in html
    assert Submission.objects.get(pk=homework.on_time.pk).raw_score is None


def test_it_refuses_a_file_that_is_not_what_it_says(as_user, teacher, school, homework):
    client = as_user(teacher)
    upload = SimpleUploadedFile("notes.pdf", b"<html><script>alert(1)</script></html>")
    url = _mark_url(homework, school.child)
    response = client.post(
        url, {**_base(client, url), "score": "12", "feedback": "", "feedback_file": upload}
    )
    assert response.status_code == 422
    assert "notes.pdf is not really a .pdf file." in response.content.decode()
    assert Submission.objects.get(pk=homework.on_time.pk).raw_score is None


def test_it_stores_a_feedback_file_for_the_student_once_returned(
    as_user, teacher, student, guardian, school, homework
):
    client = as_user(teacher)
    url = _mark_url(homework, school.child)
    upload = SimpleUploadedFile("comments.txt", b"See page 2.", content_type="text/plain")
    client.post(url, {**_base(client, url), "score": "12", "feedback": "", "feedback_file": upload})
    submission = Submission.objects.get(pk=homework.on_time.pk)
    assert submission.feedback_file_name == "comments.txt"
    assert "comments.txt" not in submission.feedback_file.name  # a random server-made name
    download = reverse("assignments:feedback_file", args=[submission.pk])
    assert download in client.get(url).content.decode()
    assert as_user(student).get(download).status_code == 404  # not returned yet
    submissions_return(assignment=homework.assignment, by=teacher)
    response = as_user(guardian).get(download)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == b"See page 2."


# ---- Access ------------------------------------------------------------------------------------------------


def test_it_hides_a_student_of_another_class(as_user, teacher, school, homework):
    assert as_user(teacher).get(_mark_url(homework, school.other_child)).status_code == 404
    response = as_user(teacher).post(_mark_url(homework, school.other_child), {"score": "10"})
    assert response.status_code == 404
    assert not Submission.objects.filter(student=school.other_child).exists()


def test_it_hides_another_teachers_assignment(as_user, other_teacher, school, homework):
    client = as_user(other_teacher)
    assert client.get(_mark_url(homework, school.child)).status_code == 404
    assert client.post(_mark_url(homework, school.child), {"score": "1"}).status_code == 404
    assert Submission.objects.get(pk=homework.on_time.pk).raw_score is None


@pytest.mark.parametrize("persona", ["student", "guardian", "bursar"])
def test_it_refuses_families_and_the_bursar(as_user, school, homework, persona, request):
    client = as_user(request.getfixturevalue(persona))
    assert client.get(_mark_url(homework, school.child)).status_code == 403
    assert client.post(_mark_url(homework, school.child), {"score": "20"}).status_code == 403
    assert client.post(reverse("assignments:inbox_return", args=[homework.pk])).status_code == 403


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("assignments:inbox_mark", "put"),
        ("assignments:inbox_return_one", "get"),
        ("assignments:inbox_extend", "get"),
        ("assignments:inbox_received", "get"),
    ],
)
def test_it_answers_405_to_the_wrong_method(as_user, teacher, school, homework, name, method):
    url = reverse(name, args=[homework.pk, school.child.pk])
    assert getattr(as_user(teacher), method)(url).status_code == 405


def test_it_answers_405_to_a_return_by_get(as_user, teacher, homework):
    assert as_user(teacher).get(reverse("assignments:inbox_return", args=[homework.pk])).status_code == 405


# ---- Two teachers, two tabs --------------------------------------------------------------------------------


def test_it_refuses_a_score_someone_else_changed_since_the_page_was_drawn(as_user, teacher, school, homework):
    client = as_user(teacher)
    url = _mark_url(homework, school.child)
    stale = _base(client, url)  # the second tab, opened now
    assert _post(client, url, score="15", feedback="").status_code == 302  # the first tab saves
    response = client.post(url, {**stale, "score": "12", "feedback": ""})
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else changed the score to “15” since you opened the page." in html
    assert 'value="12"' in html  # what this tab typed is kept
    assert Submission.objects.get(pk=homework.on_time.pk).raw_score == 15
    # Saving again from the refused page (its base is now 15) writes 12 on purpose.
    again = {
        name: html.split(f'name="{name}"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
        for name in ("base_score", "base_feedback")
    }
    response = client.post(url, {**again, "base_mark": "", "score": "12", "feedback": ""})
    assert response.status_code == 302
    assert Submission.objects.get(pk=homework.on_time.pk).raw_score == 12


def test_it_keeps_both_when_two_tabs_change_different_fields(as_user, teacher, school, homework):
    client = as_user(teacher)
    url = _mark_url(homework, school.child)
    stale = _base(client, url)
    _post(client, url, score="15", feedback="")
    response = client.post(url, {**stale, "score": "", "feedback": "Good start."})
    assert response.status_code == 302
    submission = Submission.objects.get(pk=homework.on_time.pk)
    assert submission.raw_score == 15
    assert submission.feedback == "Good start."


def test_it_refuses_feedback_someone_else_rewrote(as_user, teacher, school, homework):
    client = as_user(teacher)
    url = _mark_url(homework, school.child)
    stale = _base(client, url)
    _post(client, url, score="", feedback="Theirs.")
    response = client.post(url, {**stale, "score": "", "feedback": "Mine."})
    assert response.status_code == 409
    assert "Someone else changed the feedback" in response.content.decode()
    assert Submission.objects.get(pk=homework.on_time.pk).feedback == "Theirs."


# ---- Returning ---------------------------------------------------------------------------------------------


def _marked(homework, score_on_time="15", score_late="15"):
    Submission.objects.filter(pk=homework.on_time.pk).update(
        raw_score=score_on_time, marked_at=timezone.now()
    )
    Submission.objects.filter(pk=homework.late.pk).update(raw_score=score_late, marked_at=timezone.now())


def test_it_says_there_is_nothing_to_return(as_user, teacher, homework, events):
    response = as_user(teacher).post(reverse("assignments:inbox_return", args=[homework.pk]), follow=True)
    assert "No marked work is waiting to be returned." in response.content.decode()
    assert not Submission.objects.filter(returned_at__isnull=False).exists()
    assert not events["work_returned"]


def test_it_says_this_student_has_nothing_to_return(as_user, teacher, school, homework):
    url = reverse("assignments:inbox_return_one", args=[homework.pk, school.child.pk])
    response = as_user(teacher).post(url, follow=True)
    assert "This work is not marked yet: there is nothing to return." in response.content.decode()


def test_it_returns_all_into_the_gradebook_with_the_late_penalty(
    as_user, teacher, school, homework, events, django_capture_on_commit_callbacks
):
    _marked(homework)
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(teacher).post(reverse("assignments:inbox_return", args=[homework.pk]), follow=True)
    assert "2 pieces of work returned" in response.content.decode()
    marks = dict(Mark.objects.values_list("student_id", "score"))
    assert marks == {school.child.pk: Decimal("15"), homework.late.student_id: Decimal("12")}  # 2 days × 10%
    late = Submission.objects.get(pk=homework.late.pk)
    assert late.penalty_percent == 20
    assert late.returned_at is not None
    assessment = Assessment.objects.get(pk=homework.assignment.assessment_id)
    assert assessment.published_at is not None
    assert assessment.notified_at is not None
    assert events["marks_published"] == []  # the gradebook's notice is not sent...
    assert sorted(events["work_returned"][0]["submission_ids"]) == sorted([homework.on_time.pk, late.pk])
    assert AuditEvent.objects.filter(action="mark.set").count() == 2  # the gradebook's own audit
    assert AuditEvent.objects.filter(action="assignment.return").count() == 1


def test_it_returns_one_student_only(
    as_user, teacher, school, homework, events, django_capture_on_commit_callbacks
):
    _marked(homework)
    url = reverse("assignments:inbox_return_one", args=[homework.pk, school.child.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(teacher).post(url)
    assert response.status_code == 302
    assert response["Location"] == _mark_url(homework, school.child)
    assert list(Mark.objects.values_list("student_id", flat=True)) == [school.child.pk]
    assert Submission.objects.get(pk=homework.late.pk).returned_at is None
    assert events["work_returned"][0]["submission_ids"] == [homework.on_time.pk]


def test_it_caps_the_penalty_at_everything(teacher, school, homework):
    Submission.objects.filter(pk=homework.late.pk).update(days_late=15)
    _marked(homework)
    submissions_return(assignment=homework.assignment, by=teacher)
    assert Mark.objects.get(student_id=homework.late.student_id).score == 0
    assert Submission.objects.get(pk=homework.late.pk).penalty_percent == 100


def test_it_returns_nothing_when_the_term_is_locked(as_user, teacher, school, homework):
    _marked(homework)
    TermStatus.objects.create(term=school.term, locked_at=timezone.now())
    response = as_user(teacher).post(reverse("assignments:inbox_return", args=[homework.pk]), follow=True)
    assert "This term is locked." in response.content.decode()
    assert not Mark.objects.exists()
    assert not Submission.objects.filter(returned_at__isnull=False).exists()


def test_it_shows_the_returned_mark_to_the_guardian(as_user, teacher, guardian, school, homework):
    _marked(homework)
    submissions_return(assignment=homework.assignment, by=teacher)
    response = as_user(guardian).get(reverse("exams:child_grades", args=[school.child.pk]))
    assert response.status_code == 200
    assert "Essay" in response.content.decode()
    assert "15" in response.content.decode()


def test_it_rewrites_the_gradebook_when_a_returned_score_changes(as_user, teacher, school, homework):
    _marked(homework)
    submissions_return(assignment=homework.assignment, by=teacher)
    client = as_user(teacher)
    response = _post(client, _mark_url(homework, homework.late.student), score="18", feedback="")
    assert response.status_code == 302
    assert Mark.objects.get(student_id=homework.late.student_id).score == Decimal("14.4")  # 18 less 20%


def test_it_refuses_a_returned_score_when_the_gradebook_mark_moved(as_user, teacher, school, homework):
    _marked(homework)
    submissions_return(assignment=homework.assignment, by=teacher)
    client = as_user(teacher)
    url = _mark_url(homework, school.child)
    stale = _base(client, url)
    mark_set(assessment=homework.assignment.assessment, student_id=school.child.pk, raw="17", by=teacher)
    response = client.post(url, {**stale, "score": "16", "feedback": ""})
    assert response.status_code == 409
    assert "Someone changed this mark in the gradebook to “17”" in response.content.decode()
    assert Mark.objects.get(student_id=school.child.pk).score == 17
    assert Submission.objects.get(pk=homework.on_time.pk).raw_score == 15


def test_it_shows_a_mark_changed_in_the_gradebook_on_the_marking_page(as_user, teacher, school, homework):
    _marked(homework)
    submissions_return(assignment=homework.assignment, by=teacher)
    mark_set(assessment=homework.assignment.assessment, student_id=school.child.pk, raw="19", by=teacher)
    html = as_user(teacher).get(_mark_url(homework, school.child)).content.decode()
    assert "In the gradebook: 19 / 20" in html
    assert "changed in the gradebook since it was returned" in html


def test_it_returns_feedback_of_homework_without_a_score(as_user, teacher, school, events):
    ungraded = f.AssignmentFactory(offering=school.offering, term=school.term, title="Reading log")
    f.SubmissionFactory(assignment=ungraded, student=school.child)
    client = as_user(teacher)
    url = reverse("assignments:inbox_mark", args=[ungraded.pk, school.child.pk])
    assert 'name="score"' not in client.get(url).content.decode()
    _post(client, url, feedback="Lovely choice of book.")
    client.post(reverse("assignments:inbox_return", args=[ungraded.pk]))
    submission = Submission.objects.get(assignment=ungraded)
    assert submission.returned_at is not None
    assert submission.feedback == "Lovely choice of book."
    assert not Mark.objects.exists()


# ---- Extensions and paper work -----------------------------------------------------------------------------


def _local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_it_extends_the_due_date_for_one_student(as_user, teacher, homework):
    new_due = homework.assignment.due_at + datetime.timedelta(days=3)
    url = reverse("assignments:inbox_extend", args=[homework.pk, homework.late.student_id])
    response = as_user(teacher).post(url, {"due_at": _local(new_due)})
    assert response.status_code == 302
    late = Submission.objects.get(pk=homework.late.pk)
    assert late.extended_due_at is not None
    assert not late.is_late
    assert late.days_late == 0
    assert Submission.objects.get(pk=homework.on_time.pk).extended_due_at is None


def test_it_refuses_an_extension_before_the_due_time(as_user, teacher, school, homework):
    url = reverse("assignments:inbox_extend", args=[homework.pk, school.child.pk])
    earlier = homework.assignment.due_at - datetime.timedelta(days=1)
    response = as_user(teacher).post(url, {"due_at": _local(earlier)})
    assert response.status_code == 422
    assert "An extension must end after the class&#x27;s due time" in response.content.decode()
    assert Submission.objects.get(pk=homework.on_time.pk).extended_due_at is None


def test_it_refuses_an_extension_for_another_class(as_user, teacher, school, homework):
    url = reverse("assignments:inbox_extend", args=[homework.pk, school.other_child.pk])
    assert as_user(teacher).post(url, {"due_at": ""}).status_code == 404


def test_it_records_paper_work_received(as_user, teacher, school):
    paper = graded_homework(school, title="Worksheet", hand_in=HandIn.PAPER)
    received = paper.due_at + datetime.timedelta(hours=30)
    url = reverse("assignments:inbox_received", args=[paper.pk, school.child.pk])
    response = as_user(teacher).post(url, {"received_at": _local(received)})
    assert response.status_code == 302
    submission = Submission.objects.get(assignment=paper, student=school.child)
    assert submission.submitted_at is not None
    assert submission.is_late
    assert submission.days_late == 2
    as_user(teacher).post(url, {"not_received": "1"})
    assert Submission.objects.get(pk=submission.pk).submitted_at is None


def test_it_refuses_paper_work_for_online_homework(as_user, teacher, school, homework):
    url = reverse("assignments:inbox_received", args=[homework.pk, homework.missing.pk])
    response = as_user(teacher).post(url, {"received_at": _local(timezone.now())})
    assert response.status_code == 422
    assert "handed in online, not on paper" in response.content.decode()


def test_it_refuses_paper_work_received_in_the_future(as_user, teacher, school):
    paper = graded_homework(school, title="Worksheet", hand_in=HandIn.PAPER)
    url = reverse("assignments:inbox_received", args=[paper.pk, school.child.pk])
    later = timezone.now() + datetime.timedelta(days=2)
    response = as_user(teacher).post(url, {"received_at": _local(later)})
    assert response.status_code == 422
    assert "Work cannot be received in the future." in response.content.decode()


# ---- The gradebook's side ----------------------------------------------------------------------------------


def test_it_keeps_the_gradebook_from_deleting_homework_marks(as_user, teacher, homework):
    assessment = homework.assignment.assessment
    url = reverse("exams:gradebook_assessment_delete", args=[assessment.pk])
    response = as_user(teacher).post(url, follow=True)
    assert "holds the marks of the assignment “Essay”" in response.content.decode()
    assert Assessment.objects.filter(pk=assessment.pk).exists()
    assert not AuditEvent.objects.filter(action="assessment.delete").exists()


def test_it_shows_homework_in_the_gradebook(as_user, teacher, school, homework):
    f.AssessmentFactory(offering=school.offering, term=school.term, name="Plain quiz")
    html = as_user(teacher).get(reverse("exams:gradebook", args=[school.offering.pk])).content.decode()
    inbox = reverse("assignments:inbox", args=[homework.pk])
    assert html.count(f'href="{inbox}"') == 2  # the column's badge and the assessment's line
    assert "Homework: hand-ins and marking" in html


def test_it_lets_a_pupil_in_the_class_be_marked_after_they_join(as_user, teacher, school, homework):
    newcomer = pupil(school, "Nia", "New", "A-0150")
    response = _post(as_user(teacher), _mark_url(homework, newcomer), score="9", feedback="")
    assert response.status_code == 302
    assert Submission.objects.get(assignment=homework.assignment, student=newcomer).raw_score == 9


def test_it_opens_the_marking_page_in_a_fixed_number_of_queries(
    as_user, teacher, school, homework, queries_exactly
):
    """The user (1), the assignment (1), the class list for "next" (1), the hand-in (1), its files (1), the
    menu's unread notifications (1), the similarity threshold (1): 7, whatever the size of the class."""
    client = as_user(teacher)
    url = _mark_url(homework, homework.late.student)
    client.get(url)
    with queries_exactly(7):
        assert client.get(url).status_code == 200
    for number in range(40):
        pupil(school, f"Kid{number:02d}", f"Pupil{number:02d}", f"B-{number:04d}")
    with queries_exactly(7):
        response = client.get(url)
    assert "1 of 43" in response.content.decode()


def test_it_records_paper_work_received_now_from_the_inbox(as_user, teacher, school):
    paper = graded_homework(school, title="Worksheet", hand_in=HandIn.PAPER)
    client = as_user(teacher)
    inbox = reverse("assignments:inbox", args=[paper.pk])
    assert "Received now" in client.get(inbox).content.decode()
    url = reverse("assignments:inbox_received", args=[paper.pk, school.child.pk])
    response = client.post(url, {"now": "1", "back": "inbox"})
    assert response.status_code == 302
    assert response["Location"] == f"{inbox}#row-{school.child.pk}"
    submission = Submission.objects.get(assignment=paper, student=school.child)
    assert timezone.now() - submission.submitted_at < datetime.timedelta(minutes=1)
    assert submission.is_late
    assert submission.days_late == 4  # due three days (and the test's seconds) ago: a part day counts
