"""Exam sittings in the personal calendar feed (modules/timetable/feeds.py), registered by
ExamsConfig.ready(): a student's and each child's exams of published exam periods, and the sittings a
teacher invigilates. One read of the sittings (and one of their sections) whoever the feed is for."""

from __future__ import annotations

import datetime

from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _

from modules.academics.models import Section
from modules.accounts.models import Role
from modules.exams.models import ExamSlot
from modules.exams.schedule import slot_end
from modules.timetable.feeds import FeedEvent, feed_students, school_zone


def exam_feed_events(user, start: datetime.date, end: datetime.date) -> list[FeedEvent]:
    students = feed_students(user)
    wanted = frozenset().union(*(one.sections for one in students))
    invigilates = Role.TEACHER in user.roles
    which = []
    if wanted:
        which.append(Q(sections__in=wanted))
    if invigilates:
        which.append(Q(invigilator__user=user))
    if not which:
        return []
    slots = ExamSlot.objects.filter(
        which[0] if len(which) == 1 else which[0] | which[1],
        period__is_published=True,
        date__range=(start, end),
    ).select_related("subject", "room", "invigilator")
    if wanted:
        slots = slots.distinct().prefetch_related(Prefetch("sections", queryset=Section.objects.only("pk")))
    events: list[FeedEvent] = []
    for slot in slots:
        if wanted:
            sections = {section.pk for section in slot.sections.all()}
            for one in students:
                if one.sections & sections:
                    events.append(_event(slot, f"s{one.student.pk}", one.prefix + _("Exam: %(subject)s")))
        if invigilates and slot.invigilator is not None and slot.invigilator.user_id == user.pk:
            events.append(_event(slot, "i", _("Invigilating: %(subject)s")))
    return events


def _event(slot: ExamSlot, key: str, summary: str) -> FeedEvent:
    zone = school_zone()
    ends = slot_end(slot.date, slot.start_time, slot.duration_minutes)
    return FeedEvent(
        uid=f"exam-{slot.pk}-{key}",
        summary=summary % {"subject": slot.subject.name},
        start=datetime.datetime.combine(slot.date, slot.start_time, tzinfo=zone),
        end=datetime.datetime.combine(slot.date, ends, tzinfo=zone),
        location=slot.room.name if slot.room else "",
        description=_("%(minutes)s minutes") % {"minutes": slot.duration_minutes},
    )
