"""Each student's term average per class, stored (SubjectResult) for the report builder, never a second rule.

The average is the gradebook's and the report card's (exams.grading.weighted_percent over every mark given in
the class that term, published or not, with the class's category weights), computed here by that function.

How the stored rows stay true, without a cost on the gradebook's hot path (a mark saved is six statements):
- Marks: each row keeps what it was counted from, the number of the student's marks in the class that term
  and the latest time one was entered (every write of a mark sets `entered_at`; a cleared mark lowers the
  count). `results_fresh(term)`, called before a report reads the term, compares them with the marks in one
  grouped query and counts again only the rows that differ (and the students with marks and no row yet).
  It reads committed marks only, so a mark committed after it is found by the next read.
- What changes averages without touching marks (an assessment's maximum, category, term or class, or its
  deletion; a class's categories and weights; the admin site's pages) counts the class again at once
  (`class_changed`, in the same transaction).
`results_rebuild` counts every row again (the demo school; `manage.py subject_results`).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import reduce
from operator import or_

from django.db import transaction
from django.db.models import Count, Max, Q

from modules.exams.grading import AssessmentInfo, MarkValue, weighted_percent
from modules.exams.models import Assessment, AssessmentCategory, Mark, SubjectResult

# (offering id, term id) → the students whose averages to count again, or None for the whole class.
Scope = dict[tuple[int, int], set[int] | None]

# The classes one pass of a rebuild reads (a class of 40 with a term of 20 assessments is 800 marks).
REBUILD_CLASSES = 200


@dataclass(frozen=True)
class Counted:
    percent: Decimal | None
    marks: int
    marked_at: datetime.datetime | None


def compute(
    assessments: Iterable[tuple[int, int, int, Decimal, int | None]],
    weights: Iterable[tuple[int, int, Decimal]],
    marks: Iterable[tuple[int, int, Decimal | None, str, datetime.datetime | None]],
) -> dict[tuple[int, int, int], Counted]:
    """(student, offering, term) → the average and what it was counted from, from rows as read: assessments
    (pk, offering, term, maximum, category), categories (pk, offering, weight) and marks (assessment, student,
    score, code, entered at). Every student with a mark gets one. No queries (the migration that made the
    table computes with it too)."""
    infos: dict[tuple[int, int], dict[int, AssessmentInfo]] = defaultdict(dict)
    owner: dict[int, tuple[int, int]] = {}
    for pk, offering_id, term_id, max_score, category_id in assessments:
        infos[(offering_id, term_id)][pk] = AssessmentInfo(pk, max_score, category_id)
        owner[pk] = (offering_id, term_id)
    weights_of: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for pk, offering_id, weight in weights:
        weights_of[offering_id][pk] = weight
    given: dict[tuple[int, int, int], list[MarkValue]] = defaultdict(list)
    latest: dict[tuple[int, int, int], datetime.datetime | None] = {}
    for assessment_id, student_id, score, code, entered_at in marks:
        if assessment_id not in owner:
            continue
        key = (student_id, *owner[assessment_id])
        given[key].append(MarkValue(assessment_id, score, code))
        before = latest.get(key)
        latest[key] = entered_at if before is None or (entered_at and entered_at > before) else before
    return {
        (student_id, offering_id, term_id): Counted(
            weighted_percent(values, infos[(offering_id, term_id)], weights_of.get(offering_id) or None),
            len(values),
            latest[(student_id, offering_id, term_id)],
        )
        for (student_id, offering_id, term_id), values in given.items()
    }


@transaction.atomic(savepoint=False)
def results_refresh(scope: Scope) -> None:
    """Count the averages of the scope again from the marks and store them: four queries (five when a row
    has gone) whatever the scope."""
    if not scope:
        return
    assessments = list(
        Assessment.objects.filter(reduce(or_, (Q(offering_id=o, term_id=t) for o, t in scope))).values_list(
            "pk", "offering_id", "term_id", "max_score", "category_id"
        )
    )
    computed: dict[tuple[int, int, int], Counted] = {}
    if assessments:
        weights = AssessmentCategory.objects.filter(
            offering_id__in=sorted({o for o, _t in scope})
        ).values_list("pk", "offering_id", "weight")
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
        ).values_list("assessment_id", "student_id", "score", "code", "entered_at")
        computed = compute(assessments, weights, marks)
    _store(scope, computed)


def _store(scope: Scope, computed: dict[tuple[int, int, int], Counted]) -> None:
    kept: dict[tuple[int, int], set[int]] = defaultdict(set)
    for student_id, offering_id, term_id in computed:
        kept[(offering_id, term_id)].add(student_id)
    # Rows of the scope whose student has no mark there any more go (one query, only when one may have gone).
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
                SubjectResult(
                    student_id=s,
                    offering_id=o,
                    term_id=t,
                    percent=c.percent,
                    marks=c.marks,
                    marked_at=c.marked_at,
                )
                for (s, o, t), c in computed.items()
            ],
            update_conflicts=True,
            unique_fields=["student", "offering", "term"],
            update_fields=["percent", "marks", "marked_at"],
            batch_size=1000,
        )


def results_fresh(term_id: int) -> int:
    """Count again the term's averages whose marks changed since they were counted (see the module
    docstring): two queries when nothing changed. Returns how many averages were counted again."""
    given = {
        (row["student_id"], row["assessment__offering_id"]): (row["n"], row["last"])
        for row in Mark.objects.filter(assessment__term_id=term_id)
        .order_by()
        .values("student_id", "assessment__offering_id")
        .annotate(n=Count("pk"), last=Max("entered_at"))
    }
    stored = {
        (student_id, offering_id): (marks, marked_at)
        for student_id, offering_id, marks, marked_at in SubjectResult.objects.filter(
            term_id=term_id
        ).values_list("student_id", "offering_id", "marks", "marked_at")
    }
    stale: Scope = {}
    for key in given.keys() | stored.keys():
        if given.get(key) != stored.get(key):
            student_id, offering_id = key
            students = stale.setdefault((offering_id, term_id), set())
            assert students is not None
            students.add(student_id)
    pairs = sorted(stale.items())
    for start in range(0, len(pairs), REBUILD_CLASSES):
        results_refresh(dict(pairs[start : start + REBUILD_CLASSES]))
    return sum(len(students or ()) for students in stale.values())


def class_changed(offering_id: int, term_ids: Iterable[int]) -> None:
    """Every student of a class counted again, in the terms given (an assessment changed or moved, a category
    reweighted): at once, in the caller's transaction."""
    results_refresh({(offering_id, term_id): None for term_id in term_ids})


def offering_terms(offering_id: int) -> list[int]:
    """The terms a class has assessments (and so results) in."""
    terms = Assessment.objects.filter(offering_id=offering_id).order_by().values_list("term_id", flat=True)
    return list(terms.distinct())


def results_rebuild(term_ids: Iterable[int] | None = None) -> int:
    """Count every stored average again from the marks (of the terms given, else all). Returns how many rows
    the table holds now."""
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
