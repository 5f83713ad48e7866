"""Term comments: who may write which comment, the class list with each student's comment, and saving one.

- subject comments: the teacher of the class (the office too);
- homeroom comments: the homeroom teacher of the section (the office too);
- principal comments: the office (any administrator).
Once the term is locked only the office may change a comment, and the change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from modules.academics.models import CourseOffering, EnrollmentStatus, Section, Term
from modules.accounts.models import User
from modules.accounts.rules import is_administrator
from modules.core.audit import audit_log
from modules.core.concurrency import EditConflict, Verdict, edit_verdict
from modules.exams.models import CommentKind, TermComment, TermStatus
from modules.people.models import Student


class CommentError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class CommentScope:
    kind: str
    section: Section
    offering: CourseOffering | None

    @property
    def pk(self) -> int:
        return self.offering.pk if self.offering is not None else self.section.pk

    @property
    def title(self) -> str:
        if self.offering is not None:
            return f"{self.offering.subject.name} · {self.section.name}"
        return self.section.name


def commentable_offerings(user) -> QuerySet[CourseOffering]:
    offerings = CourseOffering.objects.select_related("subject", "section")
    return offerings.all() if is_administrator(user) else offerings.taught_by(user)


def homeroom_sections(user) -> QuerySet[Section]:
    sections = Section.objects.select_related("grade_level")
    return sections.all() if is_administrator(user) else sections.filter(homeroom_teacher__user=user)


def comment_scope(user, kind: str, pk: int) -> CommentScope:
    """What this login may comment on, or 404 (403 for principal comments by anyone but the office)."""
    if kind == CommentKind.SUBJECT:
        offering = commentable_offerings(user).filter(pk=pk).first()
        if offering is None:
            raise Http404
        return CommentScope(kind=kind, section=offering.section, offering=offering)
    if kind == CommentKind.HOMEROOM:
        section = homeroom_sections(user).filter(pk=pk).first()
        if section is None:
            raise Http404
        return CommentScope(kind=kind, section=section, offering=None)
    if kind == CommentKind.PRINCIPAL:
        if not is_administrator(user):
            raise PermissionDenied
        section = Section.objects.filter(pk=pk).first()
        if section is None:
            raise Http404
        return CommentScope(kind=kind, section=section, offering=None)
    raise Http404


def scope_term(scope: CommentScope, term_pk: int) -> Term:
    term = Term.objects.filter(pk=term_pk, year_id=scope.section.year_id).first()
    if term is None:
        raise Http404
    return term


def scope_students(scope: CommentScope) -> QuerySet[Student]:
    return (
        Student.objects.filter(
            enrollments__section=scope.section, enrollments__status=EnrollmentStatus.ACTIVE
        )
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )


def _comments(scope: CommentScope, term: Term) -> QuerySet[TermComment]:
    comments = TermComment.objects.filter(term=term, kind=scope.kind)
    if scope.offering is not None:
        return comments.filter(offering=scope.offering)
    return comments.filter(offering__isnull=True)


def class_comments(scope: CommentScope, term: Term) -> list[tuple[Student, str]]:
    """Each student of the class with their comment (two queries)."""
    students = list(scope_students(scope))
    texts = dict(
        _comments(scope, term).filter(student__in=[s.pk for s in students]).values_list("student_id", "text")
    )
    return [(student, texts.get(student.pk, "")) for student in students]


def term_is_locked(term: Term) -> bool:
    return TermStatus.objects.filter(term=term, locked_at__isnull=False).exists()


@transaction.atomic
def comment_set(*, scope: CommentScope, term: Term, student: Student, text: str, base: str, by: User) -> str:
    """Write (or, when empty, remove) one student's comment. Returns "saved", "cleared" or "unchanged".

    `base` is the comment the writer's page showed: when someone else changed it since, nothing is written
    and EditConflict carries their text (core.concurrency)."""
    locked = term_is_locked(term)
    if locked and not is_administrator(by):
        raise CommentError(_("This term is locked. Ask the office to change a comment."))
    text = text.strip()
    existing = _comments(scope, term).select_for_update().filter(student=student).first()
    before = existing.text if existing is not None else ""
    verdict = edit_verdict(base=base.strip(), new=text, stored=before)
    if verdict == Verdict.CONFLICT:
        raise EditConflict(current=before)
    if verdict != Verdict.WRITE:
        return "unchanged"
    if not text:
        existing.delete()
        outcome = "cleared"
    elif existing is None:
        TermComment.objects.create(
            student=student, term=term, kind=scope.kind, offering=scope.offering, text=text, author=by
        )
        outcome = "saved"
    else:
        existing.text = text
        existing.author = by
        existing.save(update_fields=["text", "author", "updated_at"])
        outcome = "saved"
    if locked:
        audit_log(
            actor=by,
            action="term_comment.change",
            obj=student,
            before={
                "term": term.pk,
                "kind": scope.kind,
                "offering": scope.offering and scope.offering.pk,
                "text": before,
            },
            after={
                "term": term.pk,
                "kind": scope.kind,
                "offering": scope.offering and scope.offering.pk,
                "text": text,
            },
            reason=_("Changed after the term was locked."),
        )
    return outcome
