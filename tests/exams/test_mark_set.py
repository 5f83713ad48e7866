"""services.mark_set: what a typed cell stores, what it refuses, and the audit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from modules.core.concurrency import EditConflict
from modules.core.models import AuditEvent
from modules.exams.models import Mark
from modules.exams.services import GradeError, StoredMark, mark_set
from tests import factories as f
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


# The live cell reads the stored mark with the rest of the cell and passes it on (`stored`), so the write is
# conditional on it: a colleague's save landing between that read and the write must not be overwritten.


def test_a_mark_changed_between_the_read_and_the_write_is_not_overwritten(teacher, admin, school):
    quiz = assessment(school, max_score=20)
    mark = f.MarkFactory(assessment=quiz, student=school.child, score=11)
    read = StoredMark(mark.pk, Decimal(11), "")
    mark_set(assessment=quiz, student_id=school.child.pk, raw="14", by=admin, base="11")
    with pytest.raises(EditConflict) as clash:
        mark_set(assessment=quiz, student_id=school.child.pk, raw="9", by=teacher, base="11", stored=read)
    assert clash.value.current == "14"
    assert Mark.objects.get().score == 14
    assert AuditEvent.objects.filter(action="mark.set").count() == 1


def test_a_first_mark_entered_between_the_read_and_the_write_is_not_overwritten(teacher, admin, school):
    quiz = assessment(school, max_score=20)
    mark_set(assessment=quiz, student_id=school.child.pk, raw="ex", by=admin, base="")
    # The INSERT is refused by the unique constraint; on PostgreSQL that spoils the transaction unless it is
    # rolled back to where the save began, which the queries below prove it was.
    with pytest.raises(EditConflict) as clash:
        mark_set(assessment=quiz, student_id=school.child.pk, raw="15", by=teacher, base="", stored=None)
    assert clash.value.current == "ex"
    assert Mark.objects.get().code == "ex"
    # Without a base (nothing to compare with) the write lands over it, audited with what it replaced.
    saved = mark_set(assessment=quiz, student_id=school.child.pk, raw="15", by=teacher, stored=None)
    assert saved is not None
    assert saved.score == 15
    assert Mark.objects.get().score == 15
    assert AuditEvent.objects.filter(action="mark.set").latest("pk").before["mark"] == "ex"


def test_a_mark_cleared_between_the_read_and_the_write_stays_cleared(teacher, admin, school):
    quiz = assessment(school, max_score=20)
    mark = f.MarkFactory(assessment=quiz, student=school.child, score=11)
    read = StoredMark(mark.pk, Decimal(11), "")
    mark_set(assessment=quiz, student_id=school.child.pk, raw="", by=admin, base="11")
    with pytest.raises(EditConflict) as clash:
        mark_set(assessment=quiz, student_id=school.child.pk, raw="9", by=teacher, base="11", stored=read)
    assert clash.value.current == ""
    # Clearing it too finds it already cleared: nothing to write, nothing audited twice.
    assert (
        mark_set(assessment=quiz, student_id=school.child.pk, raw="", by=teacher, base="11", stored=read)
        is None
    )
    assert not Mark.objects.exists()
    assert AuditEvent.objects.filter(action="mark.clear").count() == 1


def test_a_read_that_is_still_true_writes_with_one_statement(teacher, school, queries_exactly):
    quiz = assessment(school, max_score=20)
    mark = f.MarkFactory(assessment=quiz, student=school.child, score=11)
    read = StoredMark(mark.pk, Decimal(11), "")
    assert "teacher" in teacher.roles  # read now, as the request's user has them already
    # The savepoint, the conditional UPDATE, the audit event, the release: no read of the mark.
    with queries_exactly(4):
        saved = mark_set(
            assessment=quiz,
            student_id=school.child.pk,
            raw="12.5",
            by=teacher,
            base="11",
            stored=read,
            locked=False,
        )
    assert saved == StoredMark(mark.pk, Decimal("12.5"), "")
    mark.refresh_from_db()
    assert (mark.score, mark.entered_by) == (Decimal("12.5"), teacher)
