"""Writing marks and publishing them. Every change of a mark is audited; a locked term needs the office and
a reason."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.accounts.models import Role, User
from modules.core.audit import audit_log
from modules.core.concurrency import EditConflict, Verdict, edit_verdict
from modules.core.numbers import number_text
from modules.exams.events import marks_published
from modules.exams.models import Assessment, Mark, MarkCode, TermStatus
from modules.exams.results import class_changed, offering_terms

CODES = {code.value: code for code in MarkCode}


class GradeError(Exception):
    """A change refused; the message is for the person who typed it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def parse_mark(raw: str, *, max_score: Decimal) -> tuple[Decimal | None, str] | None:
    """What a typed cell means: (score, "") or (None, code), or None for an empty cell.

    Raises GradeError with a message for anything else: letters in a number cell, a negative score, a score
    above the maximum. A comma is accepted as the decimal separator ("7,5")."""
    max_score = Decimal(max_score)  # an Assessment built in code may still hold an int or a str
    text = (raw or "").strip().lower()
    if not text:
        return None
    if text in CODES:
        return None, text
    try:
        score = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise GradeError(
            _("“%(value)s” is not a score. Type a number from 0 to %(max)s, or ex, m or abs.")
            % {"value": raw.strip()[:20], "max": number_text(max_score)}
        ) from None
    if not score.is_finite():
        raise GradeError(_("“%(value)s” is not a score.") % {"value": raw.strip()[:20]})
    if score < 0:
        raise GradeError(_("A score cannot be negative."))
    if score > max_score:
        raise GradeError(
            _("%(value)s is above the maximum of %(max)s.")
            % {"value": number_text(score), "max": number_text(max_score)}
        )
    exponent = score.as_tuple().exponent  # an int: the score is finite (checked above)
    if isinstance(exponent, int) and exponent < -2:
        raise GradeError(_("Use at most two decimals."))
    return score, ""


def term_locked(term_id: int) -> bool:
    return TermStatus.objects.filter(term_id=term_id, locked_at__isnull=False).exists()


class StoredMark(NamedTuple):
    """A cell's mark as stored: what a save compares a page's base with, and what it answers."""

    pk: int
    score: Decimal | None
    code: str

    @property
    def display(self) -> str:
        if self.code:
            return self.code
        return f"{self.score.normalize():f}" if self.score is not None else ""


class _NotRead(Enum):
    NOT_READ = "not read"


NOT_READ = _NotRead.NOT_READ


class _Moved(Exception):
    """The cell changed between the read and the conditional write: read it again, under a lock."""


def _mark_repr(mark: StoredMark | None) -> str:
    return mark.display if mark is not None else ""


def mark_text(raw: str) -> str:
    """A cell's text as a mark shows it ("7,50" → "7.5", "EX" → "ex"): a page's base compared with a mark."""
    text = (raw or "").strip().lower()
    try:
        number = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return text
    return f"{number.normalize():f}" if number.is_finite() else text


def _locked_mark(assessment_id: int, student_id: int) -> StoredMark | None:
    row = (
        Mark.objects.select_for_update()
        .filter(assessment_id=assessment_id, student_id=student_id)
        .values_list("pk", "score", "code")
        .first()
    )
    return StoredMark(*row) if row else None


