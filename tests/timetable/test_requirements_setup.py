"""Teachers' limits and unavailable grid, rooms, kinds of room, joint lessons, fixed lessons and the timetable
settings (modules/timetable/views_requirements.py, requirements.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from modules.academics.models import Room, RoomType
from modules.timetable.models import (
    JointLesson,
    Pin,
    Requirement,
    TeacherLimit,
    TimetableSettings,
    Unavailability,
)
from tests import factories as f
from tests.timetable.requirements_school import lab_and_classroom, school_week

pytestmark = pytest.mark.django_db


@pytest.fixture
def week(school):
    return school_week(school)


# ----------------------------------------------------------------------------------------------------
# Teachers


def test_it_lists_teachers_with_their_limits(as_user, admin, school, week):
    TeacherLimit.objects.create(
        year=school.year, staff=school.teacher_staff, max_periods_per_day=4, preferred_free_day=4
    )
    page = as_user(admin).get(reverse("timetable:teachers")).content.decode()
    assert "Tom Teach" in page
    assert "Olga Other" in page
    assert "Friday" in page


def test_it_saves_a_teachers_limits_and_unavailable_grid(as_user, admin, school, week):
    client = as_user(admin)
    url = reverse("timetable:teacher_edit", args=[school.teacher_staff.pk])
    page = client.get(url).content.decode()
    assert f'name="off_0_{week[0].pk}"' in page
    assert "Unavailable Monday, P1" in page
    response = client.post(
        url,
        {
            "max_periods_per_day": 4,
            "preferred_free_day": 2,
            f"off_0_{week[0].pk}": "1",
            f"off_4_{week[4].pk}": "1",
        },
    )
    assert response.status_code == 302
    limit = TeacherLimit.objects.get(staff=school.teacher_staff, year=school.year)
    assert (limit.max_periods_per_day, limit.preferred_free_day) == (4, 2)
    slots = set(Unavailability.objects.filter(staff=school.teacher_staff).values_list("weekday", "period_id"))
    assert slots == {(0, week[0].pk), (4, week[4].pk)}
    # Unticking one keeps the other.
    client.post(url, {"max_periods_per_day": "", "preferred_free_day": "", f"off_4_{week[4].pk}": "1"})
    slots = set(Unavailability.objects.filter(staff=school.teacher_staff).values_list("weekday", "period_id"))
    assert slots == {(4, week[4].pk)}
    assert TeacherLimit.objects.get(staff=school.teacher_staff).max_periods_per_day is None
    assert f'id="off_4_{week[4].pk}" value="1" checked' in client.get(url).content.decode()


def test_it_keeps_unavailable_periods_the_grid_does_not_show(as_user, admin, school, week):
    saturday = Unavailability.objects.create(
        year=school.year, staff=school.teacher_staff, weekday=5, period=week[0]
    )
    as_user(admin).post(
        reverse("timetable:teacher_edit", args=[school.teacher_staff.pk]), {f"off_0_{week[0].pk}": "1"}
    )
    slots = set(Unavailability.objects.filter(staff=school.teacher_staff).values_list("weekday", "period_id"))
    assert slots == {(0, week[0].pk), (5, week[0].pk)}
    assert Unavailability.objects.filter(pk=saturday.pk).exists()


def test_it_refuses_a_limit_below_one(as_user, admin, school, week):
    response = as_user(admin).post(
        reverse("timetable:teacher_edit", args=[school.teacher_staff.pk]), {"max_periods_per_day": 0}
    )
    assert response.status_code == 400
    assert not TeacherLimit.objects.exists()


def test_it_answers_404_for_a_teacher_who_left(as_user, admin, school, week):
    gone = f.StaffFactory(is_active=False)
    assert as_user(admin).get(reverse("timetable:teacher_edit", args=[gone.pk])).status_code == 404


# ----------------------------------------------------------------------------------------------------
# Rooms and kinds of room


def test_it_saves_a_rooms_kind_capacity_and_unavailable_grid(as_user, admin, school, week):
    lab, room, _lab_room = lab_and_classroom()
    response = as_user(admin).post(
        reverse("timetable:room_edit", args=[room.pk]),
        {"room_type": lab.pk, "capacity": 24, f"off_1_{week[2].pk}": "1"},
    )
    assert response.status_code == 302
    room.refresh_from_db()
    assert (room.room_type, room.capacity) == (lab, 24)
    assert list(Unavailability.objects.filter(room=room).values_list("weekday", "period_id")) == [
        (1, week[2].pk)
    ]
    page = as_user(admin).get(reverse("timetable:rooms")).content.decode()
    assert "Laboratory" in page
    assert "24" in page


def test_it_adds_renames_and_deletes_a_kind_of_room(as_user, admin, school, week):
    client = as_user(admin)
    assert client.post(reverse("timetable:room_types"), {"name": "Gym"}).status_code == 302
    gym = RoomType.objects.get(name="Gym")
    response = client.post(reverse("timetable:room_types"), {"name": "gym"})
    assert response.status_code == 400
    assert "There is already a kind of room called gym." in response.content.decode()
    client.post(reverse("timetable:room_type_edit", args=[gym.pk]), {"name": "Sports hall"})
    assert RoomType.objects.get(pk=gym.pk).name == "Sports hall"
    client.post(reverse("timetable:room_type_delete", args=[gym.pk]))
    assert not RoomType.objects.exists()


def test_it_refuses_to_delete_a_kind_of_room_a_class_asks_for(as_user, admin, school, week):
    lab, _room, _lab_room = lab_and_classroom()
    Requirement.objects.create(offering=school.offering, periods_per_week=2, room_type=lab)
    response = as_user(admin).post(reverse("timetable:room_type_delete", args=[lab.pk]), follow=True)
    assert "1 classes ask for Laboratory: give them another room first." in response.content.decode()
    assert RoomType.objects.filter(pk=lab.pk).exists()


def test_it_answers_404_for_a_room_or_kind_that_does_not_exist(as_user, admin, school, week):
    client = as_user(admin)
    assert client.get(reverse("timetable:room_edit", args=[999])).status_code == 404
    assert client.post(reverse("timetable:room_type_delete", args=[999])).status_code == 404
    assert Room.objects.count() == 0


# ----------------------------------------------------------------------------------------------------
# Joint lessons


def test_it_joins_classes_with_equal_counts(as_user, admin, school, week):
    a = Requirement.objects.create(offering=school.offering, periods_per_week=2)
    b = Requirement.objects.create(offering=school.other_offering, periods_per_week=2)
    response = as_user(admin).post(reverse("timetable:joints"), {"name": "Sport 7", "members": [a.pk, b.pk]})
    assert response.status_code == 302
    joint = JointLesson.objects.get(name="Sport 7")
    assert set(joint.requirements.all()) == {a, b}
    page = as_user(admin).get(reverse("timetable:joints")).content.decode()
    assert "Mathematics · 7A; History · 7B" in page or "History · 7B; Mathematics · 7A" in page


def test_it_refuses_to_join_classes_with_different_counts(as_user, admin, school, week):
    a = Requirement.objects.create(offering=school.offering, periods_per_week=2)
    b = Requirement.objects.create(offering=school.other_offering, periods_per_week=3)
    response = as_user(admin).post(reverse("timetable:joints"), {"name": "Sport 7", "members": [a.pk, b.pk]})
    assert response.status_code == 400
    assert (
        "Classes taught together need the same periods a week and double periods" in response.content.decode()
    )
    assert not JointLesson.objects.exists()


def test_it_changes_and_deletes_a_joint_lesson(as_user, admin, school, week):
    a = Requirement.objects.create(offering=school.offering, periods_per_week=2)
    b = Requirement.objects.create(offering=school.other_offering, periods_per_week=2)
    extra = Requirement.objects.create(
        offering=f.CourseOfferingFactory(subject=f.SubjectFactory(name="Art"), section=school.other_section),
        periods_per_week=2,
    )
    joint = JointLesson.objects.create(year=school.year, name="Sport")
    Requirement.objects.filter(pk__in=[a.pk, b.pk]).update(joint=joint)
    client = as_user(admin)
    client.post(
        reverse("timetable:joint_edit", args=[joint.pk]), {"name": "Sport 7", "members": [a.pk, extra.pk]}
    )
    joint.refresh_from_db()
    assert joint.name == "Sport 7"
    assert set(joint.requirements.all()) == {a, extra}
    client.post(reverse("timetable:joint_delete", args=[joint.pk]))
    assert not JointLesson.objects.exists()
    assert Requirement.objects.count() == 3  # the classes stay


# ----------------------------------------------------------------------------------------------------
# Fixed lessons


def test_it_fixes_a_lesson_and_refuses_more_than_the_class_has(as_user, admin, school, week):
    requirement = Requirement.objects.create(offering=school.offering, periods_per_week=3, double_lessons=1)
    client = as_user(admin)
    url = reverse("timetable:pins")
    ok = client.post(url, {"requirement": requirement.pk, "weekday": 0, "period": week[0].pk, "double": "on"})
    assert ok.status_code == 302
    refused = client.post(
        url, {"requirement": requirement.pk, "weekday": 1, "period": week[0].pk, "double": "on"}
    )
    assert "Mathematics · 7A has 1 double periods, all fixed already." in refused.content.decode()
    last = client.post(url, {"requirement": requirement.pk, "weekday": 1, "period": week[4].pk})
    assert last.status_code == 302
    assert Pin.objects.count() == 2
    page = client.get(url).content.decode()
    assert "Monday" in page
    assert "double" in page


def test_it_refuses_a_double_from_the_last_period(as_user, admin, school, week):
    requirement = Requirement.objects.create(offering=school.offering, periods_per_week=2, double_lessons=1)
    response = as_user(admin).post(
        reverse("timetable:pins"),
        {"requirement": requirement.pk, "weekday": 0, "period": week[4].pk, "double": "on"},
    )
    assert "A double lesson cannot start in the last teaching period." in response.content.decode()
    assert not Pin.objects.exists()


def test_it_refuses_fewer_periods_than_the_fixed_lessons_need(as_user, admin, school, week):
    requirement = Requirement.objects.create(offering=school.offering, periods_per_week=2)
    Pin.objects.create(requirement=requirement, weekday=0, period=week[0])
    Pin.objects.create(requirement=requirement, weekday=1, period=week[0])
    response = as_user(admin).post(
        reverse("timetable:requirement_quick", args=[school.offering.pk]),
        {f"q{school.offering.pk}-periods_per_week": 1, f"q{school.offering.pk}-double_lessons": 0},
        headers={"HX-Request": "true"},
    )
    assert "This class has 2 fixed lessons that the new counts leave no room for" in response.content.decode()
    assert Requirement.objects.get(pk=requirement.pk).periods_per_week == 2


def test_it_unfixes_a_lesson(as_user, admin, school, week):
    requirement = Requirement.objects.create(offering=school.offering, periods_per_week=2)
    pin = Pin.objects.create(requirement=requirement, weekday=0, period=week[0])
    assert as_user(admin).post(reverse("timetable:pin_delete", args=[pin.pk])).status_code == 302
    assert not Pin.objects.exists()


# ----------------------------------------------------------------------------------------------------
# Settings


def test_it_saves_the_settings(as_user, admin, school, week):
    response = as_user(admin).post(
        reverse("timetable:settings"),
        {
            "weekdays": [0, 1, 2, 3],
            "periods": [week[0].pk, week[1].pk, week[2].pk],
            "time_limit_seconds": 30,
            "weight_teacher_gaps": 1,
            "weight_spread": 0,
            "weight_early": 7,
            "weight_free_day": 2,
        },
    )
    assert response.status_code == 302
    saved = TimetableSettings.objects.get(year=school.year)
    assert saved.weekdays == [0, 1, 2, 3]
    assert set(saved.periods.all()) == set(week[:3])
    assert (saved.time_limit_seconds, saved.weight_spread, saved.weight_early) == (30, 0, 7)
    page = as_user(admin).get(reverse("timetable:requirements")).content.decode()
    assert "4 teaching days × 3 periods = 12 periods a week" in page


def test_it_refuses_settings_without_a_teaching_day_or_with_a_silly_time_limit(as_user, admin, school, week):
    response = as_user(admin).post(
        reverse("timetable:settings"),
        {
            "time_limit_seconds": 1,
            "weight_teacher_gaps": 1,
            "weight_spread": 1,
            "weight_early": 1,
            "weight_free_day": 1,
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required." in page
    assert "greater than or equal to 5" in page
    assert TimetableSettings.objects.get(year=school.year).weekdays == [0, 1, 2, 3, 4]


def test_it_refuses_other_roles_and_methods(as_user, teacher, bursar, admin, school, week):
    for user in (teacher, bursar):
        client = as_user(user)
        assert client.get(reverse("timetable:settings")).status_code == 403
        assert client.post(reverse("timetable:room_types"), {"name": "Gym"}).status_code == 403
    assert not RoomType.objects.exists()
    assert as_user(admin).get(reverse("timetable:pin_delete", args=[1])).status_code == 405
