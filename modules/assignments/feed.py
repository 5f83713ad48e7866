"""Homework due dates in the personal calendar feed (modules/timetable/feeds.py), registered by
AssignmentsConfig.ready(): a student's and each child's published homework, and a teacher's own classes'
published homework, each at its due time. One read of the homework whoever the feed is for."""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.assignments.models import Assignment
from modules.timetable.feeds import FeedEvent, feed_staff, feed_students, school_zone


def homework_feed_events(user, start: datetime.date, end: datetime.date) -> list[FeedEvent]:
    zone = school_zone()
    window = (
        datetime.datetime.combine(start, datetime.time(), tzinfo=zone),
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time(), tzinfo=zone),
    )
    students = feed_students(user)
    wanted = frozenset().union(*(one.sections for one in students))
    staff = feed_staff(user)
    which = []
    if wanted:
        which.append(Q(offering__section_id__in=wanted))
    if staff is not None:
        which.append(Q(offering__teacher=staff))
    if not which:
        return []
    published = (
        Assignment.objects.published()
        .filter(which[0] if len(which) == 1 else which[0] | which[1])
        .filter(due_at__gte=window[0], due_at__lt=window[1])
        .select_related("offering__subject")
    )
    events: list[FeedEvent] = []
    for assignment in published:
        for one in students:
            if assignment.offering.section_id in one.sections:
                events.append(_event(assignment, f"s{one.student.pk}", one.prefix, zone))
        if staff is not None and assignment.offering.teacher_id == staff.pk:
            events.append(_event(assignment, "t", "", zone))
    return events


def _event(assignment: Assignment, key: str, prefix: str, zone) -> FeedEvent:
    due = timezone.localtime(assignment.due_at, zone)
    return FeedEvent(
        uid=f"homework-{assignment.pk}-{key}",
        summary=prefix
        + _("Homework due: %(title)s (%(subject)s)")
        % {"title": assignment.title, "subject": assignment.offering.subject.name},
        start=due,
        end=due,
    )