def mark_set(
    *,
    assessment: Assessment,
    student_id: int,
    raw: str,
    by: User,
    reason: str = "",
    locked: bool | None = None,
    base: str | None = None,
    stored: StoredMark | None | _NotRead = NOT_READ,
) -> StoredMark | None:
    """Store what was typed in one cell (a score, a code, or nothing to clear it). Returns the mark (None when
    cleared). Raises GradeError for invalid input or when the term is locked and the person may not change it.

    `base`: what the cell showed when the page was drawn. Given, a mark someone else changed since is not
    overwritten (EditConflict with its text), and a value equal to the base is not written (core.concurrency).

    `stored`: the cell's mark as the caller already read it (None: no mark), which spares reading it again.
    The write is then conditional on the row still holding that mark (an UPDATE or DELETE that names its old
    values, an INSERT that the unique constraint refuses if someone entered the cell meanwhile); when it
    misses, the cell is read again under a row lock and judged again. Without `stored` it is read under the
    lock at once.

    The caller has already checked the person may see the assessment and that the student is in the class.
    """
    is_office = Role.ADMINISTRATOR in by.roles
    if locked if locked is not None else term_locked(assessment.term_id):
        if not is_office:
            raise GradeError(_("This term is locked. Ask the office to change a mark."))
        if not reason.strip():
            raise GradeError(_("The term is locked: give a reason for the change."))
    parsed = parse_mark(raw, max_score=assessment.max_score)
    # Not one @transaction.atomic around it all: a missed conditional write leaves the block (rolling back to
    # where it started, which PostgreSQL needs after a refused INSERT) and the next attempt starts afresh.
    for attempt in range(3):
        try:
            with transaction.atomic():
                current = _locked_mark(assessment.pk, student_id) if stored is NOT_READ else stored
                return _mark_write(
                    assessment=assessment,
                    student_id=student_id,
                    parsed=parsed,
                    current=current,
                    base=base,
                    by=by,
                    reason=reason.strip(),
                )
        except _Moved:
            if attempt == 2:
                raise
            stored = NOT_READ
    raise AssertionError("unreachable")  # the loop returns or raises


def _mark_write(
    *,
    assessment: Assessment,
    student_id: int,
    parsed: tuple[Decimal | None, str] | None,
    current: StoredMark | None,
    base: str | None,
    by: User,
    reason: str,
) -> StoredMark | None:
    """Write one cell over `current`, conditionally on the row still holding it (raises _Moved if not)."""
    before = _mark_repr(current)
    new = "" if parsed is None else mark_text(parsed[1] or str(parsed[0]))
    verdict = edit_verdict(base=mark_text(base), new=new, stored=before) if base is not None else None
    if verdict is Verdict.CONFLICT:
        raise EditConflict(current=before)
    if verdict is Verdict.UNTOUCHED:
        return current
    if parsed is None:
        if current is None:
            return None
        deleted, _by_model = _unchanged(current).delete()
        if not deleted:
            raise _Moved
        audit_log(
            actor=by,
            action="mark.clear",
            obj=assessment,
            before={"student": student_id, "mark": before},
            after={"student": student_id, "mark": ""},
            reason=reason,
        )
        return None
    score, code = parsed
    if current is not None and current.score == score and current.code == code:
        return current
    values = {
        "score": score,
        "code": code,
        "max_score": assessment.max_score,
        "entered_by": by,
        "entered_at": timezone.now(),
    }
    if current is None:
        try:
            pk = Mark.objects.create(assessment=assessment, student_id=student_id, **values).pk
        except IntegrityError:
            raise _Moved from None  # someone entered this cell at the same moment
    else:
        if not _unchanged(current).update(**values):
            raise _Moved
        pk = current.pk
    mark = StoredMark(pk, score, code)
    audit_log(
        actor=by,
        action="mark.set",
        obj=assessment,
        before={"student": student_id, "mark": before},
        after={"student": student_id, "mark": mark.display},
        reason=reason,
    )
    return mark


def _unchanged(current: StoredMark):
    """The cell's row, only while it still holds `current` (a compare-and-set)."""
    rows = Mark.objects.filter(pk=current.pk, code=current.code)
    if current.score is None:
        return rows.filter(score__isnull=True)
    return rows.filter(score=current.score)


@transaction.atomic
def assessment_publish(*, assessment: Assessment, by: User, notify: bool = True) -> bool:
    """Make an assessment's marks visible to its students and their guardians, and tell them (once).

    `notify=False`: visible without the "marks published" notice (and counted as told, so the recovery of
    lost notices does not send it later): for a caller that tells families itself, such as homework
    returned by its teacher (assignments sends its own "work returned")."""
    now = timezone.now()
    values = {"published_at": now} if notify else {"published_at": now, "notified_at": now}
    updated = Assessment.objects.filter(pk=assessment.pk, published_at__isnull=True).update(**values)
    if not updated:
        return False
    assessment.refresh_from_db()
    audit_log(actor=by, action="assessment.publish", obj=assessment)
    if notify:
        marks_published.send_on_commit(assessment_id=assessment.pk, by=by)
    return True


