"""The problem read from the office's requirements (problem_build), and solved end to end from the database:
rooms by kind and size, the section's own room, co-teachers and candidates, pins, teachers' and rooms'
unavailable periods and limits, the school week of the settings, locked lessons kept."""

from __future__ import annotations

import datetime

from modules.academics.models import RoomType
from modules.timetable.checker import check
from modules.timetable.models import (
    JointLesson,
    Lesson,
    Pin,
    Requirement,
    TeacherLimit,
    Timetable,
    TimetableSettings,
    Unavailability,
)
from modules.timetable.problem import Placement, problem_build
from modules.timetable.solver import solve
from tests import factories as f


def _periods(count: int):
    return [
        f.PeriodFactory(
            name=f"P{n}", order=n, start_time=datetime.time(8 + n), end_time=datetime.time(8 + n, 45)
        )
        for n in range(1, count + 1)
    ]


def test_it_reads_each_classs_requirement(school):
    periods = _periods(5)
    settings = TimetableSettings.objects.create(year=school.year, weekdays=[0, 2, 4], weight_spread=9)
    settings.periods.set(periods[:4])
    lab = RoomType.objects.create(name="Laboratory")
    small_lab = f.RoomFactory(name="Lab S", capacity=1, room_type=lab)
    big_lab = f.RoomFactory(name="Lab B", capacity=40, room_type=lab)
    any_lab = f.RoomFactory(name="Lab X", capacity=None, room_type=lab)
    own = f.RoomFactory(name="7A room", capacity=30)
    school.section.room = own
    school.section.save()
    f.EnrollmentFactory(student=f.StudentFactory(admission_number="A-0100"), section=school.section)
    maths = Requirement.objects.create(
        offering=school.offering, periods_per_week=5, double_lessons=1, prefer_early=True
    )
    maths.co_teachers.add(school.other_teacher_staff)
    Pin.objects.create(requirement=maths, weekday=2, period=periods[1], double=True)
    science = Requirement.objects.create(
        offering=f.CourseOfferingFactory(
            subject=f.SubjectFactory(name="Science"), section=school.section, teacher=None
        ),
        periods_per_week=2,
        room_type=lab,
    )
    science.candidate_teachers.add(school.teacher_staff, school.other_teacher_staff)
    history = Requirement.objects.create(offering=school.other_offering, periods_per_week=3, room=big_lab)
    TeacherLimit.objects.create(
        year=school.year, staff=school.teacher_staff, max_periods_per_day=3, preferred_free_day=4
    )
    Unavailability.objects.create(year=school.year, staff=school.teacher_staff, weekday=0, period=periods[0])
    Unavailability.objects.create(
        year=school.year, staff=school.teacher_staff, weekday=0, period=periods[4]
    )  # not taught
    Unavailability.objects.create(year=school.year, room=big_lab, weekday=2, period=periods[3])

    problem = problem_build(year=school.year)

    assert problem.weekdays == (0, 2, 4)
    assert problem.periods == tuple(p.pk for p in periods[:4])
    assert problem.weights == {"gaps": 3, "spread": 9, "early": 2, "free_day": 4}
    by_id = {c.requirement_id: c for c in problem.classes}
    m = by_id[maths.pk]
    assert (m.label, m.singles, m.doubles, m.prefer_early) == ("7A Mathematics", 3, 1, True)
    assert m.teachers == (school.teacher_staff.pk, school.other_teacher_staff.pk)
    assert m.rooms == (own.pk,)
    assert m.pins == ((2, periods[1].pk, True),)
    s = by_id[science.pk]
    assert s.teachers == ()
    assert s.candidates == tuple(sorted([school.teacher_staff.pk, school.other_teacher_staff.pk]))
    # Two students in 7A: the one-seat lab is too small.
    assert set(s.rooms) == {big_lab.pk, any_lab.pk}
    assert small_lab.pk not in s.rooms
    assert by_id[history.pk].rooms == (big_lab.pk,)
    assert problem.teacher_unavailable == {school.teacher_staff.pk: {(0, periods[0].pk)}}
    assert problem.room_unavailable == {big_lab.pk: {(2, periods[3].pk)}}
    assert problem.teacher_max_per_day == {school.teacher_staff.pk: 3}
    assert problem.teacher_free_day == {school.teacher_staff.pk: 4}
    assert problem.names["teacher"][school.teacher_staff.pk] == school.teacher_staff.full_name
    assert problem.names["room_type"][lab.pk] == "Laboratory"


def test_it_says_no_room_fits_when_every_room_of_the_kind_is_too_small(school):
    _periods(4)
    gym = RoomType.objects.create(name="Gym")
    f.RoomFactory(name="Small gym", capacity=0, room_type=gym)
    pe = Requirement.objects.create(offering=school.offering, periods_per_week=2, room_type=gym)

    problem = problem_build(year=school.year)
    solution = solve(problem, time_limit=10)

    assert problem.classes[0].room_missing is True
    assert solution.outcome == "infeasible"
    assert solution.conflicts == [
        {"code": "no_room", "params": {"class": "7A Mathematics", "class_id": pe.pk}}
    ]


def test_it_generates_a_timetable_that_keeps_every_rule_from_the_database(school):
    periods = _periods(4)
    rooms = [f.RoomFactory(name="Room 1", capacity=30), f.RoomFactory(name="Room 2", capacity=30)]
    TimetableSettings.objects.create(year=school.year)
    joint = JointLesson.objects.create(year=school.year, name="PE 7A+7B")
    for section in (school.section, school.other_section):
        Requirement.objects.create(
            offering=f.CourseOfferingFactory(
                subject=f.SubjectFactory(name="PE"), section=section, teacher=school.teacher_staff
            ),
            periods_per_week=2,
            double_lessons=1,
            joint=joint,
        )
    Requirement.objects.create(offering=school.offering, periods_per_week=5, double_lessons=1)
    Requirement.objects.create(offering=school.other_offering, periods_per_week=4)
    Unavailability.objects.create(
        year=school.year, staff=school.other_teacher_staff, weekday=0, period=periods[0]
    )

    problem = problem_build(year=school.year)
    solution = solve(problem, time_limit=10)

    assert solution.outcome == "complete"
    assert check(problem, solution.placements) == []
    assert len(solution.placements) == 1 + 1 + 4 + 4
    assert all(p.room_id in {r.pk for r in rooms} for p in solution.placements)


def test_it_keeps_locked_lessons_of_the_draft_being_generated_again(school):
    periods = _periods(4)
    TimetableSettings.objects.create(year=school.year)
    Requirement.objects.create(offering=school.offering, periods_per_week=3)
    draft = Timetable.objects.create(year=school.year, name="Draft")
    kept = Lesson.objects.create(
        timetable=draft,
        offering=school.offering,
        teacher=school.teacher_staff,
        weekday=3,
        period=periods[2],
        locked=True,
    )
    Lesson.objects.create(
        timetable=draft, offering=school.offering, teacher=school.teacher_staff, locked=True
    )  # unplaced

    problem = problem_build(year=school.year, keep=draft.lessons.filter(locked=True))
    solution = solve(problem, time_limit=10)

    lock = Placement(
        requirement_id=school.offering.timetable_requirement.pk,
        weekday=3,
        period_id=kept.period_id,
        length=1,
        room_id=None,
        teacher_id=school.teacher_staff.pk,
    )
    assert problem.locked == [lock]
    assert solution.outcome == "complete"
    assert lock in solution.placements
    assert check(problem, solution.placements) == []
