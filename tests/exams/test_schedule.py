"""The exam schedule's rules (service and office pages): period dates, sections of the term's year, the
three kinds of clash named in the refusal, all-or-nothing saves."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from modules.core.models import AuditEvent
from modules.exams.models import ExamPeriod, ExamSlot
from modules.exams.schedule import ScheduleError, exam_period_save, exam_slot_save
from tests import factories as f

pytestmark = pytest.mark.django_db


def make_period(school, *, published=False, days=5) -> ExamPeriod:
    start = school.term.start_date + datetime.timedelta(days=30)
    return ExamPeriod.objects.create(
        name="Midterms",
        term=school.term,
        start_date=start,
        end_date=start + datetime.timedelta(days=days),
        is_published=published,
    )


def make_slot(
    period, sections, *, subject=None, start=(9, 0), minutes=90, room=None, invigilator=None, date=None
):
    slot = ExamSlot.objects.create(
        period=period,
        subject=subject or f.SubjectFactory(name="History", code="HIST"),
        date=date or period.start_date,
        start_time=datetime.time(*start),
        duration_minutes=minutes,
        room=room,
        invigilator=invigilator,
    )
    slot.sections.set(sections)
    return slot


def slot_data(school, period, **overrides) -> dict:
    data = {
        "subject": school.offering.subject.pk,
        "sections": [school.section.pk],
        "date": period.start_date.isoformat(),
        "start_time": "10:00",
        "duration_minutes": 60,
        "room": "",
        "invigilator": "",
    }
    data.update(overrides)
    return data


def add_url(period) -> str:
    return reverse("exams:schedule_slot_create", kwargs={"period_pk": period.pk})


# ------------------------------------------------------------------------------------------- clashes


def test_it_refuses_a_section_sitting_two_exams_at_once_and_names_the_clash(as_user, admin, school):
    period = make_period(school)
    make_slot(period, [school.section], start=(9, 0), minutes=90)
    response = as_user(admin).post(add_url(period), slot_data(school, period, start_time="10:00"))
    assert response.status_code == 400
    day = f"{period.start_date.day} {period.start_date:%B}"
    assert f"7A already sits History from 09:00 to 10:30 on {day}." in response.content.decode()
    assert ExamSlot.objects.count() == 1


def test_it_refuses_a_room_booked_twice(as_user, admin, school):
    period = make_period(school)
    room = f.RoomFactory(name="Hall")
    make_slot(period, [school.other_section], start=(9, 0), minutes=120, room=room)
    response = as_user(admin).post(add_url(period), slot_data(school, period, room=room.pk))
    assert response.status_code == 400
    assert "Room Hall is already booked for History (7B) from 09:00 to 11:00" in response.content.decode()
    assert ExamSlot.objects.count() == 1


def test_it_refuses_an_invigilator_booked_twice(as_user, admin, school):
    period = make_period(school)
    make_slot(period, [school.other_section], start=(9, 30), minutes=60, invigilator=school.teacher_staff)
    response = as_user(admin).post(
        add_url(period), slot_data(school, period, invigilator=school.teacher_staff.pk)
    )
    assert response.status_code == 400
    assert "Tom Teach already invigilates History (7B) from 09:30 to 10:30" in response.content.decode()


def test_it_allows_back_to_back_exams_and_other_days(admin, school):
    period = make_period(school)
    room = f.RoomFactory(name="Hall")
    make_slot(period, [school.section], start=(9, 0), minutes=60, room=room, invigilator=school.teacher_staff)
    common = {
        "period": period,
        "slot": None,
        "subject": school.offering.subject,
        "sections": [school.section],
        "duration_minutes": 60,
        "room": room,
        "invigilator": school.teacher_staff,
        "by": admin,
    }
    exam_slot_save(date=period.start_date, start_time=datetime.time(10, 0), **common)
    exam_slot_save(
        date=period.start_date + datetime.timedelta(days=1), start_time=datetime.time(9, 0), **common
    )
    assert ExamSlot.objects.count() == 3


def test_it_does_not_clash_an_exam_with_itself_when_edited(as_user, admin, school):
    period = make_period(school)
    room = f.RoomFactory(name="Hall")
    slot = make_slot(period, [school.section], subject=school.offering.subject, room=room)
    url = reverse("exams:schedule_slot_edit", kwargs={"pk": slot.pk})
    response = as_user(admin).post(url, slot_data(school, period, start_time="09:15", room=room.pk))
    assert response.status_code == 302
    slot.refresh_from_db()
    assert slot.start_time == datetime.time(9, 15)
    event = AuditEvent.objects.get(action="exam_slot.save", object_id=str(slot.pk))
    assert (event.before["start_time"], event.after["start_time"]) == ("09:00", "09:15")


def test_it_refuses_sections_of_another_year_and_dates_outside_the_period(as_user, admin, school):
    period = make_period(school)
    old_year = f.AcademicYearFactory(
        name="Old", start_date=datetime.date(2000, 8, 1), end_date=datetime.date(2001, 7, 1), is_current=False
    )
    old_section = f.SectionFactory(year=old_year, name="Old 7A")
    client = as_user(admin)
    response = client.post(add_url(period), slot_data(school, period, sections=[old_section.pk]))
    assert response.status_code == 400  # not even offered in the form
    late = (period.end_date + datetime.timedelta(days=1)).isoformat()
    response = client.post(add_url(period), slot_data(school, period, date=late))
    assert response.status_code == 400
    assert "The date must be within the exam period" in response.content.decode()
    with pytest.raises(ScheduleError, match="not a section of this term"):
        exam_slot_save(
            period=period,
            slot=None,
            subject=school.offering.subject,
            sections=[old_section],
            date=period.start_date,
            start_time=datetime.time(9, 0),
            duration_minutes=60,
            room=None,
            invigilator=None,
            by=admin,
        )
    assert not ExamSlot.objects.exists()


def test_it_refuses_an_inactive_invigilator(admin, school):
    period = make_period(school)
    staff = school.other_teacher_staff
    staff.is_active = False
    staff.save()
    with pytest.raises(ScheduleError, match="not an active member of staff"):
        exam_slot_save(
            period=period,
            slot=None,
            subject=school.offering.subject,
            sections=[school.section],
            date=period.start_date,
            start_time=datetime.time(9, 0),
            duration_minutes=60,
            room=None,
            invigilator=staff,
            by=admin,
        )


def test_it_deletes_an_exam(as_user, admin, school):
    period = make_period(school)
    slot = make_slot(period, [school.section])
    client = as_user(admin)
    assert client.get(reverse("exams:schedule_slot_delete", kwargs={"pk": slot.pk})).status_code == 405
    response = client.post(reverse("exams:schedule_slot_delete", kwargs={"pk": slot.pk}))
    assert response.status_code == 302
    assert not ExamSlot.objects.exists()
    assert AuditEvent.objects.filter(action="exam_slot.delete").exists()


def test_it_refuses_timetable_edits_to_teachers(as_user, teacher, school):
    period = make_period(school)
    response = as_user(teacher).post(add_url(period), slot_data(school, period))
    assert response.status_code == 403
    assert not ExamSlot.objects.exists()


# ------------------------------------------------------------------------------------------- periods


def period_data(school, **overrides) -> dict:
    start = school.term.start_date + datetime.timedelta(days=40)
    data = {
        "name": "Finals",
        "term": school.term.pk,
        "start_date": start.isoformat(),
        "end_date": (start + datetime.timedelta(days=4)).isoformat(),
    }
    data.update(overrides)
    return data


def test_it_creates_and_publishes_an_exam_period(as_user, admin, school):
    client = as_user(admin)
    response = client.post(reverse("exams:schedule_period_create"), period_data(school))
    period = ExamPeriod.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("exams:schedule_period", kwargs={"pk": period.pk})
    assert not period.is_published
    url = reverse("exams:schedule_period_edit", kwargs={"pk": period.pk})
    client.post(url, period_data(school, is_published="on"))
    period.refresh_from_db()
    assert period.is_published
    assert AuditEvent.objects.filter(action="exam_period.save").count() == 2


def test_it_refuses_period_dates_backwards_or_outside_the_term(as_user, admin, school):
    client = as_user(admin)
    start = school.term.start_date + datetime.timedelta(days=40)
    response = client.post(
        reverse("exams:schedule_period_create"),
        period_data(school, end_date=(start - datetime.timedelta(days=1)).isoformat()),
    )
    assert response.status_code == 200
    assert "The last day cannot be before the first day." in response.content.decode()
    response = client.post(
        reverse("exams:schedule_period_create"),
        period_data(school, end_date=(school.term.end_date + datetime.timedelta(days=3)).isoformat()),
    )
    assert "The exam period must lie within Term 1" in response.content.decode()
    assert not ExamPeriod.objects.exists()


def test_it_refuses_new_dates_that_leave_an_exam_outside(admin, school):
    period = make_period(school)
    make_slot(period, [school.section], date=period.end_date)
    with pytest.raises(ScheduleError, match="would fall outside the new dates"):
        exam_period_save(
            period=period,
            name=period.name,
            term=school.term,
            start_date=period.start_date,
            end_date=period.end_date - datetime.timedelta(days=1),
            is_published=False,
            by=admin,
        )
    period.refresh_from_db()
    assert period.end_date == period.start_date + datetime.timedelta(days=5)


def test_it_answers_405_to_a_wrong_method(as_user, admin, school):
    period = make_period(school)
    response = as_user(admin).put(reverse("exams:schedule_period_edit", kwargs={"pk": period.pk}))
    assert response.status_code == 405
