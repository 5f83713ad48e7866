"""The report builder (modules/reports/views_builder.py): staff build reports from the data sets of their
role; families have no builder. A saved report opens for its owner and whoever it is shared with (here: the
teacher's own, shared with nobody, so any other colleague gets 404)."""

from __future__ import annotations

from modules.reports.models import SavedReport
from tests.access.matrix import Rule, expect


def _report(s) -> dict:
    report = SavedReport.objects.create(
        owner=s.teacher_staff.user, name="My class", dataset="students", definition={"columns": ["name"]}
    )
    return {"pk": report.pk}


STAFF = expect(403, admin=200, teacher=200, other_teacher=200, bursar=200)
# The teacher's report: theirs only; other staff 404 (no leak that it exists); families 403 (no builder).
TEACHERS_OWN = expect(403, admin=404, teacher=200, other_teacher=404, bursar=404)

RULES = [
    Rule("reports:builder_list", expect=STAFF),
    Rule("reports:builder_new", expect=STAFF),
    # A save without a name is refused on the page (400), for each member of staff.
    Rule(
        "reports:builder_create",
        method="post",
        data={"dataset": "students", "columns": ["name"]},
        expect=expect(403, admin=400, teacher=400, other_teacher=400, bursar=400),
    ),
    Rule("reports:builder_run", kwargs=_report, expect=TEACHERS_OWN),
    Rule("reports:builder_edit", kwargs=_report, expect=TEACHERS_OWN),
    Rule(
        "reports:builder_update",
        kwargs=_report,
        method="post",
        data={"columns": ["name"]},
        expect=expect(403, admin=404, teacher=400, other_teacher=404, bursar=404),
    ),
    Rule(
        "reports:builder_delete",
        kwargs=_report,
        method="post",
        expect=expect(403, admin=404, teacher=302, other_teacher=404, bursar=404),
    ),
    # Exports ask for the password again first (modules/core/exports.py), before anything is read.
    Rule(
        "reports:builder_export",
        kwargs=lambda s: {**_report(s), "fmt": "xlsx"},
        expect=expect(403, admin=302, teacher=302, other_teacher=302, bursar=302),
    ),
    Rule(
        "reports:builder_export_start",
        kwargs=lambda s: {**_report(s), "fmt": "xlsx"},
        method="post",
        expect=expect(403, admin=302, teacher=302, other_teacher=302, bursar=302),
    ),
]


def _schedule(s) -> dict:
    kwargs = _report(s)
    report = SavedReport.objects.get(pk=kwargs["pk"])
    schedule = report.schedules.create(frequency="weekly", next_run=s.term.end_date)
    return {**kwargs, "schedule_pk": schedule.pk}


RULES += [
    # Only the report's owner schedules it: an empty form is refused on the page (400).
    Rule(
        "reports:builder_schedule",
        kwargs=_report,
        method="post",
        expect=expect(403, admin=404, teacher=400, other_teacher=404, bursar=404),
    ),
    Rule(
        "reports:builder_schedule_delete",
        kwargs=_schedule,
        method="post",
        expect=expect(403, admin=404, teacher=302, other_teacher=404, bursar=404),
    ),
]
