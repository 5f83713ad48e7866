"""Who may open the exams pages. Which classes and children they then see is decided by the scoped
querysets (`CourseOffering.objects.taught_by`, `schedule.timetable_students`…), not here."""

from __future__ import annotations

from modules.accounts import rules as account_rules
from modules.accounts.models import Role


def can_mark(user) -> bool:
    """The gradebook, term comments and class statistics: teachers for their classes, the office for all."""
    return account_rules.is_teacher(user) or account_rules.is_administrator(user)


def sees_exam_timetable(user) -> bool:
    """The family's exam timetable: a student (their own) or a guardian (each of their children's)."""
    return user.is_authenticated and (Role.STUDENT in user.roles or Role.GUARDIAN in user.roles)
