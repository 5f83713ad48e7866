from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import QuerySet

from modules.academics.models import AcademicYear
from modules.academics.selectors import enrollments_prefetch
from modules.people.models import Guardian, GuardianLink, Student


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
    from django.db.models import OuterRef, Subquery

    from modules.academics.models import Enrollment

    current = Enrollment.objects.filter(student=OuterRef("pk"), year=year)
    return Student.objects.annotate(
        section_name=Subquery(current.values("section__name")[:1]),
        grade_name=Subquery(current.values("section__grade_level__name")[:1]),
        grade_order=Subquery(current.values("section__grade_level__order")[:1]),
    ).order_by("last_name", "first_name")


def student_profile(student: Student, year: AcademicYear | None) -> dict:
    """Everything the student profile page shows, fetched in a fixed number of queries."""
    from modules.academics.models import Enrollment

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


def notified_guardians_by_student(student_ids: Iterable[int]) -> dict[int, list[Guardian]]:
    """The guardians who receive notifications, per student, with their logins: one query. What every
    notice to families (absences, invoices, reminders) starts from."""
    links = GuardianLink.objects.filter(
        student_id__in=list(student_ids), receives_notifications=True
    ).select_related("guardian__user")
    found: dict[int, list[Guardian]] = defaultdict(list)
    for link in links:
        found[link.student_id].append(link.guardian)
    return found
