"""A child's grades by subject, as the family sees them (published assessments only, through
`Assessment.objects.visible_to`): the marks, the term average and its trend across the year's terms. The
family's grades page draws them (views_family.py), and so do the reports' dashboards."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from modules.academics.models import CourseOffering, Term
from modules.exams.grading import (
    AssessmentInfo,
    Average,
    MarkValue,
    average,
    scale_and_bands,
    weighted_percent,
)
from modules.exams.models import Assessment, AssessmentCategory, Mark


@dataclass
class MarkRow:
    assessment: Assessment
    display: str  # Mark.label: the score, or the code's word ("Excused"); "" when there is no mark
    scored: bool = False  # a score out of the maximum (a code is not "out of" anything)


@dataclass
class SubjectRow:
    offering: CourseOffering
    marks: list[MarkRow] = field(default_factory=list)
    average: Average | None = None
    trend: list[Average] = field(default_factory=list)


def subject_rows(user, section, student, terms: list[Term], term: Term | None) -> list[SubjectRow]:
    offerings = list(
        CourseOffering.objects.filter(section=section).select_related("subject").order_by("subject__name")
    )
    assessments = list(
        Assessment.objects.filter(offering__section=section, term__in=terms)
        .visible_to(user)
        .order_by("date", "pk")
    )
    marks = {
        row.assessment_id: row
        for row in Mark.objects.filter(student=student, assessment__in=[a.pk for a in assessments]).only(
            "assessment_id", "score", "code"
        )
    }
    weights: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for pk, offering_id, weight in AssessmentCategory.objects.filter(offering__section=section).values_list(
        "pk", "offering_id", "weight"
    ):
        weights[offering_id][pk] = weight
    scale, bands = scale_and_bands(section.grade_level_id)
    by_offering_term: dict[tuple[int, int], list[Assessment]] = defaultdict(list)
    for assessment in assessments:
        by_offering_term[(assessment.offering_id, assessment.term_id)].append(assessment)
    rows = []
    for offering in offerings:
        row = SubjectRow(offering=offering)
        for each_term in terms:
            taken = by_offering_term.get((offering.pk, each_term.pk), [])
            infos = {
                a.pk: AssessmentInfo(pk=a.pk, max_score=a.max_score, category_id=a.category_id) for a in taken
            }
            values = [
                MarkValue(assessment_id=a.pk, score=marks[a.pk].score, code=marks[a.pk].code)
                for a in taken
                if a.pk in marks
            ]
            result = average(weighted_percent(values, infos, weights.get(offering.pk) or None), scale, bands)
            row.trend.append(result)
            if term is not None and each_term.pk == term.pk:
                row.average = result
                row.marks = [
                    MarkRow(a, marks[a.pk].label, marks[a.pk].is_scored) if a.pk in marks else MarkRow(a, "")
                    for a in taken
                ]
        rows.append(row)
    return rows
