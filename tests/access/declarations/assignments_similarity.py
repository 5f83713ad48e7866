"""Homework similarity: an assignment's results, checking it now, a pair side by side. The class's teacher
and the office; another teacher does not know the assignment exists (404); families and the bursar are
refused (403)."""

from tests.access.matrix import Rule, expect
from tests.factories import AssignmentFactory, SubmissionFactory


def _assignment(s) -> dict:
    return {"pk": AssignmentFactory(offering=s.offering, term=s.term).pk}


def _pair(s) -> dict:
    from modules.assignments.models import SimilarityMatch

    assignment = AssignmentFactory(offering=s.offering, term=s.term)
    mine = SubmissionFactory(assignment=assignment, student=s.child, text="A copied essay.")
    other = SubmissionFactory(assignment=assignment, text="A copied essay.")
    match = SimilarityMatch.objects.create(
        assignment=assignment, submission=mine, other=other, percent=90, other_percent=90, passages=[]
    )
    return {"pk": assignment.pk, "match": match.pk}


# Sam's class's homework (Mathematics 7A, Tom's).
CLASS_PAGE = expect(403, admin=200, teacher=200, other_teacher=404)
CLASS_POST = expect(403, admin=302, teacher=302, other_teacher=404)

RULES = [
    Rule("assignments:similarity", kwargs=_assignment, expect=CLASS_PAGE),
    Rule("assignments:similarity_check", method="post", kwargs=_assignment, expect=CLASS_POST),
    Rule("assignments:similarity_pair", kwargs=_pair, expect=CLASS_PAGE),
]
