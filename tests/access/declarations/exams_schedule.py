"""Exam schedule (office edits, staff read, families see their own) and offline marksheets (the class's
teacher and the office)."""

import datetime

from modules.exams.models import ExamPeriod, ExamSlot
from tests import factories as f
from tests.access.matrix import ADMIN_ONLY, ADMIN_ONLY_POST, Rule, expect


def _period(s) -> ExamPeriod:
    start = s.term.start_date + datetime.timedelta(days=30)
    return ExamPeriod.objects.create(
        name="Midterms",
        term=s.term,
        start_date=start,
        end_date=start + datetime.timedelta(days=5),
        is_published=True,
    )


def _period_kwargs(s) -> dict:
    return {"pk": _period(s).pk}


def _slot(s) -> dict:
    period = _period(s)
    slot = ExamSlot.objects.create(
        period=period,
        subject=s.offering.subject,
        date=period.start_date,
        start_time=datetime.time(9, 0),
        duration_minutes=90,
        room=f.RoomFactory(),
    )
    slot.sections.set([s.section])
    return {"pk": slot.pk}


STAFF = expect(403, admin=200, teacher=200, other_teacher=200, bursar=200)
FAMILIES = expect(403, guardian=200, other_guardian=200, student=200)
# The marksheet of Mathematics · 7A: its teacher and the office; nobody else learns it exists.
CLASS_TEACHER = expect(404, admin=200, teacher=200)

RULES = [
    Rule("exams:schedule_periods", expect=STAFF),
    Rule("exams:schedule_period_create", expect=ADMIN_ONLY),
    Rule("exams:schedule_period", kwargs=_period_kwargs, expect=STAFF),
    Rule("exams:schedule_period_edit", kwargs=_period_kwargs, expect=ADMIN_ONLY),
    Rule("exams:schedule_period_pdf", kwargs=_period_kwargs, expect=STAFF),
    Rule("exams:schedule_slot_create", kwargs=lambda s: {"period_pk": _period(s).pk}, expect=ADMIN_ONLY),
    Rule("exams:schedule_slot_edit", kwargs=_slot, expect=ADMIN_ONLY),
    Rule("exams:schedule_slot_delete", kwargs=_slot, method="post", expect=ADMIN_ONLY_POST),
    Rule("exams:exam_timetable", expect=FAMILIES),
    Rule("exams:exam_timetable_pdf", expect=FAMILIES),
    Rule("exams:marksheet", kwargs=lambda s: {"pk": s.offering.pk}, expect=CLASS_TEACHER),
    # The download: the same people, sent first to re-authenticate (modules.core.exports).
    Rule(
        "exams:marksheet_export",
        kwargs=lambda s: {"pk": s.offering.pk},
        expect=expect(404, admin=302, teacher=302),
    ),
    # Without a file the upload form answers 400 with its message, to the people allowed to send it.
    Rule(
        "exams:marksheet_preview",
        kwargs=lambda s: {"pk": s.offering.pk},
        method="post",
        expect=expect(404, admin=400, teacher=400),
    ),
    # Without a pending preview there is nothing to confirm: back to the marksheet page.
    Rule(
        "exams:marksheet_confirm",
        kwargs=lambda s: {"pk": s.offering.pk},
        method="post",
        expect=expect(404, admin=302, teacher=302),
    ),
]
