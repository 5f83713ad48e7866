"""People as the other modules read them: who is told about a student, whom a login sees as family."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Q, QuerySet

from modules.people.models import Guardian, GuardianLink, Student


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


def family_students(user) -> QuerySet[Student]:
    """The students a login sees as family: their children (as a guardian) and themself (as a student).
    The one definition the family pages and the family dashboards scope by."""
    return Student.objects.filter(
        pk__in=Student.objects.filter(Q(guardian_links__guardian__user=user) | Q(user=user)).values("pk")
    )
