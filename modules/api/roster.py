"""The roster (scope `roster:read`): people, the year's structure and who is in which section, each list as
the caller sees it on the pages (`visible_to`: a teacher's students are those of their sections, a guardian's
their children, a student themself; families see no staff), paginated by cursor, filterable, and for
syncing "changed since" where the records keep their time of change."""

# No `from __future__ import annotations` here: django-ninja reads the endpoints' annotations as types.

import datetime

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from modules.academics.models import AcademicYear, CourseOffering, Enrollment, GradeLevel, Section, Term
from modules.api.auth import TokenAuth
from modules.api.lists import PAGE, Id, Moment, Pages, PathId, narrowed
from modules.api.scopes import ROSTER_READ
from modules.people.models import Guardian, Staff, Student

router = Router(auth=TokenAuth(ROSTER_READ), tags=["roster"])


# --- schemas ------------------------------------------------------------------------------------------------


class StudentOut(Schema):
    id: int
    admission_number: str
    first_name: str
    last_name: str
    date_of_birth: datetime.date
    gender: str
    is_active: bool
    updated_at: datetime.datetime


class GuardianOut(Schema):
    id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    updated_at: datetime.datetime


class StaffOut(Schema):
    id: int
    staff_number: str
    first_name: str
    last_name: str
    email: str
    position: str
    job_title: str
    is_active: bool
    updated_at: datetime.datetime


class YearOut(Schema):
    id: int
    name: str
    start_date: datetime.date
    end_date: datetime.date
    is_current: bool


class TermOut(Schema):
    id: int
    year_id: int
    name: str
    start_date: datetime.date
    end_date: datetime.date


class GradeLevelOut(Schema):
    id: int
    name: str
    order: int


class SectionOut(Schema):
    id: int
    year_id: int
    grade_level_id: int
    name: str
    homeroom_teacher_id: int | None


class ClassOut(Schema):
    id: int
    section_id: int
    subject_id: int
    subject: str
    teacher_id: int | None

    @staticmethod
    def resolve_subject(offering: CourseOffering) -> str:
        return offering.subject.name


class EnrolmentOut(Schema):
    id: int
    student_id: int
    section_id: int
    year_id: int
    status: str
    enrolled_on: datetime.date
    ended_on: datetime.date | None


class PeopleFilter(Schema):
    changed_since: Moment | None = None


class StudentFilter(PeopleFilter):
    section: Id | None = None
    active: bool | None = None


class TermFilter(Schema):
    year: Id | None = None


class SectionFilter(Schema):
    year: Id | None = None
    grade_level: Id | None = None


class ClassFilter(Schema):
    section: Id | None = None
    year: Id | None = None


class EnrolmentFilter(Schema):
    section: Id | None = None
    student: Id | None = None
    year: Id | None = None
    status: str | None = None


def _changed(rows: QuerySet, since: datetime.datetime | None) -> QuerySet:
    return narrowed(rows, updated_at__gte=since)


# --- people -------------------------------------------------------------------------------------------------


@router.get("/students", response=list[StudentOut], summary="Students")
@paginate(Pages, **PAGE)
def students(request, filters: Query[StudentFilter]):
    rows = _changed(Student.objects.visible_to(request.auth.user), filters.changed_since)
    return narrowed(rows, enrollments__section_id=filters.section, is_active=filters.active).distinct()


@router.get("/students/{student_id}", response=StudentOut, summary="A student")
def student(request, student_id: PathId):
    return get_object_or_404(Student.objects.visible_to(request.auth.user), pk=student_id)


@router.get("/guardians", response=list[GuardianOut], summary="Guardians")
@paginate(Pages, **PAGE)
def guardians(request, filters: Query[PeopleFilter]):
    return _changed(Guardian.objects.visible_to(request.auth.user), filters.changed_since)


@router.get("/guardians/{guardian_id}", response=GuardianOut, summary="A guardian")
def guardian(request, guardian_id: PathId):
    return get_object_or_404(Guardian.objects.visible_to(request.auth.user), pk=guardian_id)


@router.get("/staff", response=list[StaffOut], summary="Staff")
@paginate(Pages, **PAGE)
def staff(request, filters: Query[PeopleFilter]):
    return _changed(Staff.objects.visible_to(request.auth.user), filters.changed_since)


# --- the year's structure -----------------------------------------------------------------------------------


@router.get("/academic-years", response=list[YearOut], summary="Academic years")
@paginate(Pages, **PAGE)
def years(request):
    return AcademicYear.objects.all()


@router.get("/terms", response=list[TermOut], summary="Terms")
@paginate(Pages, **PAGE)
def terms(request, filters: Query[TermFilter]):
    return narrowed(Term.objects.all(), year_id=filters.year)


@router.get("/grade-levels", response=list[GradeLevelOut], summary="Grade levels")
@paginate(Pages, **PAGE)
def grade_levels(request):
    return GradeLevel.objects.all()


@router.get("/sections", response=list[SectionOut], summary="Sections")
@paginate(Pages, **PAGE)
def sections(request, filters: Query[SectionFilter]):
    rows = Section.objects.visible_to(request.auth.user)
    return narrowed(rows, year_id=filters.year, grade_level_id=filters.grade_level)


@router.get("/classes", response=list[ClassOut], summary="Classes (a subject taught to a section)")
@paginate(Pages, **PAGE)
def classes(request, filters: Query[ClassFilter]):
    rows = CourseOffering.objects.visible_to(request.auth.user).select_related("subject")
    return narrowed(rows, section_id=filters.section, section__year_id=filters.year)


@router.get("/enrolments", response=list[EnrolmentOut], summary="Enrolments")
@paginate(Pages, **PAGE)
def enrolments(request, filters: Query[EnrolmentFilter]):
    rows = Enrollment.objects.filter(student__in=Student.objects.visible_to(request.auth.user))
    return narrowed(
        rows,
        section_id=filters.section,
        student_id=filters.student,
        year_id=filters.year,
        status=filters.status,
    )
