"""What a token may do: its scopes, each within what its owner may see on the pages.

Each router declares the scope it needs. A scope is offered to the roles whose pages show what it reads or
change what it writes (`scopes_for`); a token keeps a scope only while its owner holds such a role (checked
on every call: a teacher who leaves teaching loses `grades:write` on every token at once)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from modules.accounts.models import Role

ROSTER_READ = "roster:read"
ATTENDANCE_READ = "attendance:read"
ATTENDANCE_WRITE = "attendance:write"
GRADES_READ = "grades:read"
GRADES_WRITE = "grades:write"
FEES_READ = "fees:read"
MESSAGES_READ = "messages:read"
# OneRoster 1.2's own scopes (its rostering service, modules/api/oneroster/rest.py), named as the standard
# names them so that a platform asks for them as it does everywhere.
_ONEROSTER = "https://purl.imsglobal.org/spec/or/v1p2/scope/"
ONEROSTER_ROSTER = _ONEROSTER + "roster.readonly"
ONEROSTER_CORE = _ONEROSTER + "roster-core.readonly"
ONEROSTER_DEMOGRAPHICS = _ONEROSTER + "roster-demographics.readonly"

SCOPES = {
    ROSTER_READ: _(
        "Read the school's roster as you see it: students, guardians, staff, years and terms, grade levels, "
        "sections, classes and enrolments."
    ),
    ATTENDANCE_READ: _("Read registers and attendance marks as you see them."),
    ATTENDANCE_WRITE: _("Mark attendance and submit registers, as you may on the register page."),
    GRADES_READ: _("Read assessments, marks and published term results as you see them."),
    GRADES_WRITE: _("Enter marks in the gradebooks you keep."),
    FEES_READ: _("Read invoices and payments as you see them."),
    MESSAGES_READ: _("Read your announcements and notifications."),
    ONEROSTER_ROSTER: _("OneRoster: read the whole school's roster, as the OneRoster settings give it."),
    ONEROSTER_CORE: _(
        "OneRoster: read the roster's lists and records, without the lists per class or school."
    ),
    ONEROSTER_DEMOGRAPHICS: _(
        "OneRoster: read students' birth dates and sex, when the settings include them."
    ),
}

_FAMILY = {Role.GUARDIAN, Role.STUDENT}
_OFFICE = {Role.ADMINISTRATOR}
_WHO = {
    ROSTER_READ: None,  # every role
    ATTENDANCE_READ: {*_OFFICE, Role.TEACHER, *_FAMILY},
    ATTENDANCE_WRITE: {*_OFFICE, Role.TEACHER},
    GRADES_READ: {*_OFFICE, Role.TEACHER, *_FAMILY},
    GRADES_WRITE: {*_OFFICE, Role.TEACHER},
    FEES_READ: {*_OFFICE, Role.BURSAR, Role.GUARDIAN},
    MESSAGES_READ: None,
    ONEROSTER_ROSTER: _OFFICE,
    ONEROSTER_CORE: _OFFICE,
    ONEROSTER_DEMOGRAPHICS: _OFFICE,
}


def scope_allowed(scope: str, roles) -> bool:
    who = _WHO.get(scope, set())
    return who is None or bool(who & set(roles))


def scopes_for(user) -> list[str]:
    """The scopes this person's roles may hold, in the order the tokens page lists them."""
    return [scope for scope in SCOPES if scope_allowed(scope, user.roles)]


def scope_choices(user) -> list[tuple[str, str]]:
    """The scopes this person may give a token or a program, as a form's choices: what each allows, and its
    name as calls use it."""
    return [(scope, f"{SCOPES[scope]} ({scope})") for scope in scopes_for(user)]
