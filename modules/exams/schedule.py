"""Exam periods and their timetable: writes (with the clash rules) and the reads for the office, staff and
families.

A clash is two exams on the same date whose time ranges intersect and that share a section, a room or an
invigilator; or an exam whose invigilator teaches (or covers) a lesson then, or whose room has a lesson
then, in the timetable in effect that day. The clash is refused with the other exam or the lesson named so
the office knows what to move.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from modules.academics.models import CalendarEvent, Enrollment, EnrollmentStatus, Room, Section, Subject, Term
from modules.accounts.models import Role, User
from modules.core.audit import audit_log
from modules.exams.models import ExamPeriod, ExamSlot
from modules.exams.services import GradeError
from modules.people.models import Staff, Student
from modules.timetable.models import Cover, Lesson, Requirement
from modules.timetable.selectors import teaching_periods


class ScheduleError(GradeError):
    """A timetable change refused; the message names what is wrong (and the clashing exam)."""


# ---------------------------------------------------------------------------------------------- times


def slot_end(date: datetime.date, start: datetime.time, minutes: int) -> datetime.time:
    return (datetime.datetime.combine(date, start) + datetime.timedelta(minutes=minutes)).time()


def _minutes(value: datetime.time) -> int:
    return value.hour * 60 + value.minute


def _overlaps(start_a: datetime.time, minutes_a: int, start_b: datetime.time, minutes_b: int) -> bool:
    a0, b0 = _minutes(start_a), _minutes(start_b)
    return a0 < b0 + minutes_b and b0 < a0 + minutes_a


def _when(slot: ExamSlot) -> dict[str, str]:
    return {
        "start": f"{slot.start_time:%H:%M}",
        "end": f"{slot_end(slot.date, slot.start_time, slot.duration_minutes):%H:%M}",
        "date": date_format(slot.date, "MONTH_DAY_FORMAT"),
    }


# ---------------------------------------------------------------------------------------------- periods


@transaction.atomic
def exam_period_save(
    *,
    period: ExamPeriod | None,
    name: str,
    term: Term,
    start_date: datetime.date,
    end_date: datetime.date,
    is_published: bool,
    by: User,
) -> ExamPeriod:
    """Create or change an exam period. Its days lie within its term, and its exams within its days."""
    if end_date < start_date:
        raise ScheduleError(_("The last day cannot be before the first day."))
    if start_date < term.start_date or end_date > term.end_date:
        raise ScheduleError(
            _("The exam period must lie within %(term)s (%(start)s – %(end)s).")
            % {
                "term": term.name,
                "start": date_format(term.start_date),
                "end": date_format(term.end_date),
            }
        )
    before = None
    if period is None:
        period = ExamPeriod()
    else:
        period = ExamPeriod.objects.select_for_update().get(pk=period.pk)
        before = {
            "name": period.name,
            "term": period.term_id,
            "start_date": str(period.start_date),
            "end_date": str(period.end_date),
            "is_published": period.is_published,
        }
        outside = period.slots.exclude(date__range=(start_date, end_date)).select_related("subject").first()
        if outside is not None:
            raise ScheduleError(
                _("%(subject)s on %(date)s would fall outside the new dates: move or delete it first.")
                % {"subject": outside.subject.name, "date": date_format(outside.date, "MONTH_DAY_FORMAT")}
            )
        if term.pk != period.term_id and period.slots.exclude(sections__year=term.year_id).exists():
            raise ScheduleError(_("Some exams are for sections of another year: the term cannot change."))
    period.name = name
    period.term = term
    period.start_date = start_date
    period.end_date = end_date
    period.is_published = is_published
    period.save()
    audit_log(
        actor=by,
        action="exam_period.save",
        obj=period,
        before=before,
        after={
            "name": name,
            "term": term.pk,
            "start_date": str(start_date),
            "end_date": str(end_date),
            "is_published": is_published,
        },
    )
    return period


# ---------------------------------------------------------------------------------------------- slots


def _clashes(
    *,
    slot_id: int | None,
    date: datetime.date,
    start_time: datetime.time,
    duration_minutes: int,
    sections: list[Section],
    room: Room | None,
    invigilator: Staff | None,
) -> list[str]:
    """Every clash with another exam of that day, as sentences naming the other exam."""
    others = (
        ExamSlot.objects.filter(date=date)
        .exclude(pk=slot_id)
        .select_related("subject", "room", "invigilator")
        .prefetch_related("sections")
    )
    section_ids = {section.pk for section in sections}
    messages: list[str] = []
    for other in others:
        if not _overlaps(start_time, duration_minutes, other.start_time, other.duration_minutes):
            continue
        other_sections = sorted(other.sections.all(), key=lambda s: s.name)
        names = ", ".join(s.name for s in other_sections)
        for section in other_sections:
            if section.pk in section_ids:
                messages.append(
                    _("%(section)s already sits %(subject)s from %(start)s to %(end)s on %(date)s.")
                    % {"section": section.name, "subject": other.subject.name, **_when(other)}
                )
        if room is not None and other.room_id == room.pk:
            messages.append(
                _(
                    "Room %(room)s is already booked for %(subject)s (%(sections)s) from %(start)s to %(end)s on %(date)s."  # noqa: E501
                )
                % {"room": room.name, "subject": other.subject.name, "sections": names, **_when(other)}
            )
        if invigilator is not None and other.invigilator_id == invigilator.pk:
            messages.append(
                _(
                    "%(person)s already invigilates %(subject)s (%(sections)s) from %(start)s to %(end)s on %(date)s."  # noqa: E501
                )
                % {
                    "person": invigilator.full_name,
                    "subject": other.subject.name,
                    "sections": names,
                    **_when(other),
                }
            )
    return messages


def _lesson_clashes(
    *,
    date: datetime.date,
    start_time: datetime.time,
    duration_minutes: int,
    sections: list[Section],
    room: Room | None,
    invigilator: Staff | None,
) -> list[str]:
    """Lessons of the timetable in effect that day (none on a closure) overlapping the exam that its
    invigilator teaches or covers, or that are in its room. The sitting sections' own lessons do not count:
    they sit the exam instead (so their teacher may invigilate it, in their own room)."""
    if room is None and invigilator is None:
        return []
    if CalendarEvent.objects.closures().on(date).exists():
        return []
    who = Q(room=room) if room is not None else Q()
    if invigilator is not None:
        who |= (
            Q(teacher=invigilator)
            | Q(offering__timetable_requirement__co_teachers=invigilator)
            | Q(covers__date=date, covers__teacher=invigilator)
        )
    lessons = list(
        Lesson.objects.in_effect_on(date)
        .filter(who)
        .exclude(offering__section__in=sections)
        .select_related("period", "room", "timetable__year", "offering__subject", "offering__section")
        .distinct()
    )
    covers = {
        cover.lesson_id: cover.teacher_id for cover in Cover.objects.filter(lesson__in=lessons, date=date)
    }
    co_taught: set[int] = set()
    if invigilator is not None and lessons:
        co_taught = set(
            Requirement.objects.filter(
                offering__in={lesson.offering_id for lesson in lessons}, co_teachers=invigilator
            ).values_list("offering_id", flat=True)
        )
    periods: dict[int, list] = {}
    messages: list[str] = []
    for lesson in sorted(lessons, key=lambda lesson: lesson.period.order):
        year = lesson.timetable.year
        if year.pk not in periods:
            periods[year.pk] = teaching_periods(year)
        end = lesson.period.end_time
        if lesson.length == 2:
            following = [p for p in periods[year.pk] if p.order > lesson.period.order]
            end = following[0].end_time if following else end
        minutes = _minutes(end) - _minutes(lesson.period.start_time)
        if not _overlaps(start_time, duration_minutes, lesson.period.start_time, minutes):
            continue
        when = {
            "subject": lesson.offering.subject.name,
            "section": lesson.offering.section.name,
            "start": f"{lesson.period.start_time:%H:%M}",
            "end": f"{end:%H:%M}",
            "date": date_format(date, "MONTH_DAY_FORMAT"),
        }
        if room is not None and lesson.room_id == room.pk:
            messages.append(
                _(
                    "Room %(room)s has a lesson then: %(subject)s (%(section)s) from %(start)s to %(end)s on %(date)s."  # noqa: E501
                )
                % {"room": room.name, **when}
            )
        if invigilator is None:
            continue
        covered_by = covers.get(lesson.pk)
        if covered_by == invigilator.pk:
            messages.append(
                _("%(person)s covers %(subject)s (%(section)s) from %(start)s to %(end)s on %(date)s.")
                % {"person": invigilator.full_name, **when}
            )
        elif covered_by is None and (lesson.teacher_id == invigilator.pk or lesson.offering_id in co_taught):
            messages.append(
                _("%(person)s teaches %(subject)s (%(section)s) from %(start)s to %(end)s on %(date)s.")
                % {"person": invigilator.full_name, **when}
            )
    return messages


@transaction.atomic
def exam_slot_save(
    *,
    period: ExamPeriod,
    slot: ExamSlot | None,
    subject: Subject,
    sections: Iterable[Section],
    date: datetime.date,
    start_time: datetime.time,
    duration_minutes: int,
    room: Room | None,
    invigilator: Staff | None,
    by: User,
) -> ExamSlot:
    """Add or change one exam of a period. Refused as a whole (nothing written) when a rule is broken or it
    clashes with another exam; the message names the clash."""
    # One timetable change at a time per period: two office staff cannot book the same room at once.
    period = ExamPeriod.objects.select_for_update(of=("self",)).select_related("term").get(pk=period.pk)
    sections = list(sections)
    if not sections:
        raise ScheduleError(_("Choose at least one section."))
    wrong_year = [s.name for s in sections if s.year_id != period.term.year_id]
    if wrong_year:
        raise ScheduleError(
            _("%(sections)s is not a section of this term's year.") % {"sections": ", ".join(wrong_year)}
        )
    if not period.start_date <= date <= period.end_date:
        raise ScheduleError(
            _("The date must be within the exam period (%(start)s – %(end)s).")
            % {"start": date_format(period.start_date), "end": date_format(period.end_date)}
        )
    if not 10 <= duration_minutes <= 360:
        raise ScheduleError(_("An exam lasts from 10 to 360 minutes."))
    if slot_end(date, start_time, duration_minutes) <= start_time:
        raise ScheduleError(_("The exam must end on the day it starts."))
    if invigilator is not None and not invigilator.is_active:
        raise ScheduleError(_("%(person)s is not an active member of staff.") % {"person": invigilator})
    clashes = _clashes(
        slot_id=slot.pk if slot else None,
        date=date,
        start_time=start_time,
        duration_minutes=duration_minutes,
        sections=sections,
        room=room,
        invigilator=invigilator,
    )
    clashes += _lesson_clashes(
        date=date,
        start_time=start_time,
        duration_minutes=duration_minutes,
        sections=sections,
        room=room,
        invigilator=invigilator,
    )
    if clashes:
        raise ScheduleError(" ".join(clashes))
    before = None
    if slot is None:
        slot = ExamSlot(period=period)
    else:
        # A bound ModelForm has already changed the instance in memory: audit what the database holds.
        slot = ExamSlot.objects.select_for_update().get(pk=slot.pk)
        if slot.period_id != period.pk:
            raise ScheduleError(_("This exam belongs to another exam period."))
        before = _slot_state(slot)
    slot.subject = subject
    slot.date = date
    slot.start_time = start_time
    slot.duration_minutes = duration_minutes
    slot.room = room
    slot.invigilator = invigilator
    slot.save()
    slot.sections.set(sections)
    audit_log(actor=by, action="exam_slot.save", obj=slot, before=before, after=_slot_state(slot))
    return slot


def _slot_state(slot: ExamSlot) -> dict:
    return {
        "subject": slot.subject_id,
        "sections": sorted(slot.sections.values_list("pk", flat=True)),
        "date": str(slot.date),
        "start_time": f"{slot.start_time:%H:%M}",
        "duration_minutes": slot.duration_minutes,
        "room": slot.room_id,
        "invigilator": slot.invigilator_id,
    }


@transaction.atomic
def exam_slot_delete(*, slot: ExamSlot, by: User) -> None:
    audit_log(actor=by, action="exam_slot.delete", obj=slot, before=_slot_state(slot))
    slot.delete()


# ---------------------------------------------------------------------------------------------- reads


def periods_visible_to(user) -> QuerySet[ExamPeriod]:
    """The office sees every exam period; other staff only published ones."""
    periods = ExamPeriod.objects.select_related("term__year")
    if Role.ADMINISTRATOR in user.roles:
        return periods
    return periods.filter(is_published=True)


def period_slots(
    period: ExamPeriod,
    *,
    section: Section | None = None,
    room: Room | None = None,
    invigilator: Staff | None = None,
) -> list[ExamSlot]:
    slots = period.slots.select_related("subject", "room", "invigilator").prefetch_related(
        Prefetch("sections", queryset=Section.objects.order_by("name"))
    )
    if section is not None:
        slots = slots.filter(sections=section)
    if room is not None:
        slots = slots.filter(room=room)
    if invigilator is not None:
        slots = slots.filter(invigilator=invigilator)
    return list(slots.order_by("date", "start_time", "subject__name"))


def timetable_students(user) -> QuerySet[Student]:
    """Whose exam timetable this login may see: themself (a student) and linked children (a guardian)."""
    roles = user.roles
    students = Student.objects.none()
    if Role.STUDENT in roles:
        students |= Student.objects.filter(user=user)
    if Role.GUARDIAN in roles:
        students |= Student.objects.filter(guardian_links__guardian__user=user)
    return students.distinct().order_by("first_name", "last_name")


@dataclass
class ChildTimetable:
    student: Student
    sections: list[Section] = field(default_factory=list)
    slots: list[ExamSlot] = field(default_factory=list)


def family_timetables(students: Iterable[Student]) -> list[ChildTimetable]:
    """Each student's exams of published periods, for the sections they are actively enrolled in."""
    students = list(students)
    enrollments = Enrollment.objects.filter(
        student__in=students, status=EnrollmentStatus.ACTIVE
    ).select_related("section")
    sections_of: dict[int, list[Section]] = {}
    for enrollment in enrollments:
        sections_of.setdefault(enrollment.student_id, []).append(enrollment.section)
    all_sections = {s.pk for sections in sections_of.values() for s in sections}
    slots = list(
        ExamSlot.objects.filter(period__is_published=True, sections__in=all_sections)
        .distinct()
        .select_related("subject", "room", "period")
        .prefetch_related(Prefetch("sections", queryset=Section.objects.order_by("name")))
        .order_by("date", "start_time", "subject__name")
    )
    result = []
    for student in students:
        sections = sections_of.get(student.pk, [])
        ids = {s.pk for s in sections}
        mine = [slot for slot in slots if any(s.pk in ids for s in slot.sections.all())]
        result.append(ChildTimetable(student=student, sections=sections, slots=mine))
    return result
