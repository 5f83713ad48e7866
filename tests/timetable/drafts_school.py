"""A small school with its timetable requirements, for the tests of generating, editing and publishing
(part G): the conftest school's 7A and 7B, four periods a day Monday to Friday, two rooms.

Maths 7A (teacher): 4 periods, one of them a double → 3 lessons; English 7A (other teacher): 2 lessons;
History 7B (other teacher): 3 lessons; Science 7B (teacher): 2 lessons. Eight lessons for each teacher."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from modules.academics.models import CourseOffering, Period, Room
from modules.timetable.models import Lesson, Requirement, Timetable, TimetableSettings, TimetableStatus
from tests import factories as f


@dataclass
class SmallSchool:
    periods: list[Period]
    rooms: list[Room]
    maths: CourseOffering
    english: CourseOffering
    history: CourseOffering
    science: CourseOffering

    @property
    def lesson_count(self) -> int:
        return 3 + 2 + 3 + 2


def small_school(school) -> SmallSchool:
    periods = [
        f.PeriodFactory(
            name=f"P{n}",
            order=n,
            start_time=datetime.time(8 + n, 0),
            end_time=datetime.time(8 + n, 45),
        )
        for n in range(1, 5)
    ]
    rooms = [f.RoomFactory(name="Room 1", capacity=30), f.RoomFactory(name="Room 2", capacity=30)]
    TimetableSettings.objects.create(year=school.year, time_limit_seconds=10)
    english = f.CourseOfferingFactory(
        subject=f.SubjectFactory(name="English", code="ENG"),
        section=school.section,
        teacher=school.other_teacher_staff,
    )
    science = f.CourseOfferingFactory(
        subject=f.SubjectFactory(name="Science", code="SCI"),
        section=school.other_section,
        teacher=school.teacher_staff,
    )
    Requirement.objects.create(offering=school.offering, periods_per_week=4, double_lessons=1)
    Requirement.objects.create(offering=english, periods_per_week=2)
    Requirement.objects.create(offering=school.other_offering, periods_per_week=3)
    Requirement.objects.create(offering=science, periods_per_week=2)
    return SmallSchool(
        periods=periods,
        rooms=rooms,
        maths=school.offering,
        english=english,
        history=school.other_offering,
        science=science,
    )


@dataclass
class Draft:
    small: SmallSchool
    timetable: Timetable
    maths: Lesson  # 7A, teacher, Monday P1, Room 1
    english: Lesson  # 7A, other teacher, Monday P2, Room 1
    history: Lesson  # 7B, other teacher, Monday P1, Room 2
    science: Lesson  # 7B, teacher, Monday P2, Room 2


def hand_made_draft(school, *, status: str = TimetableStatus.DRAFT, name: str = "Draft A") -> Draft:
    """The small school's requirements with a draft holding one lesson of each class on Monday (made by
    hand, not by the solver, so that tests know where everything is)."""
    small = small_school(school)
    return lessons_draft(school, small, status=status, name=name)


def lessons_draft(
    school, small: SmallSchool, *, status: str = TimetableStatus.DRAFT, name: str = "Draft A"
) -> Draft:
    timetable = Timetable.objects.create(year=school.year, name=name, status=status)
    p1, p2 = small.periods[0], small.periods[1]
    room1, room2 = small.rooms

    def lesson(offering, period, room):
        return Lesson.objects.create(
            timetable=timetable,
            offering=offering,
            teacher=offering.teacher,
            weekday=0,
            period=period,
            room=room,
        )

    return Draft(
        small=small,
        timetable=timetable,
        maths=lesson(small.maths, p1, room1),
        english=lesson(small.english, p2, room1),
        history=lesson(small.history, p1, room2),
        science=lesson(small.science, p2, room2),
    )
