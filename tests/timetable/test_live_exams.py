"""The exam timetable's clash checks read the live timetable: an invigilator who teaches (or covers) a lesson
then, or a room with a lesson then, is refused; the sitting sections' own lessons are not a clash."""

from __future__ import annotations

import datetime

import pytest
from django.utils.formats import date_format

from modules.exams.models import ExamPeriod, ExamSlot
from modules.exams.schedule import ScheduleError, exam_slot_save
from modules.timetable.models import Cover, TeacherAbsence
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def period(school) -> ExamPeriod:
    start = school.term.start_date + datetime.timedelta(days=30)
    return ExamPeriod.objects.create(
        name="Midterms", term=school.term, start_date=start, end_date=start + datetime.timedelta(days=5)
    )


@pytest.fixture
def second(db):
    """Period 2, 09:20–10:05, after Period 1 (08:30–09:15)."""
    f.PeriodFactory(name="Period 1", order=1, start_time=datetime.time(8, 30), end_time=datetime.time(9, 15))
    return f.PeriodFactory(
        name="Period 2", order=2, start_time=datetime.time(9, 20), end_time=datetime.time(10, 5)
    )


def _save(school, period, admin, *, start=(9, 30), minutes=60, sections=None, room=None, invigilator=None):
    return exam_slot_save(
        period=period,
        slot=None,
        subject=school.offering.subject,
        sections=sections or [school.section],
        date=period.start_date,
        start_time=datetime.time(*start),
        duration_minutes=minutes,
        room=room,
        invigilator=invigilator,
        by=admin,
    )


def test_it_refuses_an_invigilator_who_teaches_then(school, period, second, admin):
    f.LessonFactory(offering=school.other_offering, period=second, weekday=period.start_date.weekday())
    with pytest.raises(ScheduleError) as refused:
        _save(school, period, admin, invigilator=school.other_teacher_staff)
    on = date_format(period.start_date, "MONTH_DAY_FORMAT")
    assert str(refused.value) == f"Olga Other teaches History (7B) from 09:20 to 10:05 on {on}."
    assert not ExamSlot.objects.exists()


def test_it_refuses_a_room_with_a_lesson_then(school, period, second, admin):
    lab = f.RoomFactory(name="Lab 1")
    f.LessonFactory(
        offering=school.other_offering, period=second, room=lab, weekday=period.start_date.weekday()
    )
    with pytest.raises(
        ScheduleError, match=r"Room Lab 1 has a lesson then: History \(7B\) from 09:20 to 10:05"
    ):
        _save(school, period, admin, room=lab)


def test_it_counts_a_double_lesson_to_the_end_of_its_second_period(school, period, second, admin):
    first = second.__class__.objects.get(order=1)
    f.LessonFactory(
        offering=school.other_offering, period=first, length=2, weekday=period.start_date.weekday()
    )
    with pytest.raises(ScheduleError, match="from 08:30 to 10:05"):
        _save(school, period, admin, start=(10, 0), minutes=30, invigilator=school.other_teacher_staff)


def test_it_lets_the_sitting_sections_teacher_invigilate_in_its_room(school, period, second, admin):
    room = f.RoomFactory(name="R7A")
    f.LessonFactory(offering=school.offering, period=second, room=room, weekday=period.start_date.weekday())
    slot = _save(school, period, admin, room=room, invigilator=school.teacher_staff)
    assert slot.invigilator == school.teacher_staff


def test_it_allows_lessons_at_other_times_days_or_in_drafts(school, period, second, admin):
    day = period.start_date.weekday()
    f.LessonFactory(offering=school.other_offering, period=second, weekday=(day + 1) % 7)
    draft = f.TimetableFactory(year=school.year, status="draft")
    f.LessonFactory(timetable=draft, offering=school.other_offering, period=second, weekday=day)
    _save(school, period, admin, invigilator=school.other_teacher_staff)
    f.LessonFactory(offering=school.other_offering, period=second, weekday=day)
    slot = _save(school, period, admin, start=(11, 0), minutes=30, invigilator=school.other_teacher_staff)
    assert slot.start_time == datetime.time(11, 0)


def test_it_follows_the_cover_of_the_day(school, period, second, admin):
    day = period.start_date
    lesson = f.LessonFactory(offering=school.other_offering, period=second, weekday=day.weekday())
    absence = TeacherAbsence.objects.create(staff=school.other_teacher_staff, date=day)
    Cover.objects.create(lesson=lesson, date=day, absence=absence, teacher=school.teacher_staff)
    # The absent teacher is free then (they might invigilate once back, say for the afternoon)...
    _save(school, period, admin, sections=[school.section], invigilator=school.other_teacher_staff)
    # ...and the covering teacher is not.
    with pytest.raises(ScheduleError, match=r"Tom Teach covers History \(7B\) from 09:20 to 10:05"):
        _save(school, period, admin, start=(9, 0), minutes=30, invigilator=school.teacher_staff)


def test_it_sees_no_lessons_on_a_closure(school, period, second, admin):
    day = period.start_date
    f.LessonFactory(offering=school.other_offering, period=second, weekday=day.weekday())
    f.CalendarEventFactory(kind="closure", start_date=day, end_date=day)
    _save(school, period, admin, invigilator=school.other_teacher_staff)
