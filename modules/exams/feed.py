"""Exam sittings in the personal calendar feed (modules/timetable/feeds.py), registered by
ExamsConfig.ready(): a student's and each child's exams of published exam periods, and the sittings a
teacher invigilates."""

from __future__ import annotations

import datetime

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from modules.academics.models import Enrollment, EnrollmentStatus, Section
from modules.accounts.models import Role
from modules.exams.models import ExamSlot
from modules.exams.schedule import slot_end
from modules.people.models import Student
from modules.timetable.feeds import FeedEvent, school_zone


def exam_feed_events(user, start: datetime.date, end: datetime.date) -> list[FeedEvent]:
    roles = user.roles
    slots = ExamSlot.objects.filter(period__is_published=True, date__range=(start, end)).select_related(
        "subject", "room", "invigilator"
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
    if students:
        sections: dict[int, set[int]] = {}
        for student_id, section_id in Enrollment.objects.filter(
            student__in=[student for student, _prefix in students], status=EnrollmentStatus.ACTIVE
        ).values_list("student_id", "section_id"):
            sections.setdefault(student_id, set()).add(section_id)
        wanted = {section for ids in sections.values() for section in ids}
        family_slots = list(
            slots.filter(sections__in=wanted)
            .distinct()
            .prefetch_related(Prefetch("sections", queryset=Section.objects.only("pk")))
        )
        for student, prefix in students:
            mine = sections.get(student.pk, set())
            for slot in family_slots:
                if any(section.pk in mine for section in slot.sections.all()):
                    events.append(_event(slot, f"s{student.pk}", prefix + _("Exam: %(subject)s")))
    if Role.TEACHER in roles:
        for slot in slots.filter(invigilator__user=user):
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
