"""Homework for families: the student's list, week and assignment pages and hand-in; the guardian's pages
per child; the hand-in and feedback files."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.utils import timezone

from modules.assignments.models import HandIn, SubmissionFile
from tests import factories as f
from tests.access.matrix import Rule, expect


def _assignment(s, **extra):
    return f.AssignmentFactory(offering=s.offering, term=s.term, **extra)


def _homework(s) -> dict:
    return {"pk": _assignment(s).pk}


def _typed_homework(s) -> dict:
    return {"pk": _assignment(s, hand_in=HandIn.TEXT).pk}


def _child(s) -> dict:
    return {"pk": s.child.pk}


def _child_homework(s) -> dict:
    return {"pk": s.child.pk, "assignment_pk": _assignment(s).pk}


def _hand_in_file(s) -> dict:
    submission = f.SubmissionFactory(assignment=_assignment(s), student=s.child)
    row = SubmissionFile(submission=submission, version=1, name="essay.txt", size=5, sha256="0" * 64)
    row.content_type = "text/plain"
    row.file.save("essay.txt", ContentFile(b"words"), save=False)
    row.save()
    return {"pk": row.pk}


def _returned_with_feedback_file(s) -> dict:
    submission = f.SubmissionFactory(
        assignment=_assignment(s), student=s.child, returned_at=timezone.now(), feedback_file_name="notes.txt"
    )
    submission.feedback_file.save("notes.txt", ContentFile(b"Well done"), save=True)
    return {"pk": submission.pk}


# The student's own pages: only a student login (their own work is found through their profile).
STUDENT_ONLY = expect(403, student=200)
# Sam's work and files: Sam, Sam's guardian, Sam's teacher and the office; nobody else knows they exist.
SAMS = expect(404, admin=200, teacher=200, guardian=200, student=200)

RULES = [
    Rule("assignments:student_list", expect=STUDENT_ONLY),
    Rule("assignments:student_week", expect=STUDENT_ONLY),
    Rule("assignments:student_assignment", kwargs=_homework, expect=STUDENT_ONLY),
    Rule(
        "assignments:hand_in",
        method="post",
        kwargs=_typed_homework,
        data={"base_version": 0, "text": "My answer"},
        expect=expect(403, student=302),
    ),
    Rule("assignments:children", expect=expect(403, guardian=200, other_guardian=200)),
    # Sam's homework: Sam's guardian; another guardian does not learn Sam exists.
    Rule("assignments:child_list", kwargs=_child, expect=expect(403, guardian=200, other_guardian=404)),
    Rule(
        "assignments:child_assignment",
        kwargs=_child_homework,
        expect=expect(403, guardian=200, other_guardian=404),
    ),
    Rule("assignments:submission_file", kwargs=_hand_in_file, expect=SAMS),
    Rule("assignments:feedback_file", kwargs=_returned_with_feedback_file, expect=SAMS),
]
