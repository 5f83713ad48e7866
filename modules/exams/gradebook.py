"""Reads for the teacher's gradebook: the classes list and one class's grid for a term.

The grid loads in a fixed number of queries whatever the size of the class (students, assessments, marks,
categories, grading bands: one query each) and computes averages in Python with grading.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from modules.academics.models import CourseOffering, Enrollment, EnrollmentStatus, Term
from modules.accounts import rules as account_rules
from modules.core.params import query_id
from modules.exams import grading
from modules.exams.models import Assessment, AssessmentCategory, GradeBand, GradingScale, Mark
from modules.people.models import Student


def offerings_for(user, *, office: bool) -> QuerySet[CourseOffering]:
    """The offerings a person keeps marks for: a teacher the ones they teach, the office all."""
    queryset = CourseOffering.objects.all() if office else CourseOffering.objects.taught_by(user)
    return queryset.select_related("subject", "section__grade_level", "section__year", "teacher").annotate(
        students=Count(
            "section__enrollments",
            filter=Q(section__enrollments__status=EnrollmentStatus.ACTIVE),
            distinct=True,
        ),
        assessment_count=Count("assessments", distinct=True),
    )


def get_offering_for_marking(request, pk: int, *, light: bool = False) -> CourseOffering:
    """The offering if this person keeps its marks (its teacher, or the office); 404 otherwise. `light`:
    without the related rows a page shows (the one-cell answer needs only the section's grade level)."""
    user = request.user
    queryset = (
        CourseOffering.objects.all()
        if account_rules.is_administrator(user)
        else CourseOffering.objects.taught_by(user)
    )
    if light:
        return get_object_or_404(queryset.select_related("section"), pk=pk)
    return get_object_or_404(
        queryset.select_related("subject", "section__grade_level", "section__year", "teacher"), pk=pk
    )


def get_assessment_for_marking(request, pk: int) -> Assessment:
    user = request.user
    queryset = Assessment.objects.all()
    if not account_rules.is_administrator(user):
        queryset = queryset.filter(offering__in=CourseOffering.objects.taught_by(user))
    return get_object_or_404(
        queryset.select_related("offering__subject", "offering__section", "term", "category"), pk=pk
    )


def terms_of(offering: CourseOffering) -> list[Term]:
    """The terms of the offering's year, each with its results status (locked or not). One query."""
    return list(
        Term.objects.filter(year_id=offering.section.year_id)
        .select_related("results_status")
        .order_by("start_date")
    )


def pick_term(terms: list[Term], wanted: str | None) -> Term | None:
    """The term asked for (?term=pk), else today's, else the last that started, else the first."""
    wanted_pk = query_id(wanted)
    if wanted_pk is not None:
        for term in terms:
            if term.pk == wanted_pk:
                return term
    today = timezone.localdate()
    for term in terms:
        if term.start_date <= today <= term.end_date:
            return term
    started = [term for term in terms if term.start_date <= today]
    if started:
        return started[-1]
    return terms[0] if terms else None


def is_locked(term: Term) -> bool:
    status = getattr(term, "results_status", None)
    return bool(status and status.locked_at)


def scale_for(grade_level_id: int | None) -> tuple[GradingScale | None, list[GradeBand]]:
    """The grade level's scale (or the school default) and its bands, highest first. One query: the bands of
    both candidate scales with their scale."""
    bands = list(
        GradeBand.objects.filter(Q(scale__grade_level_id=grade_level_id) | Q(scale__grade_level__isnull=True))
        .select_related("scale")
        .order_by("-min_percent")
    )
    own = [band for band in bands if band.scale.grade_level_id is not None]
    chosen = own or [band for band in bands if band.scale.grade_level_id is None]
    return (chosen[0].scale if chosen else None), chosen


def active_students(offering: CourseOffering) -> list[Student]:
    return list(
        Student.objects.filter(
            enrollments__section_id=offering.section_id, enrollments__status=EnrollmentStatus.ACTIVE
        )
        .only("pk", "first_name", "last_name")
        .order_by("last_name", "first_name", "pk")
    )


class MarkRow(NamedTuple):
    """A mark as the grid needs it (tuples, not model instances: 1,200 of them on a big class)."""

    assessment_id: int
    student_id: int
    score: Decimal | None
    code: str

    @property
    def display(self) -> str:
        if self.code:
            return self.code
        return f"{self.score.normalize():f}" if self.score is not None else ""


def in_class(offering: CourseOffering, student_id: int) -> bool:
    return Enrollment.objects.filter(
        section_id=offering.section_id, student_id=student_id, status=EnrollmentStatus.ACTIVE
    ).exists()


@dataclass
class Gradebook:
    offering: CourseOffering
    term: Term
    students: list[Student]
    assessments: list[Assessment]
    categories: list[AssessmentCategory]
    marks: dict[tuple[int, int], MarkRow]  # (assessment id, student id) → mark
    scale: GradingScale | None
    bands: list[GradeBand]
    averages: dict[int, grading.Average] = field(default_factory=dict)

    @property
    def weights(self) -> dict[int, Decimal]:
        return {category.pk: category.weight for category in self.categories}

    @property
    def infos(self) -> dict[int, grading.AssessmentInfo]:
        return {
            a.pk: grading.AssessmentInfo(pk=a.pk, max_score=a.max_score, category_id=a.category_id)
            for a in self.assessments
        }

    def average_of(self, student_id: int) -> grading.Average:
        return self.averages.get(student_id) or grading.Average(percent=None)


def gradebook_load(offering: CourseOffering, term: Term) -> Gradebook:
    """One class's grid for a term."""
    students = active_students(offering)
    assessments = list(
        Assessment.objects.filter(offering=offering, term=term)
        .select_related("category")
        .order_by("date", "pk")
    )
    categories = list(AssessmentCategory.objects.filter(offering=offering))
    marks_qs = Mark.objects.filter(assessment__offering=offering, assessment__term=term)
    marks = {
        (row[0], row[1]): MarkRow(*row)
        for row in marks_qs.values_list("assessment_id", "student_id", "score", "code")
    }
    scale, bands = scale_for(offering.section.grade_level_id)
    book = Gradebook(
        offering=offering,
        term=term,
        students=students,
        assessments=assessments,
        categories=categories,
        marks=marks,
        scale=scale,
        bands=bands,
    )
    by_student: dict[int, list[grading.MarkValue]] = {}
    for mark in marks.values():
        by_student.setdefault(mark.student_id, []).append(
            grading.MarkValue(assessment_id=mark.assessment_id, score=mark.score, code=mark.code)
        )
    infos, weights = book.infos, book.weights
    for student_id, values in by_student.items():
        value = grading.weighted_percent(values, infos, weights or None)
        book.averages[student_id] = grading.average(value, scale, bands)
    return book


def student_average(offering: CourseOffering, term_id: int, student_id: int) -> grading.Average:
    """One student's average and letter in a class for a term (the answer to one saved cell). Four small
    queries, no model instances."""
    infos = {
        pk: grading.AssessmentInfo(pk=pk, max_score=max_score, category_id=category_id)
        for pk, max_score, category_id in Assessment.objects.filter(
            offering=offering, term_id=term_id
        ).values_list("pk", "max_score", "category_id")
    }
    weights = dict(AssessmentCategory.objects.filter(offering=offering).values_list("pk", "weight"))
    values = [
        grading.MarkValue(assessment_id=assessment_id, score=score, code=code)
        for assessment_id, score, code in Mark.objects.filter(
            assessment_id__in=list(infos), student_id=student_id
        ).values_list("assessment_id", "score", "code")
    ]
    scale, bands = scale_for(offering.section.grade_level_id)
    return grading.average(grading.weighted_percent(values, infos, weights or None), scale, bands)
