"""Each student's term average per class, stored (SubjectResult) and kept in step with what it is made of.

The average is the gradebook's and the report card's (exams.grading.weighted_percent over every mark given in
the class that term, published or not, with the class's category weights), computed here by the same function,
never again in SQL. What changes it, and refreshes it in the same transaction:
- a mark written, changed or cleared (services.mark_set: the gradebook, a marksheet, homework marked; the
  admin site's mark pages);
- an assessment changed (its maximum, its category, its term or class) or deleted;
- a class's categories or their weights.
A write that changes many marks at once (a marksheet, a paste, a class's homework) refreshes once at its end:
`with results_batch():`. `results_rebuild` recounts every row from the marks (the demo school, the migration
that created the table, `manage.py subject_results` after loading marks in bulk).
"""

from __future__ import annotations

import contextvars
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import reduce
from operator import or_

from django.db import transaction
from django.db.models import Q

from modules.exams.grading import AssessmentInfo, MarkValue, weighted_percent
from modules.exams.models import Assessment, AssessmentCategory, Mark, SubjectResult
from modules.people.models import Student

# (offering id, term id) → the students whose averages to count again, or None for the whole class.
Scope = dict[tuple[int, int], set[int] | None]
# (student id, offering id, term id) → the average.
Computed = dict[tuple[int, int, int], Decimal]

_pending: contextvars.ContextVar[Scope | None] = contextvars.ContextVar("results_pending", default=None)

# The classes whose marks one pass of a rebuild reads (a class of 40 with a term of 20 assessments is 800
# marks: a few hundred thousand in memory at most).
REBUILD_CLASSES = 200


def compute(
    assessments: Iterable[tuple[int, int, int, Decimal, int | None]],
    weights: Iterable[tuple[int, int, Decimal]],
    marks: Iterable[tuple[int, int, Decimal | None, str]],
) -> Computed:
    """The averages from rows as read: assessments (pk, offering, term, maximum, category), categories
    (pk, offering, weight) and marks (assessment, student, score, code). Only a student with something
    counted gets one. No queries: the migration that created the table computes with it too."""
    infos: dict[tuple[int, int], dict[int, AssessmentInfo]] = defaultdict(dict)
    owner: dict[int, tuple[int, int]] = {}
    for pk, offering_id, term_id, max_score, category_id in assessments:
        infos[(offering_id, term_id)][pk] = AssessmentInfo(pk, max_score, category_id)
        owner[pk] = (offering_id, term_id)
    weights_of: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for pk, offering_id, weight in weights:
        weights_of[offering_id][pk] = weight
    given: dict[tuple[int, int, int], list[MarkValue]] = defaultdict(list)
    for assessment_id, student_id, score, code in marks:
        if assessment_id in owner:
            offering_id, term_id = owner[assessment_id]
            given[(student_id, offering_id, term_id)].append(MarkValue(assessment_id, score, code))
    computed: Computed = {}
    for (student_id, offering_id, term_id), values in given.items():
        value = weighted_percent(values, infos[(offering_id, term_id)], weights_of.get(offering_id) or None)
        if value is not None:
            computed[(student_id, offering_id, term_id)] = value
    return computed


def _within(scope: Scope, prefix: str = "") -> Q:
    """The rows of the scope: each class and term, for its students or all of them."""
    parts = []
    for (offering_id, term_id), students in scope.items():
        part = Q(**{f"{prefix}offering_id": offering_id, f"{prefix}term_id": term_id})
        if students is not None:
            part &= Q(student_id__in=sorted(students))
        parts.append(part)
    return reduce(or_, parts)


@transaction.atomic(savepoint=False)
def results_refresh(scope: Scope) -> None:
    """Count the averages of the scope again from the marks and store them: five queries (six when one has
    gone) whatever the scope.

    The students' rows are locked first: two people changing marks of one student in one class at the same
    moment (another assessment each) count one after the other, the second seeing the first's mark, so the
    stored average is never one that misses a committed mark."""
    if not scope:
        return
    _lock_students(scope)
    assessments = list(
        Assessment.objects.filter(reduce(or_, (Q(offering_id=o, term_id=t) for o, t in scope))).values_list(
            "pk", "offering_id", "term_id", "max_score", "category_id"
        )
    )
    computed: Computed = {}
    if assessments:
        offerings = sorted({offering_id for offering_id, _term in scope})
        weights = AssessmentCategory.objects.filter(offering_id__in=offerings).values_list(
            "pk", "offering_id", "weight"
        )
        by_scope: dict[tuple[int, int], list[int]] = defaultdict(list)
        for pk, offering_id, term_id, _max, _category in assessments:
            by_scope[(offering_id, term_id)].append(pk)
        marks = Mark.objects.filter(
            reduce(
                or_,
                (
                    Q(assessment_id__in=ids) & (Q() if scope[key] is None else Q(student_id__in=scope[key]))
                    for key, ids in by_scope.items()
                ),
            )
        ).values_list("assessment_id", "student_id", "score", "code")
        computed = compute(assessments, weights, marks)
    _store(scope, computed)


