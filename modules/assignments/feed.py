"""Homework due dates in the personal calendar feed (modules/timetable/feeds.py), registered by
AssignmentsConfig.ready(): a student's and each child's published homework, and a teacher's own classes'
published homework, each at its due time."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from modules.academics.models import EnrollmentStatus
from modules.accounts.models import Role
from modules.assignments.models import Assignment
from modules.people.models import Student
from modules.timetable.feeds import FeedEvent, school_zone


def homework_feed_events(user, start: datetime.date, end: datetime.date) -> list[FeedEvent]:
    roles = user.roles
    zone = school_zone()
    window = (
        datetime.datetime.combine(start, datetime.time(), tzinfo=zone),
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time(), tzinfo=zone),
    )
    published = (
        Assignment.objects.published()
        .filter(due_at__gte=window[0], due_at__lt=window[1])
        .select_related("offering__subject")
    )
    events: list[FeedEvent] = []
    students: list[tuple[Student, str]] = []
    if Role.STUDENT in roles:
        students += [(student, "") for student in Student.objects.filter(user=user)]
    if Role.GUARDIAN in roles:
        students += [
            (child, f"{child.first_name}: ")
            for child in Student.objects.filter(guardian_links__guardian__user=user).distinct()
        ]
    for student, prefix in students:
        for assignment in published.filter(
            offering__section__enrollments__student=student,
            offering__section__enrollments__status=EnrollmentStatus.ACTIVE,
        ).distinct():
            events.append(_event(assignment, f"s{student.pk}", prefix, zone))
    if Role.TEACHER in roles:
        for assignment in published.filter(offering__teacher__user=user):
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
