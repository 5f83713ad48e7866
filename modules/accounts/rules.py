"""Named permission predicates. Views call these; templates receive the resulting flags."""

from __future__ import annotations

from modules.accounts.models import STAFF_ROLES, Role


def is_administrator(user) -> bool:
    return user.is_authenticated and Role.ADMINISTRATOR in user.roles


def is_teacher(user) -> bool:
    return user.is_authenticated and Role.TEACHER in user.roles


def is_student(user) -> bool:
    return user.is_authenticated and Role.STUDENT in user.roles


def is_guardian(user) -> bool:
    return user.is_authenticated and Role.GUARDIAN in user.roles


def is_staff_member(user) -> bool:
    return user.is_authenticated and any(role in STAFF_ROLES for role in user.roles)


def must_enrol_mfa(user) -> bool:
    """Staff positions, and anyone who may open the Django admin (is_staff, superusers), must pass MFA."""
    return user.is_authenticated and (user.is_superuser or user.is_staff or is_staff_member(user))
