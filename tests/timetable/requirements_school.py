"""The conftest school's week for the requirements tests (part R): Monday to Friday, five periods a day
(25 teaching periods), one classroom for 30 and a laboratory for 20."""

from __future__ import annotations

import datetime

from modules.academics.models import Period, Room, RoomType
from modules.timetable.models import TimetableSettings
from tests import factories as f


def school_week(school, *, periods: int = 5) -> list[Period]:
    found = [
        f.PeriodFactory(
            name=f"P{n}", order=n, start_time=datetime.time(7 + n, 0), end_time=datetime.time(7 + n, 45)
        )
        for n in range(1, periods + 1)
    ]
    TimetableSettings.objects.create(year=school.year)
    return found


def lab_and_classroom() -> tuple[RoomType, Room, Room]:
    lab = RoomType.objects.create(name="Laboratory")
    classroom = f.RoomFactory(name="Room 1", capacity=30)
    laboratory = f.RoomFactory(name="Lab 1", capacity=20, room_type=lab)
    return lab, classroom, laboratory
