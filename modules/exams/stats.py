"""Statistics for staff: one assessment's distribution, a class's sections compared, students below the pass
mark. Each read is a fixed number of queries, whatever the class size; the arithmetic is in Python over
Decimals, through the averaging rules of grading.py."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import QuerySet

from modules.academics.models import CourseOffering, EnrollmentStatus, Term
from modules.accounts.rules import is_administrator
from modules.exams.grading import (
    AssessmentInfo,
    MarkValue,
    average,
    percent,
    scale_and_bands,
    weighted_percent,
)
from modules.exams.models import Assessment, AssessmentCategory, Mark
from modules.people.models import Student

ONE_DECIMAL = Decimal("0.1")
BUCKETS = 10


def _round(value: Decimal) -> Decimal:
    return value.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def stats_offerings(user) -> QuerySet[CourseOffering]:
    """The classes whose statistics this login may see: the office all, a teacher their own classes."""
    offerings = CourseOffering.objects.select_related("subject", "section__grade_level")
    return offerings.all() if is_administrator(user) else offerings.taught_by(user)


@dataclass
class Bucket:
    low: int
    high: int
    count: int


@dataclass
class AssessmentStats:
    count: int  # scored marks (codes are counted apart)
    coded: int
    mean: Decimal | None = None
    median: Decimal | None = None
    stdev: Decimal | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    buckets: list[Bucket] = field(default_factory=list)
    largest_bucket: int = 0


def assessment_stats(assessment: Assessment) -> AssessmentStats:
    """Mean, median, population standard deviation, min and max of the scores as percentages of the maximum,
    and a histogram in 10% buckets (100% falls in the last). Excused, missing and absent marks are counted
    apart, not as scores. One query."""
    rows = list(Mark.objects.filter(assessment=assessment).values_list("score", "max_score"))
    scores = [percent(score, max_score) for score, max_score in rows if score is not None]
    counts = [0] * BUCKETS
    for value in scores:
        counts[min(int(value // 10), BUCKETS - 1)] += 1
    result = AssessmentStats(
        count=len(scores),
        coded=len(rows) - len(scores),
        buckets=[Bucket(low=i * 10, high=(i + 1) * 10, count=counts[i]) for i in range(BUCKETS)],
        largest_bucket=max(counts),
    )
    if scores:
        result.mean = _round(Decimal(sum(scores)) / len(scores))
        result.median = _round(Decimal(statistics.median(scores)))
        result.stdev = _round(Decimal(statistics.pstdev(scores)))
        result.minimum = min(scores)
        result.maximum = max(scores)
    return result


def averages_by_offering(offerings: list[CourseOffering], term: Term) -> dict[int, dict[int, Decimal | None]]:
    """offering id → student id → the student's weighted average in that class for the term (staff view:
    every mark, published or not). Three queries for any number of classes."""
    ids = [offering.pk for offering in offerings]
    infos: dict[int, dict[int, AssessmentInfo]] = defaultdict(dict)
    owner: dict[int, int] = {}
    for pk, offering_id, max_score, category_id in Assessment.objects.filter(
        offering_id__in=ids, term=term
    ).values_list("pk", "offering_id", "max_score", "category_id"):
        infos[offering_id][pk] = AssessmentInfo(pk=pk, max_score=max_score, category_id=category_id)
        owner[pk] = offering_id
    weights: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for pk, offering_id, weight in AssessmentCategory.objects.filter(offering_id__in=ids).values_list(
        "pk", "offering_id", "weight"
    ):
        weights[offering_id][pk] = weight
    marks: dict[tuple[int, int], list[MarkValue]] = defaultdict(list)
    for assessment_id, student_id, score, code in Mark.objects.filter(
        assessment_id__in=list(owner)
    ).values_list("assessment_id", "student_id", "score", "code"):
        marks[(owner[assessment_id], student_id)].append(
            MarkValue(assessment_id=assessment_id, score=score, code=code)
        )
    result: dict[int, dict[int, Decimal | None]] = defaultdict(dict)
    for (offering_id, student_id), values in marks.items():
        result[offering_id][student_id] = weighted_percent(
            values, infos[offering_id], weights.get(offering_id) or None
        )
    return result


@dataclass
class SectionAverage:
    offering: CourseOffering
    students: int
    mean: Decimal | None
    is_current: bool


def section_comparison(offering: CourseOffering, term: Term) -> list[SectionAverage]:
    """The same subject in every section of the same grade level and year: the mean of the students'
    averages per section."""
    siblings = list(
        CourseOffering.objects.filter(
            subject_id=offering.subject_id,
            section__grade_level_id=offering.section.grade_level_id,
            section__year_id=offering.section.year_id,
        )
        .select_related("section", "subject")
        .order_by("section__name")
    )
    averages = averages_by_offering(siblings, term)
    rows = []
    for sibling in siblings:
        values = [v for v in averages.get(sibling.pk, {}).values() if v is not None]
        rows.append(
            SectionAverage(
                offering=sibling,
                students=len(values),
                mean=_round(Decimal(sum(values)) / len(values)) if values else None,
                is_current=sibling.pk == offering.pk,
            )
        )
    return rows


@dataclass
class StudentResult:
    student: Student
    percent: Decimal | None
    letter: str


def below_pass(offering: CourseOffering, term: Term) -> tuple[Decimal | None, list[StudentResult]]:
    """The class's students whose term average is below the pass mark of their grade level's scale (or the
    school default). Returns the pass mark used (None without any scale) and the students, lowest first."""
    scale, bands = scale_and_bands(offering.section.grade_level_id)
    if scale is None:
        return None, []
    averages = averages_by_offering([offering], term).get(offering.pk, {})
    students = Student.objects.filter(
        pk__in=[pk for pk, value in averages.items() if value is not None and value < scale.pass_mark],
        enrollments__section_id=offering.section_id,
        enrollments__status=EnrollmentStatus.ACTIVE,
    ).distinct()
    results = [
        StudentResult(
            student=student,
            percent=averages[student.pk],
            letter=average(averages[student.pk], scale, bands).letter,
        )
        for student in students
    ]
    results.sort(key=lambda row: (row.percent, row.student.last_name, row.student.first_name))
    return scale.pass_mark, results