@transaction.atomic
def assessment_save(*, assessment: Assessment, by: User) -> Assessment:
    """Create or change an assessment. A new maximum may not fall below a score already given; the marks'
    copies of the maximum follow it (the database checks scores against them)."""
    if assessment.pk:
        highest = (
            Mark.objects.select_for_update()
            .filter(assessment_id=assessment.pk, score__isnull=False)
            .order_by("-score")
            .values_list("score", flat=True)
            .first()
        )
        if highest is not None and highest > assessment.max_score:
            raise GradeError(
                _("A student already has %(score)s: the maximum cannot be lower than that.")
                % {"score": number_text(highest)}
            )
        before: Mapping[str, object] = (
            Assessment.objects.filter(pk=assessment.pk)
            .values("name", "max_score", "offering_id", "term_id", "category_id")
            .first()
            or {}
        )
        assessment.save()
        Mark.objects.filter(assessment_id=assessment.pk).update(max_score=assessment.max_score)
        _assessment_moved(assessment, before)
        audit_log(
            actor=by,
            action="assessment.change",
            obj=assessment,
            before={"name": before.get("name", ""), "max_score": str(before.get("max_score", ""))},
            after={"name": assessment.name, "max_score": str(assessment.max_score)},
        )
        return assessment
    assessment.created_by = by
    assessment.save()
    audit_log(actor=by, action="assessment.create", obj=assessment)
    return assessment


def _assessment_moved(assessment: Assessment, before: Mapping[str, object]) -> None:
    """Its class's averages counted again where it counts now and where it counted before (a new maximum or
    category, another term or class), when anything they are made of changed."""
    now = {
        "max_score": assessment.max_score,
        "offering_id": assessment.offering_id,
        "term_id": assessment.term_id,
        "category_id": assessment.category_id,
    }
    if all(before.get(key) == value for key, value in now.items()):
        return
    class_changed(assessment.offering_id, [assessment.term_id])
    if (before.get("offering_id"), before.get("term_id")) != (assessment.offering_id, assessment.term_id):
        class_changed(int(str(before["offering_id"])), [int(str(before["term_id"]))])


@transaction.atomic
def assessment_delete(*, assessment: Assessment, by: User) -> None:
    """Delete an assessment and its marks (the page asks for confirmation when there are marks).

    An assessment that belongs to something else (homework whose marks it holds: a row of a higher module
    protecting it) is refused with GradeError naming that owner; it goes when its owner is deleted."""
    count = assessment.marks.count()
    audit_log(
        actor=by,
        action="assessment.delete",
        obj=assessment,
        before={"name": assessment.name, "marks": count},
    )
    try:
        assessment.delete()
    except ProtectedError as protected:
        owner = next(iter(protected.protected_objects), None)
        raise GradeError(
            _("“%(name)s” holds the marks of the %(kind)s “%(owner)s”: it goes when that is deleted.")
            % {
                "name": assessment.name,
                "kind": owner._meta.verbose_name if owner is not None else _("record"),
                "owner": owner,
            }
        ) from None
    class_changed(assessment.offering_id, [assessment.term_id])


@transaction.atomic
def categories_save(*, offering, keep: list, delete: list, by: User) -> None:
    """Replace a class's weighted categories: `keep` (new or changed AssessmentCategory rows) and `delete`.
    The weights of what remains must total 100, or no categories at all (plain points)."""
    from modules.exams.models import AssessmentCategory

    total = sum((category.weight for category in keep), Decimal(0))
    if keep and total != 100:
        raise GradeError(
            _("The weights add up to %(total)s%%; they must total 100%%.") % {"total": number_text(total)}
        )
    for category in delete:
        if category.pk and category.assessments.exists():
            raise GradeError(
                _("“%(name)s” still has assessments: move them to another category first.")
                % {"name": category.name}
            )
    AssessmentCategory.objects.filter(pk__in=[c.pk for c in delete if c.pk], offering=offering).delete()
    for category in keep:
        category.offering = offering
        category.save()
    class_changed(offering.pk, offering_terms(offering.pk))
    audit_log(
        actor=by,
        action="categories.save",
        obj=offering,
        after={"categories": {c.name: str(c.weight) for c in keep}},
    )
