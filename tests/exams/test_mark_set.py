"""services.mark_set: what a typed cell stores, what it refuses, and the audit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from modules.core.models import AuditEvent
from modules.exams.models import Mark
from modules.exams.services import GradeError, mark_set
from tests.exams.test_gradebook import assessment, lock

pytestmark = pytest.mark.django_db


def test_it_stores_updates_and_clears_with_an_audit(teacher, school):
    quiz = assessment(school, max_score=20)
    mark_set(assessment=quiz, student_id=school.child.pk, raw=" 12.5 ", by=teacher)
    assert Mark.objects.get().score == Decimal("12.5")
    mark_set(assessment=quiz, student_id=school.child.pk, raw="M", by=teacher)
    mark = Mark.objects.get()
    assert (mark.score, mark.code, mark.max_score) == (None, "m", 20)
    assert mark_set(assessment=quiz, student_id=school.child.pk, raw="", by=teacher) is None
    assert not Mark.objects.exists()
    assert list(AuditEvent.objects.order_by("pk").values_list("action", flat=True)) == [
        "mark.set",
        "mark.set",
        "mark.clear",
    ]


@pytest.mark.parametrize("raw", ["21", "-1", "ten", "1.234", "nan"])
def test_it_refuses_what_is_not_a_score(teacher, school, raw):
    quiz = assessment(school, max_score=20)
    with pytest.raises(GradeError):
        mark_set(assessment=quiz, student_id=school.child.pk, raw=raw, by=teacher)
    assert not Mark.objects.exists()


def test_it_refuses_a_locked_term_to_teachers_and_asks_the_office_for_a_reason(teacher, admin, school):
    quiz = assessment(school)
    lock(school.term)
    with pytest.raises(GradeError, match="locked"):
        mark_set(assessment=quiz, student_id=school.child.pk, raw="3", by=teacher)
    with pytest.raises(GradeError, match="reason"):
        mark_set(assessment=quiz, student_id=school.child.pk, raw="3", by=admin)
    mark_set(assessment=quiz, student_id=school.child.pk, raw="3", by=admin, reason="Appeal")
    assert AuditEvent.objects.get(action="mark.set").reason == "Appeal"
