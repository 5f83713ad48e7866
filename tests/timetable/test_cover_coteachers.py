"""A co-teacher away (Requirement.co_teachers): the lesson is listed to cover, marked co-taught (its teacher
still teaches it), assignable like any other and the covering teacher told; the register stays with the
lesson's teacher (the covering teacher neither takes nor opens it)."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from modules.attendance.models import AttendancePolicy
from modules.communications.models import Notification
from modules.timetable.models import Cover, Requirement
from tests import factories as f
from tests.timetable.cover_school import away, build, teacher_user

pytestmark = pytest.mark.django_db
BOARD = reverse("timetable:cover_board")
ASSIGN = reverse("timetable:cover_assign")
MINE = reverse("timetable:my_cover")
HTMX = {"HX-Request": "true"}


@pytest.fixture
def cs(weekday, school):
    cs = build(school, weekday)
    # Cody Coteach co-teaches Mathematics 7A with Tom Teach (the `teacher` persona): period 1, and 3-4.
    cs.cody = teacher_user("cody@school.test", "Cody", "Coteach")
    requirement = Requirement.objects.create(offering=school.offering, periods_per_week=3, double_lessons=1)
    requirement.co_teachers.add(cs.cody.staff_profile)
    return cs


def text(response) -> str:
    return " ".join(html.unescape(strip_tags(response.content.decode())).split())


def card(response, lesson) -> str:
    found = response.content.decode().split(f'id="lesson-{lesson.pk}">', 1)[1]
    found = found.split('<li class="card', 1)[0].split("</ol>", 1)[0]
    return " ".join(html.unescape(strip_tags(found)).split())


def assign(client, cs, lesson, staff, **extra):
    return client.post(
        ASSIGN, {"lesson": lesson.pk, "date": cs.day.isoformat(), "teacher": staff.pk}, **extra
    )


def test_the_board_lists_a_lesson_whose_co_teacher_is_away_as_co_taught(as_user, admin, cs, school):
    away(cs.cody.staff_profile, cs.day, cs.periods[0])

    page = as_user(admin).get(f"{BOARD}?date={cs.day.isoformat()}")

    assert "1 lesson to cover · 1 without cover yet" in text(page)
    shown = card(page, cs.maths_7a)
    assert "Mathematics · 7A" in shown
    assert "In place of Cody Coteach" in shown
    assert "Co-taught Co-teacher away; Tom Teach still teaches it and takes the register." in shown
    # Its teacher teaches it and Eve teaches then: neither is offered; the free teachers are.
    assert "Assign Tom Teach" not in shown
    assert "Assign Eve Busy" not in shown
    assert "Assign Carla Cover" in shown
    assert "Assign Olga Other" in shown


def test_a_co_teachers_lesson_is_not_listed_while_they_are_at_school(as_user, admin, cs):
    page = as_user(admin).get(f"{BOARD}?date={cs.day.isoformat()}")
    assert "Nothing to cover" in text(page)


def test_the_lessons_teacher_away_is_cover_for_them_not_co_taught(as_user, admin, cs, school):
    away(cs.cody.staff_profile, cs.day)
    away(school.teacher_staff, cs.day)

    page = as_user(admin).get(f"{BOARD}?date={cs.day.isoformat()}")

    shown = card(page, cs.maths_7a)
    assert "In place of Tom Teach" in shown
    assert "Co-taught" not in shown


def test_the_office_assigns_a_co_taught_lesson_and_the_teacher_is_told(
    as_user, admin, cs, school, django_capture_on_commit_callbacks
):
    away(cs.cody.staff_profile, cs.day, cs.periods[0])

    with django_capture_on_commit_callbacks(execute=True):
        response = assign(as_user(admin), cs, cs.maths_7a, cs.carla.staff_profile, headers=HTMX)

    assert response.status_code == 200
    assert "Carla Cover covers Mathematics · 7A. They have been told." in text(response)
    assert "Covered by Carla Cover" in card(response, cs.maths_7a)
    cover = Cover.objects.get(lesson=cs.maths_7a, date=cs.day)
    assert cover.absence.staff == cs.cody.staff_profile
    notification = Notification.objects.get(recipient=cs.carla, kind="cover_assigned")
    assert "in place of Cody Coteach" in notification.body
    assert (
        "Cody Coteach co-teaches it: Tom Teach still teaches it, with you, and takes the class's register."
        in (notification.body)
    )
    assert "You take the class's register" not in notification.body
    mine = text(as_user(cs.carla).get(MINE))
    assert "Cody Coteach (co-teacher; Tom Teach still teaches it and takes the register)" in mine


def test_the_register_stays_with_the_lessons_teacher(as_user, admin, cs, school, teacher):
    policy = AttendancePolicy.load()
    policy.mode = "lesson"
    policy.save()
    away(cs.cody.staff_profile, cs.day, cs.periods[0])
    assign(as_user(admin), cs, cs.maths_7a, cs.carla.staff_profile)
    register = f.RegisterFactory(
        kind="lesson", section=school.section, offering=school.offering, date=cs.day, period=cs.periods[0]
    )
    detail = reverse("attendance:register_detail", args=[register.pk])

    assert as_user(cs.carla).get(detail).status_code == 404
    assert as_user(teacher).get(detail).status_code == 200
    # Tom's day still has the lesson and its register; Carla's day has the lesson without its register.
    assert detail in as_user(teacher).get(reverse("home")).content.decode()
    assert detail not in as_user(cs.carla).get(reverse("home")).content.decode()


def test_a_cover_for_the_lessons_teacher_still_gives_the_register(as_user, admin, cs, school):
    """What was true before co-teachers were covered: the cover for the lesson's teacher takes it."""
    away(school.teacher_staff, cs.day)
    assign(as_user(admin), cs, cs.maths_7a, cs.carla.staff_profile)
    register = f.RegisterFactory(
        kind="lesson", section=school.section, offering=school.offering, date=cs.day, period=cs.periods[0]
    )

    assert as_user(cs.carla).get(reverse("attendance:register_detail", args=[register.pk])).status_code == 200


def test_a_co_teachers_cover_goes_back_on_the_board_when_the_lessons_teacher_is_away_too(
    as_user, admin, cs, school
):
    away(cs.cody.staff_profile, cs.day, cs.periods[0])
    assign(as_user(admin), cs, cs.maths_7a, cs.carla.staff_profile)

    as_user(admin).post(
        reverse("timetable:cover_absence_new"),
        {"staff": school.teacher_staff.pk, "date": cs.day.isoformat(), "scope": "day"},
    )

    assert not Cover.objects.filter(lesson=cs.maths_7a, date=cs.day).exists()
    page = as_user(admin).get(f"{BOARD}?date={cs.day.isoformat()}")
    shown = card(page, cs.maths_7a)
    assert "In place of Tom Teach" in shown
    assert "Assign Carla Cover" in shown
    assert Notification.objects.filter(recipient=cs.carla, kind="cover_cancelled").exists()


def test_the_office_sees_the_register_under_the_lessons_teacher(as_user, admin, cs, school):
    policy = AttendancePolicy.load()
    policy.mode = "lesson"
    policy.save()
    away(cs.cody.staff_profile, cs.day, cs.periods[0])
    assign(as_user(admin), cs, cs.maths_7a, cs.carla.staff_profile)

    board = as_user(admin).get(reverse("attendance:office_today")).context["board"]

    row = next(row for row in board.rows if row.register.offering_id == school.offering.pk)
    assert row.register.period_id == cs.periods[0].pk
    assert (row.teacher, row.covering) == (school.teacher_staff, False)
