"""People as the other modules read them: who is told about a student."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from modules.people.models import Guardian, GuardianLink


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
