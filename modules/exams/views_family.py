"""A child's grades for the family (guardian, the student), the child's teachers and the office: per subject
the marks, the term average and letter, the trend across the year's terms, and the report card link.

Families see published assessments only: every read goes through `Assessment.objects.visible_to`, in the
page and in its fragment alike; the averages are computed from those rows only."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from modules.academics.models import CourseOffering, Term
from modules.academics.selectors import current_enrollment, current_term, current_year
from modules.core.audit import record_view_log
from modules.core.htmx import render_page
from modules.core.models import RecordViewKind
from modules.exams.grading import (
    AssessmentInfo,
    Average,
    MarkValue,
    average,
    scale_and_bands,
    weighted_percent,
)
from modules.exams.models import Assessment, AssessmentCategory, Mark, TermStatus
from modules.people.models import Student

TEMPLATE = "exams/family_child.html"


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


def _subject_rows(user, section, student, terms: list[Term], term: Term | None) -> list[SubjectRow]:
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


def _report_card_url(student: Student, term: Term) -> str:
    # The report-card helper's URL name ("report_card"; "report_card_pdf" in the brief): whichever exists.
    for name in ("exams:report_card", "exams:report_card_pdf"):
        try:
            return reverse(name, kwargs={"student_pk": student.pk, "term_pk": term.pk})
        except NoReverseMatch:
            continue
    return ""


@require_GET
@login_required
def child_grades(request, pk):
    """The page; for htmx (the term chooser) only the term's results fragment, scoped the same way."""
    student = get_object_or_404(Student.objects.filter(pk=pk).records_visible_to(request.user))
    year = current_year()
    enrollment = current_enrollment(student, year)
    terms = list(Term.objects.filter(year=year).order_by("start_date")) if year else []
    term = next((t for t in terms if str(t.pk) == request.GET.get("term", "")), None)
    term = term or current_term(year, timezone.localdate()) or (terms[-1] if terms else None)
    is_staff = request.user.is_staff_member and student.pk not in _own_family(request.user)
    if is_staff:
        record_view_log(actor=request.user, obj=student, kind=RecordViewKind.GRADES)
    published = bool(
        term and TermStatus.objects.filter(term=term, results_published_at__isnull=False).exists()
    )
    context = {
        "student": student,
        "enrollment": enrollment,
        "terms": terms,
        "term": term,
        "rows": _subject_rows(request.user, enrollment.section, student, terms, term) if enrollment else [],
        "is_staff_view": is_staff,
        "report_card_url": _report_card_url(student, term) if term and (published or is_staff) else "",
    }
    return render_page(request, TEMPLATE, context, partial="results")


def _own_family(user) -> set[int]:
    """The students this login sees as family (their children, or themself)."""
    return set(
        Student.objects.filter(Q(guardian_links__guardian__user=user) | Q(user=user)).values_list(
            "pk", flat=True
        )
    )
