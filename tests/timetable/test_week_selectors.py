"""The week grid and a teacher's lessons of a day (modules/timetable/selectors.py)."""

from __future__ import annotations

import datetime

from modules.timetable import selectors
from modules.timetable.models import Cover, Lesson, TeacherAbsence, Timetable, TimetableStatus
from tests import factories as f
from tests.timetable.week_fixtures import *  # noqa: F403


def _subjects(slot):
    return [lesson.offering.subject.name for lesson in slot.lessons]


def test_it_lays_a_section_week_out_by_period_and_day(school, live):
    grid = selectors.week_for_section(school.section, live.monday + datetime.timedelta(days=3))
    assert grid.monday == live.monday
    assert [day.weekday for day in grid.days] == [0, 1, 2, 3, 4]
    assert [period.name for period in grid.periods] == ["P1", "P2", "P3"]
    monday, _tuesday, wednesday = grid.days[:3]
    assert _subjects(monday.slots[0]) == ["Mathematics"]
    assert _subjects(wednesday.slots[1]) == ["Mathematics"]
    assert [lesson.pk for lesson in wednesday.slots[2].continued] == [live.maths_double.pk]
    assert wednesday.slots[1].lessons[0].room.name == "Lab 1"
    assert grid.lesson_count == 2


def test_it_leaves_out_lessons_on_a_holiday(school, live):
    wednesday = live.monday + datetime.timedelta(days=2)
    f.CalendarEventFactory(name="Founders' Day", start_date=wednesday, end_date=wednesday)
    grid = selectors.week_for_section(school.section, live.monday)
    assert grid.days[2].closure.name == "Founders' Day"
    assert grid.days[2].lessons == []
    assert grid.lesson_count == 1


def test_it_shows_the_timetable_in_effect_each_day(school, live):
    thursday = live.monday + datetime.timedelta(days=3)
    live.timetable.effective_until = thursday - datetime.timedelta(days=1)
    live.timetable.save()
    spring = Timetable.objects.create(
        year=school.year, name="Spring", status=TimetableStatus.PUBLISHED, effective_from=thursday
    )
    Lesson.objects.create(
        timetable=spring,
        offering=school.offering,
        teacher=school.teacher_staff,
        weekday=0,
        period=live.periods[2],
    )
    Lesson.objects.create(
        timetable=spring,
        offering=school.offering,
        teacher=school.teacher_staff,
        weekday=4,
        period=live.periods[2],
    )
    this_week = selectors.week_for_section(school.section, live.monday)
    assert _subjects(this_week.days[0].slots[0]) == ["Mathematics"]
    assert this_week.days[0].slots[2].empty
    assert _subjects(this_week.days[4].slots[2]) == ["Mathematics"]
    next_week = selectors.week_for_section(school.section, live.monday + datetime.timedelta(days=7))
    assert next_week.days[0].slots[0].empty
    assert _subjects(next_week.days[0].slots[2]) == ["Mathematics"]


def test_it_gives_a_student_their_section_and_a_room_its_lessons(school, live):
    student_week = selectors.week_for_student(school.child, live.monday)
    assert _subjects(student_week.days[0].slots[0]) == ["Mathematics"]
    room_week = selectors.week_for_room(live.lab, live.monday)
    assert [lesson.offering.section.name for lesson in room_week.days[0].slots[0].lessons] == ["7B"]
    assert _subjects(room_week.days[2].slots[1]) == ["Mathematics"]


def test_it_counts_a_fixed_number_of_queries(school, live, django_assert_num_queries):
    with django_assert_num_queries(6):
        selectors.week_for_section(school.section, live.monday)


def test_it_gives_a_teacher_their_lessons_and_the_ones_they_cover(school, live, teacher, other_teacher):
    monday = live.monday
    absence = TeacherAbsence.objects.create(staff=school.other_teacher_staff, date=monday)
    Cover.objects.create(
        lesson=live.history_monday, date=monday, absence=absence, teacher=school.teacher_staff
    )
    # Both at P1: the teacher's own lesson and the cover (the cover part decides clashes, not this read).
    mine = selectors.teacher_lessons_on(teacher, monday)
    assert [(lesson.offering.subject.name, lesson.cover is not None) for lesson in mine] == [
        ("Mathematics", False),
        ("History", True),
    ]
    assert selectors.teacher_lessons_on(other_teacher, monday) == []
    tuesday = [
        lesson.pk
        for lesson in selectors.teacher_lessons_on(other_teacher, monday + datetime.timedelta(days=1))
    ]
    assert tuesday == [live.history_tuesday.pk]
    week = selectors.week_for_teacher(school.teacher_staff, monday)
    assert sorted(_subjects(week.days[0].slots[0])) == ["History", "Mathematics"]
    next_week = selectors.week_for_teacher(school.teacher_staff, monday + datetime.timedelta(days=7))
    assert _subjects(next_week.days[0].slots[0]) == ["Mathematics"]


def test_it_has_no_lessons_for_a_teacher_on_a_closure(school, live, teacher):
    f.CalendarEventFactory(kind="closure", start_date=live.monday, end_date=live.monday)
    assert selectors.teacher_lessons_on(teacher, live.monday) == []


def test_it_counts_a_co_teacher(school, live, other_teacher):
    from modules.timetable.models import Requirement

    requirement = Requirement.objects.create(offering=school.offering, periods_per_week=3, double_lessons=1)
    requirement.co_teachers.add(school.other_teacher_staff)
    lessons = selectors.teacher_lessons_on(school.other_teacher_staff, live.monday)
    assert sorted(lesson.offering.subject.name for lesson in lessons) == ["History", "Mathematics"]
    grid = selectors.week_for_section(school.section, live.monday)
    assert [t.full_name for t in grid.days[0].slots[0].lessons[0].teachers] == [
        school.teacher_staff.full_name,
        school.other_teacher_staff.full_name,
    ]
