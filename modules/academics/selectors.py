from __future__ import annotations

import datetime

from django.db.models import Count, Prefetch, Q, QuerySet

from modules.academics.models import (
    AcademicYear,
    CalendarEvent,
    CourseOffering,
    Enrollment,
    EnrollmentStatus,
    Section,
    Term,
    TimetableEntry,
)


def current_year() -> AcademicYear | None:
    return AcademicYear.objects.current()


def current_term(year: AcademicYear | None, day: datetime.date) -> Term | None:
    if year is None:
        return None
    return Term.objects.filter(year=year, start_date__lte=day, end_date__gte=day).first()


def closure_on(day: datetime.date) -> CalendarEvent | None:
    return CalendarEvent.objects.closures().on(day).first()


def teacher_lessons_on(user, day: datetime.date) -> QuerySet[TimetableEntry]:
    """The teacher's timetabled lessons on a day, in bell order."""
    return (
        TimetableEntry.objects.filter(offering__teacher__user=user, weekday=day.weekday())
        .select_related("period", "room", "offering__subject", "offering__section")
        .order_by("period__order")
    )


def teacher_sections(user, year: AcademicYear | None) -> QuerySet[Section]:
    """Sections the teacher teaches or leads in a year, with the number of active students."""
    if year is None:
        return Section.objects.none()
    return (
        Section.objects.filter(year=year)
        .taught_by(user)
        .select_related("grade_level", "homeroom_teacher")
        .annotate(
            student_count=Count(
                "enrollments", filter=Q(enrollments__status=EnrollmentStatus.ACTIVE), distinct=True
            )
        )
        .order_by("grade_level__order", "name")
    )


def student_offerings(student, year: AcademicYear | None) -> QuerySet[CourseOffering]:
    if year is None:
        return CourseOffering.objects.none()
    return (
        CourseOffering.objects.filter(
            section__enrollments__student=student,
            section__enrollments__year=year,
            section__enrollments__status=EnrollmentStatus.ACTIVE,
        )
        .select_related("subject", "teacher")
        .order_by("subject__name")
    )


def current_enrollment(student, year: AcademicYear | None) -> Enrollment | None:
    if year is None:
        return None
    return (
        Enrollment.objects.filter(student=student, year=year)
        .select_related("section__grade_level", "section__homeroom_teacher", "section__room")
        .first()
    )


def enrollments_prefetch(year: AcademicYear | None) -> Prefetch:
    """Prefetch each student's enrollment in a year, with section and homeroom teacher, as `current_enrollments`."""
    queryset = Enrollment.objects.select_related("section__grade_level", "section__homeroom_teacher")
    queryset = queryset.filter(year=year) if year is not None else queryset.none()
    return Prefetch("enrollments", queryset=queryset, to_attr="current_enrollments")
