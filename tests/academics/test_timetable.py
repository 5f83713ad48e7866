"""The office's hand-filled weekly grid is gone: the timetable module owns the week (its lessons are the one
timetable), and the academics pages link there."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from modules.academics.models import Room
from modules.core.models import AuditEvent
from tests import factories as f


def test_it_links_each_section_to_its_week_in_the_timetable(office, school):
    week = reverse("timetable:section_week", args=[school.section.pk])
    assert week in office.get(reverse("academics:section_list")).content.decode()
    assert week in office.get(reverse("academics:section_roster", args=[school.section.pk])).content.decode()


def test_it_no_longer_has_the_hand_filled_grid(office, school):
    period = f.PeriodFactory()
    assert office.get(f"/academics/sections/{school.section.pk}/timetable/").status_code == 404
    assert office.get(f"/academics/sections/{school.section.pk}/timetable/0/{period.pk}/").status_code == 404
    for name in ("academics:section_timetable", "academics:timetable_slot"):
        try:
            reverse(name, args=[school.section.pk])
        except NoReverseMatch:
            continue
        raise AssertionError(f"{name} still exists")


def test_it_counts_a_rooms_and_a_periods_lessons_in_the_live_timetable_only(office, school, admin):
    lab = f.RoomFactory(name="Lab")
    period = f.PeriodFactory(name="Period 1")
    f.LessonFactory(offering=school.offering, period=period, room=lab, weekday=0)
    f.LessonFactory(offering=school.other_offering, period=period, room=lab, weekday=1)
    draft = f.TimetableFactory(year=school.year, status="draft")
    f.LessonFactory(timetable=draft, offering=school.offering, period=period, room=lab, weekday=2)
    listed = office.get(reverse("academics:room_list")).context["items"]
    rooms = {room.name: room.entry_count for room in listed}
    assert rooms["Lab"] == 2
    periods = {p.name: p.entry_count for p in office.get(reverse("academics:period_list")).context["periods"]}
    assert periods["Period 1"] == 2


def test_it_keeps_a_room_a_draft_timetable_uses(office, school):
    lab = f.RoomFactory(name="Lab")
    draft = f.TimetableFactory(year=school.year, status="draft")
    f.LessonFactory(timetable=draft, offering=school.offering, room=lab)
    response = office.post(reverse("academics:room_delete", args=[lab.pk]), follow=True)
    assert "Lab is still in use" in response.content.decode()
    assert Room.objects.filter(pk=lab.pk).exists()
    assert not AuditEvent.objects.filter(action="room.delete").exists()
