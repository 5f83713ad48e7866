"""Readers at a classroom's door, through HTTP with a real reader key: a check-in marks the register of the
lesson in the reader's room at that time (made when the teacher has not opened it), present up to the lesson's
start, late after it, nothing after its end; the earliest check-in of each lesson stands; a double lesson runs
to its second period's end; a student not in the class, a time with no lesson in the room, and a grade that
takes daily registers are recorded with why, never refused; a teacher's mark is never changed."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse

from modules.attendance.devices import device_register
from modules.attendance.models import AttendanceRecord, DeviceEvent, GradeRegisterMode, Register
from modules.attendance.services import record_mark
from tests import factories as f
from tests.api.test_devices import at, outcomes, send

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rates():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def day(weekday) -> datetime.date:
    back = 3 if weekday.weekday() == 0 else 1
    return weekday - datetime.timedelta(days=back)


@pytest.fixture
def lab(school, day):
    """Room Lab 1: 7A's maths, first period (09:00–09:45) on the day's weekday, and a double of 7B's history
    (10:00–10:45, 10:45–11:30). Grade 7 takes a register per lesson."""
    GradeRegisterMode.objects.create(grade_level=school.section.grade_level, mode="lesson")
    room = f.RoomFactory(name="Lab 1")
    first = f.PeriodFactory(name="P1", order=1, start_time=datetime.time(9, 0), end_time=datetime.time(9, 45))
    second = f.PeriodFactory(
        name="P2", order=2, start_time=datetime.time(10, 0), end_time=datetime.time(10, 45)
    )
    f.PeriodFactory(name="P3", order=3, start_time=datetime.time(10, 45), end_time=datetime.time(11, 30))
    maths = f.LessonFactory(offering=school.offering, weekday=day.weekday(), period=first, room=room)
    history = f.LessonFactory(
        offering=school.other_offering, weekday=day.weekday(), period=second, room=room, length=2
    )
    school.child.card_number = "C-CHILD"
    school.child.save()
    school.other_child.card_number = "C-OTHER"
    school.other_child.save()
    return {"room": room, "maths": maths, "history": history, "first": first, "second": second}


@pytest.fixture
def door(admin, lab):
    return device_register(by=admin, name="Lab 1 door", room=lab["room"])


def test_a_classroom_reader_marks_the_lesson_in_its_room(client, door, lab, school, day):
    answer = send(
        client,
        door.key,
        {"id": "e1", "card": "C-CHILD", "at": at(day, 8, 55)},  # before the bell: present
        {"id": "e2", "card": "C-OTHER", "at": at(day, 10, 12)},  # 12 minutes into the double: late
        {"id": "e3", "card": "C-CHILD", "at": at(day, 10, 5)},  # 7A's child in 7B's history
        {"id": "e4", "card": "C-OTHER", "at": at(day, 12, 0)},  # nothing in the room at noon
    )
    assert outcomes(answer) == {"e1": "present", "e2": "late", "e3": "not_in_class", "e4": "no_lesson"}
    maths = Register.objects.get(offering=school.offering, date=day, period=lab["first"])
    history = Register.objects.get(offering=school.other_offering, date=day, period=lab["second"])
    assert (maths.kind, maths.state, history.state) == ("lesson", "in_progress", "in_progress")
    child = AttendanceRecord.objects.get(register=maths, student=school.child)
    other = AttendanceRecord.objects.get(register=history, student=school.other_child)
    assert (child.status, child.source) == ("present", "device")
    assert (other.status, other.late_minutes) == ("late", 12)
    assert not Register.objects.filter(kind="daily").exists()


def test_the_double_lesson_runs_to_its_second_period_and_nothing_counts_after_it(
    client, door, lab, school, day
):
    answer = send(
        client,
        door.key,
        {"id": "a", "card": "C-OTHER", "at": at(day, 11, 20)},  # in the second period: late, 80 minutes
        {"id": "b", "card": "C-OTHER", "at": at(day, 11, 40)},  # after the lesson's end: no lesson
    )
    assert outcomes(answer) == {"a": "late", "b": "no_lesson"}
    record = AttendanceRecord.objects.get(student=school.other_child)
    assert record.late_minutes == 80


def test_the_earliest_check_in_of_a_lesson_stands_and_a_persons_mark_is_kept(
    client, door, lab, school, day, admin
):
    assert outcomes(send(client, door.key, {"id": "late", "card": "C-CHILD", "at": at(day, 9, 20)})) == {
        "late": "late"
    }
    earlier = send(client, door.key, {"id": "early", "card": "C-CHILD", "at": at(day, 8, 58)})
    assert outcomes(earlier) == {"early": "present"}
    record = AttendanceRecord.objects.get(student=school.child)
    assert (record.status, record.late_minutes) == ("present", None)
    record_mark(register=record.register, student_id=school.child.pk, status="absent", by=admin)
    kept = send(client, door.key, {"id": "again", "card": "C-CHILD", "at": at(day, 8, 50)})
    assert outcomes(kept) == {"again": "person_mark"}
    assert AttendanceRecord.objects.get(student=school.child).status == "absent"


def test_a_grade_that_takes_daily_registers_is_listed(client, door, lab, school, day):
    GradeRegisterMode.objects.all().delete()
    answer = send(client, door.key, {"id": "d", "card": "C-CHILD", "at": at(day, 9, 0)})
    assert outcomes(answer) == {"d": "daily_registers"}
    assert not AttendanceRecord.objects.exists()
    assert DeviceEvent.objects.get().outcome == "daily_registers"


def test_the_office_registers_a_classroom_reader(as_user, admin, lab):
    page = as_user(admin).post(
        reverse("attendance:office_devices"), {"name": "Lab door", "room": lab["room"].pk}
    )
    assert page.status_code == 200
    assert "Lessons in Lab 1" in page.content.decode()
    both = as_user(admin).post(
        reverse("attendance:office_devices"),
        {"name": "Confused", "room": lab["room"].pk, "sections": [lab["maths"].offering.section_id]},
    )
    assert both.status_code == 400
    assert "choose a classroom or sections, not both" in both.content.decode()
