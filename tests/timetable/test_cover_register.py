"""The covering teacher's right to the lesson's register (modules/attendance/models.py
RegisterQuerySet.visible_to): they open that lesson's register on the date they cover it, not on another
date nor another lesson's; a teacher who does not cover it cannot."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from modules.attendance.models import Register
from modules.timetable import covering
from tests import factories as f
from tests.timetable.cover_school import away, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def cs(weekday, school, admin):
    cs = build(school, weekday)
    away(school.teacher_staff, cs.day)
    covering.cover_assign(lesson=cs.maths_7a, day=cs.day, teacher=cs.carla.staff_profile, user=admin)
    return cs


def register(school, day, period) -> Register:
    return f.RegisterFactory(
        kind="lesson", section=school.section, offering=school.offering, date=day, period=period
    )


def detail(register) -> str:
    return reverse("attendance:register_detail", args=[register.pk])


def test_the_covering_teacher_opens_the_register_of_the_lesson_that_day(as_user, cs, school):
    today = register(school, cs.day, cs.periods[0])

    response = as_user(cs.carla).get(detail(today))

    assert response.status_code == 200
    assert "Sam Parent" in response.content.decode()


def test_the_covering_teacher_cannot_open_it_on_another_day(as_user, cs, school):
    next_week = register(school, cs.day + datetime.timedelta(days=7), cs.periods[0])
    next_day = register(school, cs.day + datetime.timedelta(days=1), cs.periods[0])

    client = as_user(cs.carla)
    assert client.get(detail(next_week)).status_code == 404
    assert client.get(detail(next_day)).status_code == 404


def test_the_covering_teacher_cannot_open_another_lesson_of_the_class(as_user, cs, school):
    double = register(school, cs.day, cs.periods[2])
    assert as_user(cs.carla).get(detail(double)).status_code == 404


def test_a_teacher_who_does_not_cover_it_cannot_open_it(as_user, cs, school, other_teacher):
    today = register(school, cs.day, cs.periods[0])
    assert as_user(other_teacher).get(detail(today)).status_code == 404
    assert as_user(cs.dan).get(detail(today)).status_code == 404


def test_the_right_ends_with_the_cover(as_user, cs, school, admin):
    today = register(school, cs.day, cs.periods[0])
    covering.cover_remove(cover=cs.maths_7a.covers.get(), user=admin)
    assert as_user(cs.carla).get(detail(today)).status_code == 404


def test_the_class_teacher_and_the_office_still_open_it(as_user, cs, school, teacher, admin):
    today = register(school, cs.day, cs.periods[0])
    assert as_user(teacher).get(detail(today)).status_code == 200
    assert as_user(admin).get(detail(today)).status_code == 200


def test_the_covering_teacher_saves_and_submits_the_register_that_day(as_user, cs, school):
    from tests.attendance.test_submit import choose, page_data

    today = register(school, cs.day, cs.periods[0])
    client = as_user(cs.carla)
    data = choose(page_data(client, today), school.child, "absent")
    response = client.post(
        reverse("attendance:register_save", args=[today.pk]), {**data, "action": "submit"}, follow=True
    )
    assert "The register is submitted: 0 present, 1 absent, 0 late, 0 excused." in response.content.decode()
    assert Register.objects.get(pk=today.pk).submitted_by == cs.carla
