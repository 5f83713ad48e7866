"""What students and guardians see of homework, through HTTP: the list and the week, an assignment with its
instructions, the mark and feedback once returned (the gradebook's mark, after any penalty), a guardian's
page per child, the hand-in and feedback files; and nobody else's."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from modules.assignments.models import HandIn, SubmissionFile
from tests import factories as f

pytestmark = pytest.mark.django_db
LIST = reverse("assignments:student_list")
WEEK = reverse("assignments:student_week")
CHILDREN = reverse("assignments:children")


def homework(school, **extra):
    extra.setdefault("offering", school.offering)
    return f.AssignmentFactory(term=school.term, **extra)


def days(n: float) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def graded(school, *, max_score=20, **extra):
    assessment = f.AssessmentFactory(
        offering=school.offering, term=school.term, kind="homework", max_score=max_score, name="Essay"
    )
    return homework(school, assessment=assessment, **extra)


def returned(assignment, child, *, score, raw=None, penalty="0", feedback="Good work.", days_late=0):
    submission = f.SubmissionFactory(
        assignment=assignment,
        student=child,
        raw_score=raw if raw is not None else score,
        penalty_percent=Decimal(penalty),
        feedback=feedback,
        returned_at=timezone.now(),
        is_late=days_late > 0,
        days_late=days_late,
    )
    f.MarkFactory(
        assessment=assignment.assessment,
        student=child,
        score=Decimal(score),
        max_score=assignment.assessment.max_score,
    )
    return submission


def section_of(page: str, heading_id: str) -> str:
    return page.split(f'id="{heading_id}"')[1].split("</section>")[0]


def test_it_sorts_the_students_homework_into_what_needs_doing_and_what_is_done(as_user, student, school):
    now = timezone.now()
    overdue = homework(school, title="Overdue map", opens_at=now - days(9), due_at=now - days(2))
    soon = homework(school, title="Soon poem", due_at=now + days(2))
    later = homework(school, title="Later project", due_at=now + days(20))
    handed = homework(school, title="Handed essay", due_at=now + days(3))
    f.SubmissionFactory(assignment=handed, student=school.child)
    marked = graded(school, title="Marked quiz")
    returned(marked, school.child, score="15")
    homework(school, offering=school.other_offering, title="Other class work")
    homework(school, title="Not yet published", published_at=None)
    page = as_user(student).get(LIST).content.decode()
    assert "Overdue map" in section_of(page, "overdue-heading")
    assert "Soon poem" in section_of(page, "soon-heading")
    assert "Later project" in section_of(page, "later-heading")
    assert "Handed essay" in section_of(page, "handed-heading")
    marked_part = section_of(page, "marked-heading")
    assert "Marked quiz" in marked_part
    assert "15 / 20" in marked_part
    assert "Other class work" not in page
    assert "Not yet published" not in page
    assert reverse("assignments:student_assignment", args=[overdue.pk]) in page
    assert reverse("assignments:student_assignment", args=[soon.pk]) in page
    assert reverse("assignments:student_assignment", args=[later.pk]) in page


def test_it_shows_an_empty_list_kindly(as_user, student, school):
    page = as_user(student).get(LIST).content.decode()
    assert "No homework yet" in page


def test_it_shows_the_week_with_what_is_due_each_day(as_user, student, school):
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    zone = timezone.get_current_timezone()
    wednesday = datetime.datetime.combine(monday + datetime.timedelta(days=2), datetime.time(9), tzinfo=zone)
    homework(school, title="Midweek sums", opens_at=wednesday - days(10), due_at=wednesday)
    homework(school, title="Next week reading", opens_at=wednesday - days(10), due_at=wednesday + days(7))
    client = as_user(student)
    page = client.get(WEEK).content.decode()
    day = page.split(f'id="day-{(monday + datetime.timedelta(days=2)).isoformat()}"')[1].split("</section>")[
        0
    ]
    assert "Midweek sums" in day
    assert "Next week reading" not in page
    next_week = (monday + datetime.timedelta(days=7)).isoformat()
    fragment = client.get(WEEK, {"week": next_week}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.content.decode()
    assert "Next week reading" in fragment.content.decode()
    assert "HX-Request" in fragment.headers["Vary"]
    confused = client.get(WEEK, {"week": "someday"}).content.decode()
    assert "That date was not understood; this week is shown." in confused


def test_it_renders_the_instructions_as_safe_markdown(as_user, student, school):
    assignment = homework(
        school,
        instructions="Read **chapter 3**.\n\n<script>alert(1)</script>\n\n[notes](https://example.org)",
    )
    page = (
        as_user(student).get(reverse("assignments:student_assignment", args=[assignment.pk])).content.decode()
    )
    instructions = page.split('id="instructions-heading"')[1].split("</section>")[0]
    assert "<strong>chapter 3</strong>" in instructions
    assert "<script>alert(1)</script>" not in instructions
    assert 'href="https://example.org"' in instructions


def test_it_shows_the_mark_after_the_penalty_and_the_feedback_once_returned(as_user, student, school):
    assignment = graded(school, title="Essay")
    submission = returned(
        assignment,
        school.child,
        score="14.4",
        raw="16",
        penalty="10",
        days_late=1,
        feedback="Late but thoughtful.",
    )
    url = reverse("assignments:student_assignment", args=[assignment.pk])
    page = as_user(student).get(url).content.decode()
    feedback = page.split('data-testid="feedback"')[1].split("</section>")[0]
    assert "14.4 / 20" in feedback
    assert "a late penalty of 10% was taken off the score of 16" in feedback
    assert "Late but thoughtful." in feedback
    # A mark changed later in the gradebook is what the student reads: the gradebook is the one source.
    from modules.exams.models import Mark

    Mark.objects.filter(assessment=assignment.assessment, student=school.child).update(score=Decimal("15"))
    assert "15 / 20" in as_user(student).get(url).content.decode()
    assert submission.pk


def test_it_shows_no_mark_or_feedback_before_the_work_is_returned(as_user, student, guardian, school):
    assignment = graded(school, title="Essay")
    f.SubmissionFactory(
        assignment=assignment, student=school.child, raw_score=Decimal("18"), feedback="Draft feedback"
    )
    f.MarkFactory(assessment=assignment.assessment, student=school.child, score=Decimal("18"), max_score=20)
    for user, url in (
        (student, reverse("assignments:student_assignment", args=[assignment.pk])),
        (guardian, reverse("assignments:child_assignment", args=[school.child.pk, assignment.pk])),
    ):
        page = as_user(user).get(url).content.decode()
        assert "Draft feedback" not in page
        assert "18 / 20" not in page
        assert 'data-testid="feedback"' not in page


def test_it_gives_a_guardian_each_childs_homework_with_states_and_marks(as_user, guardian, school):
    sibling = f.StudentFactory(first_name="Sibyl", last_name="Parent")
    f.EnrollmentFactory(student=sibling, section=school.other_section)
    f.GuardianLinkFactory(student=sibling, guardian=school.guardian_profile)
    now = timezone.now()
    homework(school, title="Sam missing map", opens_at=now - days(9), due_at=now - days(1))
    homework(school, offering=school.other_offering, title="Sibyl history", due_at=now + days(1))
    marked = graded(school, title="Sam quiz")
    returned(marked, school.child, score="17")
    client = as_user(guardian)
    page = client.get(CHILDREN).content.decode()
    sam = page.split(f'data-testid="child-{school.child.pk}"')[1].split("</section>")[0]
    sibyl = page.split(f'data-testid="child-{sibling.pk}"')[1].split("</section>")[0]
    assert "Sam missing map" in sam
    assert "Missing" in sam
    assert "Sibyl history" in sibyl
    assert "Sam missing map" not in sibyl
    assert "Olive" not in page  # another family's child
    child_page = client.get(reverse("assignments:child_list", args=[school.child.pk])).content.decode()
    assert "Sam quiz" in section_of(child_page, "marked-heading")
    assert "17 / 20" in child_page
    assert reverse("assignments:child_assignment", args=[school.child.pk, marked.pk]) in child_page
    detail = client.get(
        reverse("assignments:child_assignment", args=[school.child.pk, marked.pk])
    ).content.decode()
    assert "17 / 20" in detail
    assert "Good work." in detail
    assert 'action="' not in detail.split('id="instructions-heading"')[1]  # guardians read, never hand in


def test_it_hides_another_familys_child_and_another_class_from_a_guardian(as_user, guardian, school):
    theirs = homework(school, offering=school.other_offering)
    ours = homework(school)
    client = as_user(guardian)
    assert client.get(reverse("assignments:child_list", args=[school.other_child.pk])).status_code == 404
    assert (
        client.get(
            reverse("assignments:child_assignment", args=[school.other_child.pk, theirs.pk])
        ).status_code
        == 404
    )
    # Sam's page of an assignment of a class Sam is not in.
    assert (
        client.get(reverse("assignments:child_assignment", args=[school.child.pk, theirs.pk])).status_code
        == 404
    )
    draft = homework(school, published_at=None)
    assert (
        client.get(reverse("assignments:child_assignment", args=[school.child.pk, draft.pk])).status_code
        == 404
    )
    assert (
        client.get(reverse("assignments:child_assignment", args=[school.child.pk, ours.pk])).status_code
        == 200
    )


def test_it_refuses_the_wrong_method_and_the_wrong_roles_on_the_pages(
    client, as_user, teacher, guardian, student, school
):
    assignment = homework(school)
    assert client.get(LIST).status_code == 302
    assert as_user(teacher).get(LIST).status_code == 403
    assert as_user(guardian).get(LIST).status_code == 403
    assert as_user(student).get(CHILDREN).status_code == 403
    student_client = as_user(student)
    assert student_client.post(LIST).status_code == 405
    assert student_client.post(WEEK).status_code == 405
    assert (
        student_client.post(reverse("assignments:student_assignment", args=[assignment.pk])).status_code
        == 405
    )
    assert as_user(guardian).post(CHILDREN).status_code == 405


def _hand_in_file(assignment, child, content=b"My essay text"):
    submission = f.SubmissionFactory(assignment=assignment, student=child)
    row = SubmissionFile(
        submission=submission,
        version=1,
        name="My essay.txt",
        size=len(content),
        sha256="0" * 64,
        content_type="text/plain",
    )
    row.file.save("x.txt", ContentFile(content), save=False)
    row.save()
    return row


def test_it_serves_a_hand_in_file_as_an_attachment_to_those_who_may_see_it(
    as_user, student, guardian, teacher, other_teacher, other_guardian, admin, bursar, school
):
    row = _hand_in_file(homework(school), school.child)
    url = reverse("assignments:submission_file", args=[row.pk])
    for user in (student, guardian, teacher, admin):
        response = as_user(user).get(url)
        assert response.status_code == 200, user
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert "My essay.txt" in response.headers["Content-Disposition"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == b"My essay text"
    for user in (other_teacher, other_guardian, bursar):
        assert as_user(user).get(url).status_code == 404, user
    assert as_user(student).post(url).status_code == 405


def test_it_serves_the_feedback_file_to_the_family_only_once_returned(
    as_user, student, guardian, teacher, school
):
    submission = f.SubmissionFactory(
        assignment=homework(school), student=school.child, feedback_file_name="Comments.txt"
    )
    submission.feedback_file.save("c.txt", ContentFile(b"Well argued"), save=True)
    url = reverse("assignments:feedback_file", args=[submission.pk])
    assert as_user(student).get(url).status_code == 404
    assert as_user(guardian).get(url).status_code == 404
    assert as_user(teacher).get(url).status_code == 200  # the teacher reads their own draft
    submission.returned_at = timezone.now()
    submission.save()
    response = as_user(student).get(url)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    page = (
        as_user(student)
        .get(reverse("assignments:student_assignment", args=[submission.assignment.pk]))
        .content.decode()
    )
    assert url in page


def _list_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _spread(school, n: int):
    now = timezone.now()
    for index in range(n):
        kind = index % 4
        if kind == 0:
            homework(school, due_at=now + days(1 + index))
        elif kind == 1:
            homework(school, opens_at=now - days(30), due_at=now - days(1 + index))
        elif kind == 2:
            f.SubmissionFactory(assignment=homework(school), student=school.child)
        else:
            returned(graded(school), school.child, score="10")


# The student's list, warm session: the user, the year, the enrolments, the assignments, the submissions,
# the returned marks and the notification bell, whatever the number of assignments.
LIST_QUERIES = 7


def test_it_keeps_the_students_list_flat_in_the_number_of_assignments(
    as_user, student, school, queries_exactly
):
    client = as_user(student)
    _spread(school, 4)
    client.get(LIST)
    with queries_exactly(LIST_QUERIES):
        client.get(LIST)
    _spread(school, 16)
    with queries_exactly(LIST_QUERIES):
        response = client.get(LIST)
    assert response.context["groups"].count == 20


def test_it_keeps_the_week_and_the_guardians_pages_flat(as_user, student, guardian, school):
    from django.test import Client

    _spread(school, 4)
    student_client, guardian_client = Client(), Client()
    backend = "modules.accounts.backends.PortalBackend"
    student_client.force_login(student, backend=backend)
    guardian_client.force_login(guardian, backend=backend)
    child_url = reverse("assignments:child_list", args=[school.child.pk])
    urls = [(student_client, WEEK), (guardian_client, CHILDREN), (guardian_client, child_url)]
    for client, url in urls:
        client.get(url)
    before = [_list_queries(client, url) for client, url in urls]
    _spread(school, 12)
    sibling = f.StudentFactory()
    f.EnrollmentFactory(student=sibling, section=school.section)
    f.GuardianLinkFactory(student=sibling, guardian=school.guardian_profile)
    after = [_list_queries(client, url) for client, url in urls]
    assert after == before


def test_it_says_why_the_hand_in_is_closed(as_user, student, school):
    paper = homework(school, hand_in=HandIn.PAPER)
    page = as_user(student).get(reverse("assignments:student_assignment", args=[paper.pk])).content.decode()
    assert "handed in on paper, in class" in page


# The assignment page with a hand-in, warm session: the user, the assignment, the submission, its current
# files, its earlier files, the teacher's attachments, the homework policy (for the form's limits) and the
# notification bell, whatever the number of files and earlier hand-ins.
PAGE_QUERIES = 8


def test_it_keeps_the_assignment_page_flat_in_files_and_hand_ins(as_user, student, school, queries_exactly):
    assignment = homework(school)
    submission = f.SubmissionFactory(assignment=assignment, student=school.child, version=2)
    url = reverse("assignments:student_assignment", args=[assignment.pk])
    client = as_user(student)

    def add_files(version: int, count: int) -> None:
        for index in range(count):
            row = SubmissionFile(
                submission=submission, version=version, name=f"{version}-{index}.txt", size=3, sha256="0" * 64
            )
            row.file.save("x.txt", ContentFile(b"abc"), save=False)
            row.save()

    add_files(1, 1)
    add_files(2, 1)
    client.get(url)
    with queries_exactly(PAGE_QUERIES):
        client.get(url)
    submission.version = 4
    submission.save()
    add_files(3, 3)
    add_files(4, 4)
    with queries_exactly(PAGE_QUERIES):
        response = client.get(url)
    assert len(response.context["files"]) == 4
    assert [version for version, _files in response.context["earlier"]] == [3, 2, 1]
