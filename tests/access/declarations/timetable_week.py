"""Everyone's week (its pages and PDFs), the office's booklet and export, and the calendar feed's pages."""

from __future__ import annotations

from modules.timetable.models import Timetable, TimetableStatus
from tests import factories as f
from tests.access.matrix import ADMIN_ONLY, Rule, expect


def _child(s) -> dict:
    return {"pk": s.child.pk}


def _section(s) -> dict:
    return {"pk": s.section.pk}


def _teacher(s) -> dict:
    return {"pk": s.teacher_staff.pk}


def _room(s) -> dict:
    return {"pk": f.RoomFactory(name="Lab 9").pk}


def _booklet(s) -> dict:
    Timetable.objects.create(year=s.year, name="Live", status=TimetableStatus.PUBLISHED)
    return {"kind": "sections"}


# A student's and a teacher's own week.
OWN = expect(403, student=200, teacher=200, other_teacher=200)
# Any guardian their children's; Sam's (the child's) only Sam's guardian: another family 404.
GUARDIANS = expect(403, guardian=200, other_guardian=200)
SAMS = expect(403, guardian=200, other_guardian=404)

RULES = [
    Rule("timetable:my_week", expect=OWN),
    Rule("timetable:my_week_pdf", expect=OWN),
    Rule("timetable:children_week", expect=GUARDIANS),
    Rule("timetable:child_week", kwargs=_child, expect=SAMS),
    Rule("timetable:child_week_pdf", kwargs=_child, expect=SAMS),
    Rule("timetable:week_office", expect=ADMIN_ONLY),
    Rule("timetable:section_week", kwargs=_section, expect=ADMIN_ONLY),
    Rule("timetable:section_pdf", kwargs=_section, expect=ADMIN_ONLY),
    Rule("timetable:teacher_week", kwargs=_teacher, expect=ADMIN_ONLY),
    Rule("timetable:teacher_pdf", kwargs=_teacher, expect=ADMIN_ONLY),
    Rule("timetable:room_week", kwargs=_room, expect=ADMIN_ONLY),
    Rule("timetable:room_pdf", kwargs=_room, expect=ADMIN_ONLY),
    Rule("timetable:booklet", kwargs=_booklet, method="post", expect=ADMIN_ONLY),
    # An export asks for the password again first (modules/core/exports.py).
    Rule("timetable:export", expect=expect(403, admin=302)),
    # The calendar address: anyone signed in makes, replaces and revokes their own.
    Rule("timetable:feed_settings", expect=expect(200)),
    Rule("timetable:feed_make", method="post", expect=expect(200)),
    Rule("timetable:feed_revoke", method="post", expect=expect(302)),
    # The feed: no login, the token is the key; an unknown one is 404 for everyone.
    Rule("timetable:feed", kwargs={"token": "unknown-token"}, expect=expect(404, anonymous=404)),
]
