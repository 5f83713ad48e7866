from __future__ import annotations

from django.urls import reverse

from modules.academics.models import TimetableEntry
from modules.core.models import AuditEvent
from tests import factories as f


def _slot(section, weekday, period):
    return reverse("academics:timetable_slot", args=[section.pk, weekday, period.pk])


def test_it_shows_the_grid_of_weekdays_and_periods(office, school):
    first, second = f.PeriodFactory(name="P1"), f.PeriodFactory(name="P2")
    f.TimetableEntryFactory(offering=school.offering, weekday=2, period=second)
    response = office.get(reverse("academics:section_timetable", args=[school.section.pk]))
    page = response.content.decode()
    for day in ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]:
        assert day in page
    assert "Saturday" not in page
    rows = response.context["rows"]
    assert [row["period"] for row in rows] == [first, second]
    assert rows[1]["cells"][2]["entry"].offering == school.offering
    assert _slot(school.section, 4, first) in page


def test_it_shows_the_grid_in_a_fixed_number_of_queries(office, school, django_assert_max_num_queries):
    periods = f.PeriodFactory.create_batch(2)
    with django_assert_max_num_queries(7):
        office.get(reverse("academics:section_timetable", args=[school.section.pk]))
    periods += f.PeriodFactory.create_batch(6)
    for day in range(5):
        for period in periods:
            f.TimetableEntryFactory(
                offering=school.offering, weekday=day, period=period, room=f.RoomFactory()
            )
    with django_assert_max_num_queries(7):
        office.get(reverse("academics:section_timetable", args=[school.section.pk]))


def test_it_assigns_a_class_and_room_to_a_slot(office, school, admin):
    period, room = f.PeriodFactory(), f.RoomFactory(name="Lab")
    response = office.post(
        _slot(school.section, 0, period), {"offering": school.offering.pk, "room": room.pk}
    )
    assert response["Location"] == reverse("academics:section_timetable", args=[school.section.pk])
    entry = TimetableEntry.objects.get()
    assert (entry.offering, entry.weekday, entry.period, entry.room) == (school.offering, 0, period, room)
    assert AuditEvent.objects.filter(action="timetable.set", actor=admin).exists()


def test_it_replaces_what_the_slot_held_and_can_clear_it(office, school):
    period = f.PeriodFactory()
    art = f.CourseOfferingFactory(section=school.section, subject=f.SubjectFactory(name="Art", code="ART"))
    f.TimetableEntryFactory(offering=school.offering, weekday=1, period=period)
    office.post(_slot(school.section, 1, period), {"offering": art.pk, "room": ""})
    assert list(TimetableEntry.objects.values_list("offering", flat=True)) == [art.pk]
    form = office.get(_slot(school.section, 1, period)).context["form"]
    assert form.initial["offering"] == art.pk
    office.post(_slot(school.section, 1, period), {"offering": "", "room": ""})
    assert not TimetableEntry.objects.exists()


def test_it_refuses_a_teacher_booked_twice(office, school):
    period = f.PeriodFactory(name="Period 3")
    school.other_offering.teacher = school.teacher_staff
    school.other_offering.save()
    f.TimetableEntryFactory(offering=school.other_offering, weekday=0, period=period)
    response = office.post(_slot(school.section, 0, period), {"offering": school.offering.pk, "room": ""})
    assert response.status_code == 200
    subject = school.other_offering.subject.name
    assert f"Tom Teach already teaches {subject} to 7B on Monday Period 3." in response.content.decode()
    assert not TimetableEntry.objects.filter(offering=school.offering).exists()


def test_it_refuses_a_room_booked_twice(office, school):
    period, lab = f.PeriodFactory(name="Period 4"), f.RoomFactory(name="Lab")
    f.TimetableEntryFactory(offering=school.other_offering, weekday=3, period=period, room=lab)
    response = office.post(_slot(school.section, 3, period), {"offering": school.offering.pk, "room": lab.pk})
    subject = school.other_offering.subject.name
    assert f"Room Lab is already booked for 7B ({subject}) on Thursday Period 4." in response.content.decode()
    assert not TimetableEntry.objects.filter(offering=school.offering).exists()


def test_it_allows_the_same_teacher_in_another_slot(office, school):
    first, second = f.PeriodFactory(), f.PeriodFactory()
    school.other_offering.teacher = school.teacher_staff
    school.other_offering.save()
    f.TimetableEntryFactory(offering=school.other_offering, weekday=0, period=first)
    office.post(_slot(school.section, 0, second), {"offering": school.offering.pk, "room": ""})
    assert TimetableEntry.objects.filter(offering=school.offering, period=second).exists()


def test_it_offers_only_the_sections_own_classes(office, school):
    period = f.PeriodFactory()
    response = office.post(
        _slot(school.section, 0, period), {"offering": school.other_offering.pk, "room": ""}
    )
    assert "Select a valid choice." in response.content.decode()
    assert not TimetableEntry.objects.exists()


def test_it_answers_htmx_with_the_slot_form(office, school):
    period = f.PeriodFactory()
    response = office.get(_slot(school.section, 0, period), headers={"HX-Request": "true"})
    page = response.content.decode()
    assert 'name="offering"' in page
    assert "<html" not in page


def test_it_answers_404_outside_the_school_week_or_for_unknown_rows(office, school):
    period = f.PeriodFactory()
    assert office.get(_slot(school.section, 5, period)).status_code == 404
    assert (
        office.get(reverse("academics:timetable_slot", args=[school.section.pk, 0, 9999])).status_code == 404
    )
    assert office.get(reverse("academics:section_timetable", args=[9999])).status_code == 404


def test_it_refuses_teachers_and_wrong_methods(as_user, school, teacher, admin):
    period = f.PeriodFactory()
    url = _slot(school.section, 0, period)
    assert as_user(teacher).post(url, {"offering": school.offering.pk}).status_code == 403
    assert as_user(admin).put(url).status_code == 405
    assert (
        as_user(admin).post(reverse("academics:section_timetable", args=[school.section.pk])).status_code
        == 405
    )
    assert not TimetableEntry.objects.exists()
