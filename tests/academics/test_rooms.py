from __future__ import annotations

from django.urls import reverse

from modules.academics.models import Room
from tests import factories as f


def test_it_creates_lists_and_edits_rooms(office, school):
    response = office.post(reverse("academics:room_create"), {"name": "Lab 1", "capacity": 24})
    assert response.status_code == 302
    room = Room.objects.get(name="Lab 1")
    assert "Lab 1" in office.get(reverse("academics:room_list")).content.decode()
    office.post(reverse("academics:room_edit", args=[room.pk]), {"name": "Lab 1", "capacity": 30})
    room.refresh_from_db()
    assert room.capacity == 30


def test_it_refuses_a_negative_capacity(office, school):
    response = office.post(reverse("academics:room_create"), {"name": "Lab 2", "capacity": -3})
    assert "Ensure this value is greater than or equal to 0." in response.content.decode()
    assert not Room.objects.filter(name="Lab 2").exists()


def test_it_deletes_an_unused_room(office, school):
    room = f.RoomFactory()
    office.post(reverse("academics:room_delete", args=[room.pk]))
    assert not Room.objects.filter(pk=room.pk).exists()


def test_it_keeps_a_room_a_section_or_lesson_uses(office, school):
    homeroom = f.RoomFactory(name="R7A")
    school.section.room = homeroom
    school.section.save()
    lab = f.RoomFactory(name="Lab")
    f.LessonFactory(offering=school.offering, weekday=0, room=lab)
    for room in (homeroom, lab):
        response = office.post(reverse("academics:room_delete", args=[room.pk]), follow=True)
        assert f"{room.name} is still in use" in response.content.decode()
        assert Room.objects.filter(pk=room.pk).exists()


def test_it_lists_rooms_in_a_fixed_number_of_queries(office, school, django_assert_max_num_queries):
    for _ in range(10):
        f.RoomFactory()
    with django_assert_max_num_queries(5):
        assert office.get(reverse("academics:room_list")).status_code == 200
