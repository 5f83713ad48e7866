"""Grades: the office's grading scales and term controls; term comments and statistics for staff."""

from django.utils import timezone

from modules.exams.models import GradingScale, TermStatus
from tests.access.matrix import ADMIN_ONLY, ADMIN_ONLY_POST, Rule, expect
from tests.factories import AssessmentFactory


def _scale(s) -> dict:
    return {"pk": GradingScale.objects.create(name="Default").pk}


def _term(s) -> dict:
    return {"pk": s.term.pk}


def _locked_term(s) -> dict:
    TermStatus.objects.create(term=s.term, locked_at=timezone.now())
    return {"pk": s.term.pk}


def _class_comments(s) -> dict:
    return {"kind": "subject", "pk": s.offering.pk, "term_pk": s.term.pk}


def _student_comment(s) -> dict:
    return {**_class_comments(s), "student_pk": s.child.pk}


def _class(s) -> dict:
    return {"pk": s.offering.pk, "term_pk": s.term.pk}


def _assessment(s) -> dict:
    return {"pk": AssessmentFactory(offering=s.offering, term=s.term).pk}


# Pages for staff who write comments or read statistics: teachers and the office; families and the bursar
# are refused.
STAFF_PAGE = expect(403, admin=200, teacher=200, other_teacher=200)
# Sam's class (Mathematics 7A, Tom's): Tom and the office; another teacher does not know it exists.
SAMS_CLASS = expect(403, admin=200, teacher=200, other_teacher=404)

RULES = [
    Rule("exams:scale_list", expect=ADMIN_ONLY),
    Rule("exams:scale_create", expect=ADMIN_ONLY),
    Rule("exams:scale_edit", kwargs=_scale, expect=ADMIN_ONLY),
    Rule("exams:term_list", expect=ADMIN_ONLY),
    Rule("exams:term_publish", method="post", kwargs=_term, expect=ADMIN_ONLY_POST),
    Rule("exams:term_lock", method="post", kwargs=_term, expect=ADMIN_ONLY_POST),
    Rule(
        "exams:term_unlock",
        method="post",
        kwargs=_locked_term,
        data={"reason": "Correction"},
        expect=ADMIN_ONLY_POST,
    ),
    Rule("exams:comments_index", expect=STAFF_PAGE),
    Rule("exams:comments_class", kwargs=_class_comments, expect=SAMS_CLASS),
    Rule(
        "exams:comment_save",
        method="post",
        kwargs=_student_comment,
        data=lambda s: {f"s{s.child.pk}-text": "Works hard."},
        expect=expect(403, admin=302, teacher=302, other_teacher=404),
    ),
    Rule("exams:stats_index", expect=STAFF_PAGE),
    Rule("exams:stats_class", kwargs=_class, expect=SAMS_CLASS),
    Rule("exams:stats_assessment", kwargs=_assessment, expect=SAMS_CLASS),
]
