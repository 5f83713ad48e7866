"""The student list as a spreadsheet, with the same filters as the list page. Exports are audited."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.accounts.models import User
from modules.core.audit import audit_log
from modules.people.models import GuardianLink, Student


def student_export_headers() -> list[str]:
    return [
        _("Admission number"),
        _("Last name"),
        _("First name"),
        _("Date of birth"),
        _("Gender"),
        _("Grade level"),
        _("Section"),
        _("Email"),
        _("Phone"),
        _("Address"),
        _("Active"),
        _("Primary guardian"),
        _("Guardian relationship"),
        _("Guardian email"),
        _("Guardian phone"),
    ]


def student_export_rows(queryset: QuerySet[Student]) -> list[list[Any]]:
    """One row per student; the primary guardian comes from one prefetch query, not one per row.

    `queryset` is `students_for_list(year)` (filtered), which annotates this year's section and grade.
    """
    primary_links = Prefetch(
        "guardian_links",
        queryset=GuardianLink.objects.filter(is_primary=True).select_related("guardian"),
        to_attr="primary_links",
    )
    rows = []
    for student in queryset.prefetch_related(primary_links):
        link = student.primary_links[0] if student.primary_links else None
        guardian = link.guardian if link else None
        rows.append(
            [
                student.admission_number,
                student.last_name,
                student.first_name,
                student.date_of_birth,
                student.get_gender_display(),
                getattr(student, "grade_name", None) or "",
                getattr(student, "section_name", None) or "",
                student.email,
                student.phone,
                student.address,
                _("Yes") if student.is_active else _("No"),
                guardian.full_name if guardian else "",
                link.get_relationship_display() if link else "",
                guardian.email if guardian else "",
                guardian.phone if guardian else "",
            ]
        )
    return rows


def student_export(
    *, by: User, queryset: QuerySet[Student], filters: dict[str, str]
) -> tuple[list[str], list]:
    """Headers and rows of the student list export, and the audit event that says who took the data."""
    rows = student_export_rows(queryset)
    audit_log(
        actor=by,
        action="student.export",
        model=Student,
        description=_("Student list export"),
        after={"filters": filters, "rows": len(rows), "at": timezone.now()},
    )
    return student_export_headers(), rows
