from __future__ import annotations

import datetime

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery

from modules.academics.models import (
    AcademicYear,
    CalendarEvent,
    CourseOffering,
    Enrollment,
    EnrollmentStatus,
    Section,
    Term,
)
from modules.people.models import Student


def current_year() -> AcademicYear | None:
    return AcademicYear.objects.current()


def current_term(year: AcademicYear | None, day: datetime.date) -> Term | None:
    if year is None:
        return None
    return Term.objects.filter(year=year, start_date__lte=day, end_date__gte=day).first()


def closure_on(day: datetime.date) -> CalendarEvent | None:
    return CalendarEvent.objects.closures().on(day).first()


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
    """Prefetch each student's enrollment in a year (section, homeroom teacher) as `current_enrollments`."""
    queryset = Enrollment.objects.select_related("section__grade_level", "section__homeroom_teacher")
    queryset = queryset.filter(year=year) if year is not None else queryset.none()
    return Prefetch("enrollments", queryset=queryset, to_attr="current_enrollments")


# Office setup pages (modules/academics/views.py).


def setup_counts(year: AcademicYear | None) -> dict[str, int]:
    """The numbers on the setup overview page."""
    from modules.academics.models import GradeLevel, Period, Room, Subject

    counts = {
        "years": AcademicYear.objects.count(),
        "terms": Term.objects.filter(year=year).count() if year else 0,
        "grade_levels": GradeLevel.objects.count(),
        "subjects": Subject.objects.count(),
        "rooms": Room.objects.count(),
        "periods": Period.objects.count(),
        "sections": 0,
        "offerings": 0,
        "enrolled": 0,
        "unenrolled": 0,
    }
    if year is not None:
        counts["sections"] = Section.objects.filter(year=year).count()
        counts["offerings"] = CourseOffering.objects.filter(section__year=year).count()
        counts["enrolled"] = Enrollment.objects.filter(year=year, status=EnrollmentStatus.ACTIVE).count()
        counts["unenrolled"] = unenrolled_students(year).count()
    return counts


def unenrolled_students(year: AcademicYear | None) -> QuerySet:
    """Active students with no enrollment (in any status) in the year: the ones waiting for a section."""

    students = Student.objects.active().order_by("last_name", "first_name")
    if year is None:
        return students.none()
    return students.exclude(pk__in=Enrollment.objects.filter(year=year).values("student_id"))


def sections_with_counts(year: AcademicYear | None) -> QuerySet[Section]:
    """A year's sections with grade level, homeroom teacher, room and the number of active students."""
    if year is None:
        return Section.objects.none()
    return (
        Section.objects.filter(year=year)
        .select_related("grade_level", "homeroom_teacher", "room")
        .annotate(
            student_count=Count(
                "enrollments", filter=Q(enrollments__status=EnrollmentStatus.ACTIVE), distinct=True
            ),
            offering_count=Count("offerings", distinct=True),
        )
        .order_by("grade_level__order", "name")
    )


def section_roster(section: Section) -> QuerySet[Enrollment]:
    """Everyone enrolled in a section this year, active first, then by name."""
    from django.db.models import Case, IntegerField, Value, When

    return (
        section.enrollments.select_related("student")
        .annotate(
            active_first=Case(
                When(status=EnrollmentStatus.ACTIVE, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("active_first", "student__last_name", "student__first_name")
    )


def offerings_for_list(year: AcademicYear | None) -> QuerySet[CourseOffering]:
    queryset = CourseOffering.objects.select_related("subject", "section__grade_level", "teacher")
    if year is not None:
        queryset = queryset.filter(section__year=year)
    return queryset.order_by("section__grade_level__order", "section__name", "subject__name")


def calendar_month(first_day: datetime.date) -> list[dict]:
    """Every day of the month holding `first_day`, each with the calendar events that cover it (one query)."""
    import calendar

    from django.utils import timezone

    last_day = first_day.replace(day=calendar.monthrange(first_day.year, first_day.month)[1])
    events = list(
        CalendarEvent.objects.filter(start_date__lte=last_day, end_date__gte=first_day).order_by(
            "start_date", "name"
        )
    )
    closure_kinds = {"holiday", "closure"}
    days = []
    for number in range(1, last_day.day + 1):
        day = first_day.replace(day=number)
        day_events = [event for event in events if event.start_date <= day <= event.end_date]
        days.append(
            {
                "date": day,
                "events": day_events,
                "is_weekend": day.weekday() >= 5,
                "is_closed": any(event.kind in closure_kinds for event in day_events),
                "is_today": day == timezone.localdate(),
            }
        )
    return days


# --- students with their place in the school (the people pages, a guardian's children) -----------------


def guardian_children(user, year: AcademicYear | None) -> QuerySet[Student]:
    """The children linked to a guardian login, each with this year's section and homeroom teacher."""
    return (
        Student.objects.filter(guardian_links__guardian__user=user)
        .prefetch_related(enrollments_prefetch(year))
        .order_by("date_of_birth", "first_name")
        .distinct()
    )


def students_for_list(year: AcademicYear | None) -> QuerySet[Student]:
    """Students with this year's section and grade level as columns (no query per row)."""
    current = Enrollment.objects.filter(student=OuterRef("pk"), year=year)
    return Student.objects.annotate(
        section_name=Subquery(current.values("section__name")[:1]),
        grade_name=Subquery(current.values("section__grade_level__name")[:1]),
        grade_order=Subquery(current.values("section__grade_level__order")[:1]),
    ).order_by("last_name", "first_name")


def student_profile(student: Student, year: AcademicYear | None) -> dict:
    """Everything the student profile page shows, fetched in a fixed number of queries."""
    links = list(
        student.guardian_links.select_related("guardian__user").order_by("-is_primary", "guardian__last_name")
    )
    enrollments = list(
        Enrollment.objects.filter(student=student)
        .select_related("section__grade_level", "section__homeroom_teacher", "year")
        .order_by("-year__start_date")
    )
    current = next((e for e in enrollments if year is not None and e.year_id == year.pk), None)
    return {"links": links, "enrollments": enrollments, "current_enrollment": current}


def current_section_choices(year: AcademicYear | None) -> QuerySet[Section]:
    return Section.objects.filter(year=year).select_related("grade_level") if year else Section.objects.none()
