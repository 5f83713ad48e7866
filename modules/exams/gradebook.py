"""Reads for the teacher's gradebook: the classes list and one class's grid for a term.

The grid loads in a fixed number of queries whatever the size of the class (students, assessments, marks,
categories, grading bands: one query each) and computes averages in Python with grading.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.db import connections, router
from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    StringAgg,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Cast, JSONObject
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from modules.academics.models import CourseOffering, Enrollment, EnrollmentStatus, Term
from modules.accounts import rules as account_rules
from modules.accounts.models import User
from modules.core.params import query_id
from modules.exams import grading
from modules.exams.models import Assessment, AssessmentCategory, GradeBand, GradingScale, Mark, TermStatus
from modules.exams.services import CODES, StoredMark
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
    # `homework_id`: the homework (assignments, a floor up) whose marks the column holds, through the reverse
    # one-to-one: the column says so and links to its inbox, in the same query.
    assessments: list[Assessment] = list(
        Assessment.objects.filter(offering=offering, term=term)
        .select_related("category")
        .annotate(homework_id=F("assignment__pk"))
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


def _json_rows(queryset: QuerySet, **fields) -> Subquery:
    """A correlated subquery answering `fields` of every row of `queryset` as the text of JSON objects
    joined by commas (NULL for no rows), read back with _rows_of. Values are cast to text so that decimals
    come back exact from both SQLite and PostgreSQL. It lets the rows of a small table (a scale's bands, a
    class's categories) ride along in another query instead of costing a query of their own."""
    as_text = {name: Cast(expression, TextField()) for name, expression in fields.items()}
    # Grouped by a constant, which Django leaves out of GROUP BY: one aggregate over all the rows.
    rows = StringAgg(Cast(JSONObject(**as_text), TextField()), Value(","))
    return Subquery(
        queryset.order_by().annotate(all=Value(1)).values("all").annotate(rows=rows).values("rows")
    )


def _rows_of(text: str | None) -> list[dict[str, str | None]]:
    return json.loads(f"[{text or ''}]")


@dataclass
class CellTarget:
    """What saving one cell needs, read in one query (cell_target): the assessment, whether its term is
    locked, whether the student is in the class, the student's marks of the class for the term, and what
    their average needs (the term's assessments, the class's category weights, the scale)."""

    assessment: Assessment  # pk, name, offering_id, term_id and max_score: what mark_set and the audit use
    locked: bool
    enrolled: bool
    stored: StoredMark | None  # the student's mark on this assessment, as read
    marks: dict[int, grading.MarkValue]  # assessment id → the student's mark, this class and term
    infos: dict[int, grading.AssessmentInfo]
    weights: dict[int, Decimal]
    scale: grading.Scale | None
    bands: list[grading.Band]

    def average(self, shown: str) -> grading.Average:
        """The student's average with this cell holding `shown` (a mark's display text: what the save left
        there, or the other person's mark that refused it), computed from the marks already read."""
        marks = dict(self.marks)
        marks.pop(self.assessment.pk, None)
        if shown in CODES:
            marks[self.assessment.pk] = grading.MarkValue(self.assessment.pk, None, shown)
        elif shown:
            marks[self.assessment.pk] = grading.MarkValue(self.assessment.pk, Decimal(shown), "")
        value = grading.weighted_percent(marks.values(), self.infos, self.weights or None)
        return grading.average(value, self.scale, self.bands)


# Stand-ins for a cell's ids while cell_target's query is built (see _cell_sql): no row has a negative id.
_OFFERING, _ASSESSMENT, _STUDENT, _USER = -918_273_001, -918_273_002, -918_273_003, -918_273_004


def _cell_queryset(*, office: bool) -> QuerySet:
    """cell_target's query, one row: the assessment, and as subqueries whether its term is locked and the
    student is in the class, the term's assessments of the class, the student's marks on them, the class's
    categories and the scale's bands (the few rows of each as JSON text, see _json_rows). Every column is a
    number, a text or a boolean, read without Django's converters."""
    found = Assessment.objects.filter(pk=_ASSESSMENT, offering_id=_OFFERING)
    if not office:
        teacher = User(pk=_USER)
        found = found.filter(offering__in=CourseOffering.objects.taught_by(teacher).values("pk"))
    return (
        found.order_by()
        .annotate(
            max_text=Cast("max_score", TextField()),
            locked=Exists(TermStatus.objects.filter(term_id=OuterRef("term_id"), locked_at__isnull=False)),
            enrolled=Exists(
                Enrollment.objects.filter(
                    section_id=OuterRef("offering__section_id"),
                    student_id=_STUDENT,
                    status=EnrollmentStatus.ACTIVE,
                )
            ),
            term_rows=_json_rows(
                Assessment.objects.filter(offering_id=OuterRef("offering_id"), term_id=OuterRef("term_id")),
                pk="pk",
                max_score="max_score",
                category="category_id",
            ),
            mark_rows=_json_rows(
                Mark.objects.filter(
                    student_id=_STUDENT,
                    assessment__offering_id=OuterRef("offering_id"),
                    assessment__term_id=OuterRef("term_id"),
                ),
                pk="pk",
                assessment="assessment_id",
                score="score",
                code="code",
            ),
            category_rows=_json_rows(
                AssessmentCategory.objects.filter(offering_id=OuterRef("offering_id")),
                pk="pk",
                weight="weight",
            ),
            band_rows=_json_rows(
                GradeBand.objects.filter(
                    Q(scale__grade_level_id=OuterRef("offering__section__grade_level_id"))
                    | Q(scale__grade_level__isnull=True)
                ),
                letter="letter",
                min_percent="min_percent",
                gpa_points="gpa_points",
                descriptor="descriptor",
                own="scale__grade_level_id",
                pass_mark="scale__pass_mark",
            ),
        )
        .values_list(
            "pk",
            "name",
            "offering_id",
            "term_id",
            "max_text",
            "locked",
            "enrolled",
            "term_rows",
            "mark_rows",
            "category_rows",
            "band_rows",
        )
    )


class _Id(NamedTuple):
    """In a kept query's parameters: the place of one of the cell's ids."""

    name: str


class _CellSQL(NamedTuple):
    sql: str
    params: tuple  # each a constant of the query, or an _Id: where one of the cell's ids goes
    columns: tuple[str, ...]


_CELL_SQL: dict[tuple[str, bool], _CellSQL] = {}


def _cell_sql(using: str, *, office: bool) -> _CellSQL:
    """cell_target's SQL, built by the ORM once per process, database and kind of person. Building and
    compiling a query of six subqueries costs the ORM a few milliseconds, several times what the database
    takes to answer it, on a request whose budget is 8 ms; the SQL itself depends only on the query's shape,
    so it is kept and run again with each cell's ids in the places of the stand-ins."""
    key = (using, office)
    if key not in _CELL_SQL:
        query = _cell_queryset(office=office).query
        sql, params = query.get_compiler(using).as_sql()
        names = {_OFFERING: "offering", _ASSESSMENT: "assessment", _STUDENT: "student", _USER: "user"}
        slots = tuple(
            _Id(names[param]) if isinstance(param, int) and param in names else param for param in params
        )
        needed = {"offering", "assessment", "student"} | (set() if office else {"user"})
        missing = needed - {slot.name for slot in slots if isinstance(slot, _Id)}
        if missing:  # a stand-in the compiler wrote into the SQL itself instead of passing it
            raise RuntimeError(f"cell_target: ids not passed as parameters: {sorted(missing)}")
        columns = (*query.extra_select, *query.values_select, *query.annotation_select)
        _CELL_SQL[key] = _CellSQL(sql, slots, columns)
    return _CELL_SQL[key]


def cell_target(request, offering_pk: int, assessment_pk: int, student_pk: int) -> CellTarget:
    """One cell of a class the person keeps marks for, or 404 (the class is not theirs, or the assessment not
    of that class). One query (_cell_queryset)."""
    user = request.user
    using = router.db_for_read(Assessment)
    cell_sql = _cell_sql(using, office=account_rules.is_administrator(user))
    ids = {"offering": offering_pk, "assessment": assessment_pk, "student": student_pk, "user": user.pk}
    params = [ids[param.name] if isinstance(param, _Id) else param for param in cell_sql.params]
    with connections[using].cursor() as cursor:
        cursor.execute(cell_sql.sql, params)
        found = cursor.fetchone()
    if found is None:
        raise Http404
    row = dict(zip(cell_sql.columns, found, strict=True))
    assessment = Assessment(
        pk=row["pk"],
        name=row["name"],
        offering_id=row["offering_id"],
        term_id=row["term_id"],
        max_score=Decimal(row["max_text"]),
    )
    stored = None
    marks = {}
    for mark_row in _rows_of(row["mark_rows"]):
        mark = StoredMark(int(str(mark_row["pk"])), _decimal(mark_row["score"]), mark_row["code"] or "")
        assessment_id = int(str(mark_row["assessment"]))
        marks[assessment_id] = grading.MarkValue(assessment_id, mark.score, mark.code)
        if assessment_id == assessment.pk:
            stored = mark
    scale, bands = _scale_of(_rows_of(row["band_rows"]))
    return CellTarget(
        assessment=assessment,
        locked=bool(row["locked"]),
        enrolled=bool(row["enrolled"]),
        stored=stored,
        marks=marks,
        infos={
            int(str(info["pk"])): grading.AssessmentInfo(
                pk=int(str(info["pk"])),
                max_score=Decimal(str(info["max_score"])),
                category_id=None if info["category"] is None else int(info["category"]),
            )
            for info in _rows_of(row["term_rows"])
        },
        weights={int(str(c["pk"])): Decimal(str(c["weight"])) for c in _rows_of(row["category_rows"])},
        scale=scale,
        bands=bands,
    )


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _scale_of(rows: list[dict[str, str | None]]) -> tuple[grading.Scale | None, list[grading.Band]]:
    """scale_for's choice (the grade level's own scale, else the school's default) from bands read as JSON."""
    own = [row for row in rows if row["own"] is not None]
    chosen = own or [row for row in rows if row["own"] is None]
    if not chosen:
        return None, []
    bands = sorted(
        (
            grading.Band(
                letter=str(row["letter"]),
                min_percent=Decimal(str(row["min_percent"])),
                gpa_points=Decimal(str(row["gpa_points"])),
                descriptor=str(row["descriptor"] or ""),
            )
            for row in chosen
        ),
        key=lambda band: band.min_percent,
        reverse=True,
    )
    return grading.Scale(pass_mark=Decimal(str(chosen[0]["pass_mark"]))), bands
