"""A small school for the cover tests (tests/timetable/test_cover*.py): four periods, a published timetable
in effect today, Tom Teach (the `teacher` persona) teaching Mathematics to 7A in period 1 and a double in
periods 3-4, and colleagues:

- Carla Cover teaches Mathematics to 8A in period 2: free in period 1, qualified;
- Dan Free teaches Art to 8A in periods 3-4: free in period 1 (not qualified), already covered once this term;
- Eve Busy teaches English to 8A in period 1: never free then;
- Olga Other (the `other_teacher` persona) teaches History to 7B in period 2: free in period 1.

Call `build(school, day)` with `day` a school day of the year (the `weekday` fixture).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from modules.academics.models import Period
from modules.accounts.groups import group_for
from modules.accounts.models import User
from modules.people.models import Position, Staff
from modules.timetable.models import Cover, Lesson, TeacherAbsence, Timetable, TimetableStatus
from tests import factories as f


@dataclass
class CoverSchool:
    day: datetime.date
    periods: list[Period]
    timetable: Timetable
    maths_7a: Lesson  # Tom, period 1
    maths_7a_double: Lesson  # Tom, periods 3-4
    history_7b: Lesson  # Olga, period 2
    carla: User
    dan: User
    eve: User


def teacher_user(email: str, first: str, last: str) -> User:
    user = f.UserFactory(email=email, first_name=first, last_name=last)
    f.StaffFactory(user=user, position=Position.TEACHER, first_name=first, last_name=last)
    user.groups.add(group_for(Position.TEACHER))
    return user


def lesson(timetable, offering, day, period, *, length=1, room=None) -> Lesson:
    return Lesson.objects.create(
        timetable=timetable,
        offering=offering,
        teacher=offering.teacher,
        weekday=day.weekday(),
        period=period,
        length=length,
        room=room,
    )


def build(school, day: datetime.date) -> CoverSchool:
    times = [(8, 0), (9, 0), (10, 0), (11, 0)]
    periods = [
        f.PeriodFactory(
            name=f"Period {n}", order=n, start_time=datetime.time(*t), end_time=datetime.time(t[0], 45)
        )
        for n, t in enumerate(times, start=1)
    ]
    timetable = Timetable.objects.create(
        year=school.year, name="Live", status=TimetableStatus.PUBLISHED, effective_from=school.year.start_date
    )
    carla = teacher_user("carla@school.test", "Carla", "Cover")
    dan = teacher_user("dan@school.test", "Dan", "Free")
    eve = teacher_user("eve@school.test", "Eve", "Busy")
    section_8a = f.SectionFactory(year=school.year, grade_level=school.section.grade_level, name="8A")
    maths = school.offering.subject
    maths_8a = f.CourseOfferingFactory(subject=maths, section=section_8a, teacher=carla.staff_profile)
    art_8a = f.CourseOfferingFactory(
        subject=f.SubjectFactory(name="Art", code="ART"), section=section_8a, teacher=dan.staff_profile
    )
    english_8a = f.CourseOfferingFactory(
        subject=f.SubjectFactory(name="English", code="ENG"), section=section_8a, teacher=eve.staff_profile
    )
    room = f.RoomFactory(name="Room 12")
    p1, p2, p3, _p4 = periods
    maths_7a = lesson(timetable, school.offering, day, p1, room=room)
    maths_7a_double = lesson(timetable, school.offering, day, p3, length=2)
    history_7b = lesson(timetable, school.other_offering, day, p2)
    lesson(timetable, maths_8a, day, p2)
    lesson(timetable, art_8a, day, p3, length=2)
    lesson(timetable, english_8a, day, p1)
    # Dan covered a lesson earlier this term (the same weekday a week before, or the year's first day).
    earlier = max(day - datetime.timedelta(days=7), school.year.start_date)
    away = TeacherAbsence.objects.create(staff=school.other_teacher_staff, date=earlier)
    Cover.objects.create(lesson=history_7b, date=earlier, absence=away, teacher=dan.staff_profile)
    return CoverSchool(
        day=day,
        periods=periods,
        timetable=timetable,
        maths_7a=maths_7a,
        maths_7a_double=maths_7a_double,
        history_7b=history_7b,
        carla=carla,
        dan=dan,
        eve=eve,
    )


def away(staff: Staff, day: datetime.date, *periods: Period) -> TeacherAbsence:
    absence = TeacherAbsence.objects.create(staff=staff, date=day)
    absence.periods.set(periods)
    return absence
