from django.utils import timezone

from modules.exams.models import TermStatus
from tests.access.matrix import ADMIN_ONLY, ADMIN_ONLY_POST, Rule, expect


def _published(s) -> None:
    TermStatus.objects.update_or_create(term=s.term, defaults={"results_published_at": timezone.now()})


def _sams_card(s) -> dict:
    _published(s)
    return {"student_pk": s.child.pk, "term_pk": s.term.pk}


def _choice(s) -> dict:
    _published(s)
    return {"term": s.term.pk, "sections": [s.section.pk]}


RULES = [
    # Sam's card once the term is published: Sam, Sam's guardian, Sam's teacher and the office; nobody else
    # (the bursar included) learns it exists. Before publication families get a 404 too (tests/exams).
    Rule(
        "exams:report_card",
        kwargs=_sams_card,
        expect=expect(404, admin=200, teacher=200, guardian=200, student=200),
    ),
    Rule("exams:report_card_batch", expect=ADMIN_ONLY),
    Rule("exams:report_card_email", method="post", data=_choice, expect=ADMIN_ONLY_POST),
]
