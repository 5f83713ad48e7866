"""School setup pages (modules/academics): the office only."""

import datetime

from modules.academics.models import CalendarEvent, GradeLevel, Period, Room, Subject
from tests.access.matrix import ADMIN_ONLY, ADMIN_ONLY_POST, Rule


def _room(school):
    return {"pk": Room.objects.get_or_create(name="Matrix room")[0].pk}


def _period(school):
    period, _created = Period.objects.get_or_create(
        order=99,
        defaults={"name": "Matrix period", "start_time": datetime.time(15), "end_time": datetime.time(16)},
    )
    return period


def _event(school):
    event, _created = CalendarEvent.objects.get_or_create(
        name="Matrix day",
        defaults={"kind": "event", "start_date": school.year.start_date, "end_date": school.year.start_date},
    )
    return {"pk": event.pk}


def _unused_grade(school):
    return {"pk": GradeLevel.objects.get_or_create(name="Matrix grade", defaults={"order": 99})[0].pk}


def _unused_subject(school):
    return {"pk": Subject.objects.get_or_create(name="Matrix subject", defaults={"code": "MTX"})[0].pk}


def _enrollment(school):
    return {"pk": school.section.pk, "enrollment_pk": school.child.enrollments.get().pk}


SECTION = {"kwargs": lambda s: {"pk": s.section.pk}}

RULES = [
    Rule("academics:setup", expect=ADMIN_ONLY),
    Rule("academics:year_list", expect=ADMIN_ONLY),
    Rule("academics:year_create", expect=ADMIN_ONLY),
    Rule("academics:year_detail", kwargs=lambda s: {"pk": s.year.pk}, expect=ADMIN_ONLY),
    Rule("academics:year_edit", kwargs=lambda s: {"pk": s.year.pk}, expect=ADMIN_ONLY),
    Rule(
        "academics:year_set_current",
        method="post",
        kwargs=lambda s: {"pk": s.year.pk},
        expect=ADMIN_ONLY_POST,
    ),
    Rule("academics:term_create", kwargs=lambda s: {"year_pk": s.year.pk}, expect=ADMIN_ONLY),
    Rule("academics:term_edit", kwargs=lambda s: {"year_pk": s.year.pk, "pk": s.term.pk}, expect=ADMIN_ONLY),
    Rule("academics:gradelevel_list", expect=ADMIN_ONLY),
    Rule("academics:gradelevel_create", expect=ADMIN_ONLY),
    Rule("academics:gradelevel_edit", kwargs=lambda s: {"pk": s.section.grade_level_id}, expect=ADMIN_ONLY),
    Rule("academics:gradelevel_delete", method="post", kwargs=_unused_grade, expect=ADMIN_ONLY_POST),
    Rule("academics:subject_list", expect=ADMIN_ONLY),
    Rule("academics:subject_create", expect=ADMIN_ONLY),
    Rule("academics:subject_edit", kwargs=lambda s: {"pk": s.offering.subject_id}, expect=ADMIN_ONLY),
    Rule("academics:subject_delete", method="post", kwargs=_unused_subject, expect=ADMIN_ONLY_POST),
    Rule("academics:room_list", expect=ADMIN_ONLY),
    Rule("academics:room_create", expect=ADMIN_ONLY),
    Rule("academics:room_edit", kwargs=_room, expect=ADMIN_ONLY),
    Rule("academics:room_delete", method="post", kwargs=_room, expect=ADMIN_ONLY_POST),
    Rule("academics:period_list", expect=ADMIN_ONLY),
    Rule("academics:period_create", expect=ADMIN_ONLY),
    Rule("academics:period_edit", kwargs=lambda s: {"pk": _period(s).pk}, expect=ADMIN_ONLY),
    Rule("academics:section_list", expect=ADMIN_ONLY),
    Rule("academics:section_create", expect=ADMIN_ONLY),
    Rule("academics:section_roster", expect=ADMIN_ONLY, **SECTION),
    Rule("academics:section_edit", expect=ADMIN_ONLY, **SECTION),
    # Withdrawing ends the student's login: withdraw the student who has none, so the personas keep theirs.
    Rule(
        "academics:enrollment_withdraw",
        method="post",
        kwargs=lambda s: {"pk": s.other_section.pk, "enrollment_pk": s.other_child.enrollments.get().pk},
        expect=ADMIN_ONLY_POST,
    ),
    Rule(
        "academics:enrollment_move",
        method="post",
        kwargs=_enrollment,
        data=lambda s: {"section": s.other_section.pk},
        expect=ADMIN_ONLY_POST,
    ),
    Rule("academics:enrollment_list", expect=ADMIN_ONLY),
    Rule("academics:offering_list", expect=ADMIN_ONLY),
    Rule("academics:offering_create", expect=ADMIN_ONLY),
    Rule("academics:offering_edit", kwargs=lambda s: {"pk": s.offering.pk}, expect=ADMIN_ONLY),
    Rule("academics:calendar", expect=ADMIN_ONLY),
    Rule("academics:event_create", expect=ADMIN_ONLY),
    Rule("academics:event_edit", kwargs=_event, expect=ADMIN_ONLY),
    Rule("academics:event_delete", method="post", kwargs=_event, expect=ADMIN_ONLY_POST),
]
