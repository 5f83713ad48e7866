"""Who may change a register, and until when."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from modules.accounts import rules as account_rules
from modules.accounts.models import Role
from modules.attendance.models import AttendancePolicy, Register, RegisterMode
from modules.timetable.models import Cover


def can_take_registers(user) -> bool:
    """Who may open the list of registers: teachers (their own) and the office (all). Each register is then
    fetched through `Register.objects.visible_to`, so someone else's is a 404."""
    return account_rules.is_teacher(user) or account_rules.is_administrator(user)


def takes_register(user, register: Register) -> bool:
    """Its own teacher: the homeroom teacher for a daily register, the class teacher for a lesson, or the
    teacher covering that lesson on the register's date (modules/timetable/covering.py)."""
    if register.kind == RegisterMode.DAILY:
        teacher = register.section.homeroom_teacher
    else:
        teacher = register.offering.teacher if register.offering_id else None
    if teacher is not None and teacher.user_id == user.pk:
        return True
    return (
        register.kind == RegisterMode.LESSON
        and Cover.objects.taking_register()
        .filter(
            teacher__user=user,
            date=register.date,
            lesson__offering_id=register.offering_id,
            lesson__period_id=register.period_id,
        )
        .exists()
    )


def edit_refusal(
    user, register: Register, *, policy: AttendancePolicy, today: datetime.date | None = None
) -> str:
    """Why this user may not change this register now ("" when they may).

    Its teacher may change it from its day until the school's cut-off; later, only the office, with a reason.
    Nobody marks a day that has not come yet.
    """
    today = today or timezone.localdate()
    if register.date > today:
        return _("This register is for %(date)s, which has not come yet.") % {
            "date": date_format(register.date, "DATE_FORMAT")
        }
    if Role.ADMINISTRATOR in user.roles:
        return ""
    if not takes_register(user, register):
        return _("Only the register's own teacher or the office may change it.")
    if today > policy.teacher_cutoff(register.date):
        return _(
            "The time for teachers to change this register has passed. Ask the office to make the change."
        )
    return ""


def needs_reason(
    user, register: Register, *, policy: AttendancePolicy, today: datetime.date | None = None
) -> bool:
    """The office changing a register after its teacher's cut-off must say why (it is audited)."""
    today = today or timezone.localdate()
    return (
        Role.ADMINISTRATOR in user.roles
        and (today > policy.teacher_cutoff(register.date) or not takes_register(user, register))
        and register.state == "submitted"
    )
