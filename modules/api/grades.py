"""Grades (scopes `grades:read`, `grades:write`): assessments, marks and published term results as the
caller sees them on the pages (teachers their classes' and homeroom sections', families their children's
published marks), and entering a mark through the gradebook's own rules (exams.services.mark_set: the same
reading of what was typed, the same locked term, the same refusal of a mark someone else changed since the
caller read it)."""

# No `from __future__ import annotations` here: django-ninja reads the endpoints' annotations as types.

import datetime
from decimal import Decimal

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from modules.api.auth import Refused, TokenAuth, conflict
from modules.api.lists import PAGE, Id, Moment, Pages, PathId, narrowed
from modules.api.scopes import GRADES_READ, GRADES_WRITE
from modules.core.concurrency import EditConflict
from modules.exams import services
from modules.exams.gradebook import cell_target
from modules.exams.models import Assessment, Mark, SubjectResult, TermStatus
from modules.exams.results import results_fresh

router = Router(tags=["grades"])
READ = TokenAuth(GRADES_READ)
WRITE = TokenAuth(GRADES_WRITE)


class AssessmentOut(Schema):
    id: int
    class_id: int = Field(..., alias="offering_id")
    term_id: int
    category_id: int | None
    name: str
    kind: str
    max_score: Decimal
    date: datetime.date
    published_at: datetime.datetime | None


class MarkOut(Schema):
    id: int
    assessment_id: int
    student_id: int
    score: Decimal | None
    code: str = Field(..., description="ex (excused), m (missing) or abs (absent) instead of a score")
    entered_at: datetime.datetime


class ResultOut(Schema):
    student_id: int
    class_id: int = Field(..., alias="offering_id")
    term_id: int
    percent: Decimal | None = Field(..., description="The term's weighted average, as on the report card")


class AssessmentFilter(Schema):
    class_: Id | None = Field(None, alias="class")
    term: Id | None = None
    published: bool | None = None


class MarkFilter(Schema):
    assessment: Id | None = None
    student: Id | None = None
    class_: Id | None = Field(None, alias="class")
    term: Id | None = None
    changed_since: Moment | None = None


class ResultFilter(Schema):
    term: Id
    class_: Id | None = Field(None, alias="class")
    student: Id | None = None


class MarkIn(Schema):
    mark: str = Field(
        ...,
        max_length=20,
        description="As typed in the gradebook: a score (a comma or a point for decimals), ex, m or abs; "
        "empty clears the mark.",
    )
    base: str | None = Field(
        None,
        max_length=20,
        description="The mark as the caller last read it (empty: none). Given, a mark someone else "
        "changed since is not overwritten: 409 with the stored mark.",
    )
    reason: str = Field("", max_length=200, description="Needed to change a mark in a locked term.")


class MarkSavedOut(Schema):
    assessment_id: int
    student_id: int
    mark: str


class MarkConflictOut(Schema):
    code: str
    message: str
    current: str


@router.get("/assessments", response=list[AssessmentOut], auth=READ, summary="Assessments")
@paginate(Pages, **PAGE)
def assessments(request, filters: Query[AssessmentFilter]):
    return narrowed(
        Assessment.objects.visible_to(request.auth.user).order_by(),
        offering_id=filters.class_,
        term_id=filters.term,
        published_at__isnull=None if filters.published is None else not filters.published,
    )


@router.get("/assessments/{assessment_id}", response=AssessmentOut, auth=READ, summary="An assessment")
def assessment(request, assessment_id: PathId):
    return get_object_or_404(Assessment.objects.visible_to(request.auth.user), pk=assessment_id)


@router.get("/marks", response=list[MarkOut], auth=READ, summary="Marks")
@paginate(Pages, **PAGE)
def marks(request, filters: Query[MarkFilter]):
    return narrowed(
        Mark.objects.visible_to(request.auth.user),
        assessment_id=filters.assessment,
        student_id=filters.student,
        assessment__offering_id=filters.class_,
        assessment__term_id=filters.term,
        entered_at__gte=filters.changed_since,
    )


@router.get("/term-results", response=list[ResultOut], auth=READ, summary="Published term results")
@paginate(Pages, **PAGE)
def term_results(request, filters: Query[ResultFilter]):
    """Each student's average in each class over one term, once the office has published the term's
    results. A class or student without a counted average (no marks, or all excused) has a null percent
    or no row."""
    if TermStatus.objects.filter(term_id=filters.term, results_published_at__isnull=False).exists():
        results_fresh(filters.term)  # counted again where marks changed since (exams.results)
    return narrowed(
        SubjectResult.objects.published().filter(term_id=filters.term).visible_to(request.auth.user),
        offering_id=filters.class_,
        student_id=filters.student,
    )


@router.put(
    "/assessments/{assessment_id}/marks/{student_id}",
    response={200: MarkSavedOut, 409: MarkConflictOut},
    auth=WRITE,
    summary="Enter a mark",
)
def mark_enter(request, assessment_id: PathId, student_id: PathId, payload: MarkIn):
    """The gradebook's cell, for a class the token's owner keeps marks for (its teacher, or the office)."""
    offering_id = Assessment.objects.filter(pk=assessment_id).values_list("offering_id", flat=True).first()
    if offering_id is None:
        raise Http404
    target = cell_target(request, offering_id, assessment_id, student_id)  # 404 unless theirs to mark
    if not target.enrolled:
        raise Http404
    try:
        saved = services.mark_set(
            assessment=target.assessment,
            student_id=student_id,
            raw=payload.mark,
            by=request.auth.user,
            reason=payload.reason,
            locked=target.locked,
            base=payload.base,
            stored=target.stored,
        )
    except services.GradeError as refusal:
        raise Refused(422, "refused", refusal.message, field="mark") from None
    except EditConflict as clash:
        return conflict(clash.current)
    return {"assessment_id": assessment_id, "student_id": student_id, "mark": saved.display if saved else ""}
