"""The teacher's inbox: an assignment's hand-ins, marking, returning, extensions, paper work and the zip
belong to the class's teacher and the office (404 for another teacher); families and the bursar are refused
(403). The feedback file the marking page links to is declared with the family pages that serve it."""

from __future__ import annotations

import datetime

from tests.access.matrix import Rule, expect


def _homework(s, *, paper: bool = False):
    from django.utils import timezone

    from modules.assignments.models import Assignment, HandIn
    from modules.exams.models import Assessment

    title = "Matrix paper homework" if paper else "Matrix homework"
    assessment, _created = Assessment.objects.get_or_create(
        offering=s.offering, term=s.term, name=title, defaults={"max_score": 20, "kind": "homework"}
    )
    now = timezone.now()
    assignment, _created = Assignment.objects.get_or_create(
        offering=s.offering,
        title=title,
        defaults={
            "term": s.term,
            "assessment": assessment,
            "hand_in": HandIn.PAPER if paper else HandIn.TEXT,
            "opens_at": now - datetime.timedelta(days=3),
            "due_at": now - datetime.timedelta(days=1),
            "published_at": now - datetime.timedelta(days=3),
        },
    )
    return assignment


def _handed_in(s):
    from django.utils import timezone

    from modules.assignments.models import Submission

    assignment = _homework(s)
    submission, _created = Submission.objects.get_or_create(
        assignment=assignment,
        student=s.child,
        defaults={"text": "My essay.", "submitted_at": timezone.now(), "version": 1, "raw_score": 15},
    )
    return submission


def _inbox(s) -> dict:
    return {"pk": _handed_in(s).assignment_id}


def _student(s) -> dict:
    return {"pk": _handed_in(s).assignment_id, "student": s.child.pk}


def _paper_student(s) -> dict:
    return {"pk": _homework(s, paper=True).pk, "student": s.child.pk}


MARKERS = expect(403, admin=200, teacher=200, other_teacher=404)
MARKERS_POST = expect(403, admin=302, teacher=302, other_teacher=404)

RULES = [
    Rule("assignments:inbox", kwargs=_inbox, expect=MARKERS),
    Rule("assignments:inbox_zip", kwargs=_inbox, expect=MARKERS),
    # Returning all: the office (asked first) returns the work; its teacher then finds nothing left to return
    # and is told so, with the same redirect.
    Rule("assignments:inbox_return", method="post", kwargs=_inbox, expect=MARKERS_POST),
    Rule("assignments:inbox_mark", kwargs=_student, expect=MARKERS),
    Rule("assignments:inbox_return_one", method="post", kwargs=_student, expect=MARKERS_POST),
    Rule(
        "assignments:inbox_extend",
        method="post",
        kwargs=_paper_student,
        data=lambda s: {"due_at": ""},
        expect=MARKERS_POST,
    ),
    Rule(
        "assignments:inbox_received",
        method="post",
        kwargs=_paper_student,
        data=lambda s: {"received_at": "2020-01-01T09:00"},
        expect=MARKERS_POST,
    ),
]
