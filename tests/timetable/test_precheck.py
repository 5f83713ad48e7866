"""The cheap contradictions found before generating (modules/timetable/precheck.py), as conflicts and in
words on the requirements page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from modules.academics.models import Period
from modules.timetable.models import (
    JointLesson,
    Pin,
    Requirement,
    TeacherLimit,
    TimetableSettings,
    Unavailability,
)
from modules.timetable.precheck import CODES, describe, precheck
from tests import factories as f
from tests.timetable.requirements_school import lab_and_classroom, school_week

pytestmark = pytest.mark.django_db


@pytest.fixture
def week(school):
    return school_week(school)


def _codes(year) -> list[str]:
    return [conflict["code"] for conflict in precheck(year)]


def _only(year, code) -> dict:
    found = [conflict for conflict in precheck(year) if conflict["code"] == code]
    assert len(found) == 1, precheck(year)
    return found[0]


def _class(school, name, *, section=None, teacher=None, **fields) -> Requirement:
    offering = f.CourseOfferingFactory(
        subject=f.SubjectFactory(name=name),
        section=section or school.section,
        teacher=teacher if teacher is not None else school.teacher_staff,
    )
    return Requirement.objects.create(offering=offering, **fields)


def test_it_finds_nothing_in_requirements_that_fit(school, week):
    Requirement.objects.create(offering=school.offering, periods_per_week=5, double_lessons=2)
    Requirement.objects.create(offering=school.other_offering, periods_per_week=5)
    assert precheck(school.year) == []


def test_it_says_when_the_week_has_no_teaching_periods(school):
    TimetableSettings.objects.create(year=school.year)
    assert _codes(school.year) == ["no_teaching_periods"]


def test_it_finds_a_section_with_more_lessons_than_the_week(school, week):
    Requirement.objects.create(offering=school.offering, periods_per_week=20)
    _class(school, "Art", teacher=school.other_teacher_staff, periods_per_week=6)
    conflict = _only(school.year, "section_overloaded")
    assert conflict["params"] == {
        "section": "7A",
        "section_id": school.section.pk,
        "lessons": 26,
        "available": 25,
    }
    assert describe(conflict) == "7A has 26 lessons but the week has 25 periods."


def test_it_counts_a_joint_lesson_once_for_a_section_in_several_of_its_classes(school, week):
    joint = JointLesson.objects.create(year=school.year, name="Languages 7A")
    Requirement.objects.create(offering=school.offering, periods_per_week=20)
    _class(school, "French", teacher=school.other_teacher_staff, periods_per_week=5, joint=joint)
    _class(school, "German", teacher=f.StaffFactory(), periods_per_week=5, joint=joint)
    assert precheck(school.year) == []


def test_it_finds_a_teacher_with_more_lessons_than_available_periods(school, week):
    Requirement.objects.create(offering=school.offering, periods_per_week=15)
    _class(school, "Science", section=school.other_section, periods_per_week=8)
    for period in week:
        Unavailability.objects.create(year=school.year, staff=school.teacher_staff, weekday=0, period=period)
    conflict = _only(school.year, "teacher_overloaded")
    assert conflict["params"]["lessons"] == 23
    assert conflict["params"]["available"] == 20
    assert describe(conflict) == "Tom Teach has 23 lessons but is available for 20 periods."


def test_it_counts_co_teachers(school, week):
    requirement = Requirement.objects.create(offering=school.other_offering, periods_per_week=20)
    requirement.co_teachers.add(school.teacher_staff)
    Requirement.objects.create(offering=school.offering, periods_per_week=6)
    assert _only(school.year, "teacher_overloaded")["params"]["teacher"] == "Tom Teach"


def test_it_finds_a_teacher_over_their_daily_most(school, week):
    TeacherLimit.objects.create(year=school.year, staff=school.teacher_staff, max_periods_per_day=3)
    Requirement.objects.create(offering=school.offering, periods_per_week=16)
    conflict = _only(school.year, "teacher_day_limit")
    assert conflict["params"]["available"] == 15
    assert describe(conflict) == (
        "Tom Teach has 16 lessons but, at most 3 a day, can teach only 15 periods a week."
    )


def test_it_finds_joint_classes_with_different_counts(school, week):
    joint = JointLesson.objects.create(year=school.year, name="Sport")
    Requirement.objects.create(offering=school.offering, periods_per_week=2, joint=joint)
    Requirement.objects.create(offering=school.other_offering, periods_per_week=3, joint=joint)
    conflict = _only(school.year, "joint_mismatch")
    assert "must have the same periods a week and double periods." in describe(conflict)


def test_it_finds_a_class_without_teacher_or_with_one_who_left(school, week):
    Requirement.objects.create(offering=school.offering, periods_per_week=2)
    school.offering.teacher = None
    school.offering.save()
    gone = f.StaffFactory(is_active=False, first_name="Gil", last_name="Gone")
    Requirement.objects.create(offering=school.other_offering, periods_per_week=2).co_teachers.add(gone)
    assert describe(_only(school.year, "no_teacher")) == (
        "7A Mathematics has no teacher and no qualified teachers to choose from."
    )
    assert (
        describe(_only(school.year, "teacher_inactive"))
        == "7B History names Gil Gone, who has left the school."
    )


def test_it_finds_a_kind_of_room_without_a_room_big_enough(school, week):
    lab, _room, _lab_room = lab_and_classroom()  # the lab holds 20
    for _n in range(21):
        f.EnrollmentFactory(section=school.section)
    Requirement.objects.create(offering=school.offering, periods_per_week=2, room_type=lab)
    conflict = _only(school.year, "no_room")
    assert conflict["params"]["size"] == 22
    assert describe(conflict) == "7A Mathematics: no room of the kind it needs is big enough for the class."


def test_it_finds_more_lessons_of_a_kind_than_its_rooms_hold(school, week):
    lab, _room, _lab_room = lab_and_classroom()
    Requirement.objects.create(offering=school.offering, periods_per_week=15, room_type=lab)
    _class(
        school,
        "Science",
        section=school.other_section,
        teacher=school.other_teacher_staff,
        periods_per_week=12,
        room_type=lab,
    )
    conflict = _only(school.year, "room_type_short")
    assert describe(conflict) == "Laboratory: 27 lessons a week, 1 room: 25 places a week."


def test_it_finds_a_room_asked_for_more_than_it_is_free(school, week):
    _lab, room, _lab_room = lab_and_classroom()
    Requirement.objects.create(offering=school.offering, periods_per_week=15, room=room)
    Requirement.objects.create(offering=school.other_offering, periods_per_week=11, room=room)
    assert describe(_only(school.year, "room_type_short")) == (
        "Room 1: 26 lessons a week, 1 room: 25 places a week."
    )


def test_it_finds_doubles_that_cannot_fit(school, week):
    # The teacher is free only in P1, P3 and P5 on Monday to Thursday, and all Friday: 2 doubles fit.
    for day in range(4):
        for period in (week[1], week[3]):
            Unavailability.objects.create(
                year=school.year, staff=school.teacher_staff, weekday=day, period=period
            )
    Requirement.objects.create(offering=school.offering, periods_per_week=6, double_lessons=3)
    conflict = _only(school.year, "double_impossible")
    assert conflict["params"]["fits"] == 2
    assert describe(conflict) == (
        "7A Mathematics: its double periods cannot be placed as two periods in a row on one day."
    )


def test_it_finds_doubles_in_a_one_period_day(school):
    school_week(school, periods=1)
    Requirement.objects.create(offering=school.offering, periods_per_week=2, double_lessons=1)
    assert _codes(school.year) == ["double_impossible"]


def test_it_finds_fixed_lessons_that_clash_or_fall_outside_or_on_unavailable_periods(school, week):
    maths = Requirement.objects.create(offering=school.offering, periods_per_week=3, double_lessons=1)
    science = _class(school, "Science", teacher=school.other_teacher_staff, periods_per_week=2)
    Pin.objects.create(requirement=maths, weekday=0, period=week[0], double=True)
    Pin.objects.create(requirement=science, weekday=0, period=week[1])  # 7A's maths double takes P2 too
    Pin.objects.create(requirement=maths, weekday=5, period=week[0])  # Saturday: not a teaching day
    Unavailability.objects.create(
        year=school.year, staff=school.other_teacher_staff, weekday=0, period=week[1]
    )
    assert sorted(_codes(school.year)) == ["bad_slot", "pin_clash", "unavailable"]
    assert describe(_only(school.year, "pin_clash")) == (
        "7A Mathematics, 7A Science are all fixed to Monday, P2 and cannot be taught together."
    )
    assert describe(_only(school.year, "bad_slot")) == (
        "7A Mathematics is placed outside the teaching week (Saturday, P1)."
    )
    assert describe(_only(school.year, "unavailable")) == (
        "7A Science on Monday, P2: Olga Other is unavailable then."
    )


def test_it_puts_every_code_into_words(school):
    params = {
        "class": "7A Maths",
        "other": "7A Art",
        "teacher": "Tom Teach",
        "section": "7A",
        "room": "Room 1",
        "room_type": "Laboratory",
        "joint": "Sport",
        "classes": ["7A Maths (2/0)"],
        "day": 0,
        "max": 3,
        "period": "P1",
        **dict.fromkeys(["lessons", "available", "periods", "doubles", "fits"], 3),
        **dict.fromkeys(["rooms", "size"], 3),
    }
    for code in CODES:
        assert describe({"code": code, "params": params}) not in ("", code)
    assert describe({"code": "something_new", "params": {}}) == "something_new"


def test_it_reads_the_year_in_a_handful_of_queries(school, week, django_assert_max_num_queries):
    for n in range(10):
        requirement = _class(
            school, f"Subject {n}", teacher=f.StaffFactory(), periods_per_week=2, double_lessons=1
        )
        requirement.co_teachers.add(school.teacher_staff)
    with django_assert_max_num_queries(12):
        precheck(school.year)


def test_it_shows_the_problems_on_the_requirements_pages(as_user, admin, school, week):
    Period.objects.all().delete()
    page = as_user(admin).get(reverse("timetable:requirements")).content.decode()
    assert "The school week has no teaching periods" in page