def _lock_students(scope: Scope) -> None:
    named = sorted({student for students in scope.values() if students is not None for student in students})
    whole = [key for key, students in scope.items() if students is None]
    condition = Q(pk__in=named)
    if whole:
        classes = reduce(or_, (Q(assessment__offering_id=o, assessment__term_id=t) for o, t in whole))
        condition |= Q(pk__in=Mark.objects.filter(classes).values("student_id"))
    list(Student.objects.select_for_update(of=("self",)).filter(condition).order_by("pk").values_list("pk"))


def _store(scope: Scope, computed: Computed) -> None:
    kept: dict[tuple[int, int], set[int]] = defaultdict(set)
    for student_id, offering_id, term_id in computed:
        kept[(offering_id, term_id)].add(student_id)
    # Rows of the scope with nothing counted any more go (one query, only when one may have gone).
    gone = [
        Q(offering_id=o, term_id=t)
        & (Q() if students is None else Q(student_id__in=sorted(students - kept[(o, t)])))
        & ~Q(student_id__in=sorted(kept[(o, t)]))
        for (o, t), students in scope.items()
        if students is None or students - kept[(o, t)]
    ]
    if gone:
        SubjectResult.objects.filter(reduce(or_, gone)).delete()
    if computed:
        SubjectResult.objects.bulk_create(
            [
                SubjectResult(student_id=s, offering_id=o, term_id=t, percent=value)
                for (s, o, t), value in computed.items()
            ],
            update_conflicts=True,
            unique_fields=["student", "offering", "term"],
            update_fields=["percent"],
        )


def results_changed(scope: Scope) -> None:
    """What a write changed: counted again now, or at the end of the batch it is part of."""
    pending = _pending.get()
    if pending is None:
        results_refresh(scope)
        return
    for key, students in scope.items():
        if key in pending and pending[key] is None:
            continue
        if students is None:
            pending[key] = None
        else:
            pending.setdefault(key, set()).update(students)  # type: ignore[union-attr]


def mark_changed(assessment: Assessment, student_id: int) -> None:
    results_changed({(assessment.offering_id, assessment.term_id): {student_id}})


def class_changed(offering_id: int, term_ids: Iterable[int]) -> None:
    """Every student of a class, in the terms given (an assessment moved, a category reweighted)."""
    results_changed({(offering_id, term_id): None for term_id in term_ids})


def offering_terms(offering_id: int) -> list[int]:
    """The terms a class has assessments (and so results) in."""
    return list(
        Assessment.objects.filter(offering_id=offering_id)
        .order_by()
        .values_list("term_id", flat=True)
        .distinct()
    )


@contextmanager
def results_batch() -> Iterator[None]:
    """Marks written inside refresh their averages once, at the end (inside the caller's transaction when
    there is one). Nested batches are one batch; when the block raises, nothing is refreshed (what it wrote is
    being rolled back)."""
    if _pending.get() is not None:
        yield
        return
    pending: Scope = {}
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    results_refresh(pending)


def results_rebuild(term_ids: Iterable[int] | None = None) -> int:
    """Count every stored average again from the marks (of the terms given, else all): the table as the
    services would have kept it. Returns how many rows it holds now."""
    terms = (
        sorted(set(term_ids))
        if term_ids is not None
        else list(Assessment.objects.order_by().values_list("term_id", flat=True).distinct())
    )
    for term_id in terms:
        with transaction.atomic():
            SubjectResult.objects.filter(term_id=term_id).delete()
            offerings = list(
                Assessment.objects.filter(term_id=term_id)
                .order_by()
                .values_list("offering_id", flat=True)
                .distinct()
            )
            for start in range(0, len(offerings), REBUILD_CLASSES):
                part = offerings[start : start + REBUILD_CLASSES]
                results_refresh({(offering_id, term_id): None for offering_id in part})
    return SubjectResult.objects.count()
