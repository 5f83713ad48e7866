"""The compliance returns the office can file, in the order the returns page lists them."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext_lazy as _

from modules.reports.returns import ReturnKind
from modules.reports.returns_attendance import attendance_return, persistent_absence
from modules.reports.returns_census import census
from modules.reports.returns_fees import arrears
from modules.reports.returns_forms import ArrearsForm, CensusForm, NoInputForm, PeriodForm
from modules.reports.returns_staff import staff_list

RETURNS = [
    ReturnKind(
        slug="census",
        title=_("Enrolment census"),
        description=_(
            "Students on roll on a date by grade level and sex, their ages on that date, and the new "
            "enrolments and leavers of a period."
        ),
        form=CensusForm,
        build=census,
    ),
    ReturnKind(
        slug="attendance",
        title=_("Attendance return"),
        description=_(
            "Sessions possible, present, late, authorised and unauthorised absence over a period: per "
            "student, by grade level and for the school."
        ),
        form=PeriodForm,
        build=attendance_return,
    ),
    ReturnKind(
        slug="persistent-absence",
        title=_("Persistent absence list"),
        description=_("Students who missed at least the school's chronic absence threshold over a period."),
        form=PeriodForm,
        build=persistent_absence,
    ),
    ReturnKind(
        slug="fee-arrears",
        title=_("Fee arrears summary"),
        description=_(
            "What is owed on a date by grade level and days past due, and the families in arrears."
        ),
        form=ArrearsForm,
        build=arrears,
    ),
    ReturnKind(
        slug="staff",
        title=_("Staff list by role"),
        description=_("Every staff member with their role, the other roles of their login and its state."),
        form=NoInputForm,
        build=staff_list,
    ),
]
BY_SLUG = {kind.slug: kind for kind in RETURNS}


def return_kind(slug: str) -> ReturnKind:
    kind = BY_SLUG.get(slug)
    if kind is None:
        raise Http404
    return kind
