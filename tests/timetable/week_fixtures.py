"""A published timetable for the conftest school (part W's tests): 7A has Mathematics (the teacher) on
Monday P1, a double on Wednesday P2–P3 in the lab; 7B has History (the other teacher) Monday P1 and
Tuesday P2. Import the fixtures into a test module with `from tests.timetable.week_fixtures import *`."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest

from modules.academics.models import Period, Room
from modules.timetable.models import Lesson, Timetable, TimetableStatus
from tests import factories as f


@dataclass
class Live:
    timetable: Timetable
    periods: list[Period]
    lab: Room
    room: Room
    maths_monday: Lesson
    maths_double: Lesson
    history_monday: Lesson
    history_tuesday: Lesson
    monday: datetime.date


def term_monday(school) -> datetime.date:
    """A Monday well inside the year (its third week), so the whole week is in term."""
    start = school.year.start_date + datetime.timedelta(days=14)
    return start - datetime.timedelta(days=start.weekday())


@pytest.fixture
def live(school) -> Live:
    periods = [
        f.PeriodFactory(
            name=f"P{n}", order=n, start_time=datetime.time(7 + n), end_time=datetime.time(7 + n, 45)
        )
        for n in (1, 2, 3)
    ]
    lab = f.RoomFactory(name="Lab 1")
    room = f.RoomFactory(name="Room 12")
    timetable = Timetable.objects.create(
        year=school.year,
        name="Autumn",
        status=TimetableStatus.PUBLISHED,
        effective_from=school.year.start_date,
    )
    p1, p2, _p3 = periods

    def lesson(offering, weekday, period, room, length=1):
        return Lesson.objects.create(
            timetable=timetable,
            offering=offering,
            teacher=offering.teacher,
            weekday=weekday,
            period=period,
            room=room,
            length=length,
        )

    return Live(
        timetable=timetable,
        periods=periods,
        lab=lab,
        room=room,
        maths_monday=lesson(school.offering, 0, p1, room),
        maths_double=lesson(school.offering, 2, p2, lab, length=2),
        history_monday=lesson(school.other_offering, 0, p1, lab),
        history_tuesday=lesson(school.other_offering, 1, p2, room),
        monday=term_monday(school),
    )
