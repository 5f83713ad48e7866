"""The staff list by role, as the records stand today: every staff member (people's `Staff`), the role their
position gives them, the other roles of their login, and whether that login can sign in."""

from __future__ import annotations

import datetime
from collections import Counter

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from modules.accounts.models import Role
from modules.people.models import Guardian, Position, Staff, Student
from modules.reports.returns import ReturnDocument, Table, columns, date_words, total_row


def login_state(*, staff_active: bool, user_active: bool, password: str) -> tuple[str, bool]:
    """What a staff member's login is (in words) and whether it can sign in."""
    if not staff_active:
        return _("No role (staff record inactive)"), False
    if not user_active:
        return _("Deactivated"), False
    if password.startswith(UNUSABLE_PASSWORD_PREFIX):
        return _("Invited, not yet activated"), False
    return _("Active"), True


def staff_list(*, values: dict, user) -> ReturnDocument:
    day: datetime.date = values["on"]
    positions = dict(Position.choices)
    order = {code: index for index, code in enumerate(Position.values)}
    rows = (
        Staff.objects.annotate(
            is_guardian=Exists(Guardian.objects.filter(user_id=OuterRef("user_id"))),
            is_student=Exists(Student.objects.filter(user_id=OuterRef("user_id"))),
        )
        .values_list(
            "last_name",
            "first_name",
            "staff_number",
            "position",
            "job_title",
            "hire_date",
            "is_active",
            "user__is_active",
            "user__password",
            "user__last_login",
            "is_guardian",
            "is_student",
        )
        .order_by()
    )
    lines = []
    counts: dict[str, Counter] = {code: Counter() for code in Position.values}
    for (
        last,
        first,
        number,
        position,
        title,
        hired,
        active,
        user_active,
        password,
        last_login,
        *others,
    ) in rows:
        state, can_sign_in = login_state(staff_active=active, user_active=user_active, password=password)
        other_roles = [str(Role.GUARDIAN.label)] if others[0] else []
        other_roles += [str(Role.STUDENT.label)] if others[1] else []
        counts[position]["staff"] += 1
        counts[position]["active"] += 1 if active else 0
        counts[position]["logins"] += 1 if can_sign_in else 0
        lines.append(
            (
                (order.get(position, 99), last.lower(), first.lower()),
                [
                    f"{last}, {first}",
                    number,
                    str(positions.get(position, position)),
                    title,
                    ", ".join(other_roles),
                    hired or "",
                    _("Yes") if active else _("No"),
                    state,
                    last_login.date() if last_login else "",
                ],
            )
        )
    lines.sort(key=lambda line: line[0])
    summary_rows = [
        [str(positions[code]), counts[code]["staff"], counts[code]["active"], counts[code]["logins"]]
        for code in Position.values
        if counts[code]["staff"]
    ]
    tables = [
        Table(
            caption=_("Staff by role"),
            sheet=_("By role"),
            headers=columns(_("Role"), _("Staff"), _("Active staff"), _("Logins that can sign in")),
            rows=summary_rows,
            totals=total_row(_("Total"), summary_rows),
        ),
        Table(
            caption=_("Staff list"),
            sheet=_("Staff"),
            headers=columns(
                _("Name"),
                _("Staff number"),
                _("Role"),
                _("Job title"),
                _("Also"),
                _("Hired on"),
                _("Active"),
                _("Login"),
                _("Last signed in"),
            ),
            rows=[row for _key, row in lines],
            numeric_from=99,
        ),
    ]
    return ReturnDocument(
        slug="staff",
        title=_("Staff list by role"),
        covers=_("On %(date)s") % {"date": date_words(day)},
        tables=tables,
        rules=[
            _("Every staff record, active or not, as it stands today."),
            _("Role: the position on the staff record (teacher, bursar or administrator)."),
            _("Also: the other roles the same login holds (parent / guardian, student)."),
            _(
                "Login: Active when the staff record is active, the login is not deactivated and its owner "
                "has set a password; an inactive staff record's login keeps no staff role."
            ),
            _("Last signed in: the day of the login's latest sign-in, if any."),
        ],
        facts=[
            (_("Staff"), len(lines)),
            (_("Logins that can sign in"), sum(counts[code]["logins"] for code in counts)),
        ],
        notice="" if lines else _("There is no staff record."),
        filename=f"staff-list-{day:%Y-%m-%d}",
        model=Staff,
    )
