"""Publishing a timetable from a date: the live one ends the day before; registers already taken that the
new timetable leaves without their lesson are counted, asked about first, and kept."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils.formats import date_format

from modules.attendance.models import Register
from modules.core.models import AuditEvent
from modules.timetable.models import Lesson, Timetable, TimetableStatus
from tests import factories as f
from tests.timetable.drafts_school import hand_made_draft, lessons_draft

pytestmark = pytest.mark.django_db


def publish_url(timetable: Timetable) -> str:
    return reverse("timetable:timetable_publish", args=[timetable.pk])


def a_monday(year, weeks: int) -> datetime.date:
    day = year.start_date + datetime.timedelta(weeks=weeks)
    return day - datetime.timedelta(days=day.weekday())


def test_it_publishes_a_draft_and_ends_the_live_one_the_day_before(school, admin, as_user):
    live = hand_made_draft(school, status=TimetableStatus.PUBLISHED, name="Autumn")
    Timetable.objects.filter(pk=live.timetable.pk).update(effective_from=school.year.start_date)
    draft = lessons_draft(school, live.small, name="Spring")
    day = a_monday(school.year, 10)
    client = as_user(admin)
    assert client.get(publish_url(draft.timetable)).status_code == 200

    response = client.post(
        publish_url(draft.timetable),
        {"version": draft.timetable.version, "effective_from": day.isoformat()},
        follow=True,
    )

    assert "Spring is published." in response.text
    assert (
        f"Autumn is in effect until {date_format(day - datetime.timedelta(days=1), 'DATE_FORMAT')}."
        in response.text
    )
    draft.timetable.refresh_from_db()
    live.timetable.refresh_from_db()
    assert draft.timetable.status == TimetableStatus.PUBLISHED
    assert draft.timetable.effective_from == day
    assert draft.timetable.published_by == admin
    assert live.timetable.effective_until == day - datetime.timedelta(days=1)
    assert set(Lesson.objects.in_effect_on(day).values_list("timetable_id", flat=True)) == {
        draft.timetable.pk
    }
    assert AuditEvent.objects.filter(action="timetable.publish", object_id=str(draft.timetable.pk)).exists()


def test_it_asks_before_leaving_taken_registers_without_their_lesson_and_keeps_them(school, admin, as_user):
    live = hand_made_draft(school, status=TimetableStatus.PUBLISHED, name="Autumn")
    draft = lessons_draft(school, live.small, name="Spring")
    p1, p3 = live.small.periods[0], live.small.periods[2]
    Lesson.objects.filter(pk=draft.maths.pk).update(period=p3)  # maths leaves Monday P1 in the new one
    day = a_monday(school.year, 10)
    taken = f.RegisterFactory(
        kind="lesson",
        date=day + datetime.timedelta(days=7),
        section=school.section,
        offering=live.small.maths,
        period=p1,
        state="submitted",
    )
    f.RegisterFactory(  # still a lesson of the new timetable (English, Monday P2): not counted
        kind="lesson",
        date=day,
        section=school.section,
        offering=live.small.english,
        period=live.small.periods[1],
        state="submitted",
    )
    f.RegisterFactory(  # before the date: not counted
        kind="lesson",
        date=day - datetime.timedelta(days=7),
        section=school.section,
        offering=live.small.maths,
        period=p1,
        state="submitted",
    )
    client = as_user(admin)

    asked = client.post(
        publish_url(draft.timetable), {"version": draft.timetable.version, "effective_from": day.isoformat()}
    )

    assert asked.status_code == 200
    assert (
        "1 register already taken on or after that date is for a lesson this timetable does not have."
        in asked.text
    )
    assert "Publish anyway" in asked.text
    draft.timetable.refresh_from_db()
    assert draft.timetable.status == TimetableStatus.DRAFT

    confirmed = client.post(
        publish_url(draft.timetable),
        {"version": draft.timetable.version, "effective_from": day.isoformat(), "confirm": day.isoformat()},
    )

    assert confirmed.status_code == 302
    draft.timetable.refresh_from_db()
    assert draft.timetable.status == TimetableStatus.PUBLISHED
    assert Register.objects.filter(pk=taken.pk).exists()


def test_it_asks_again_when_the_date_changes_after_the_question(school, admin, as_user):
    live = hand_made_draft(school, status=TimetableStatus.PUBLISHED, name="Autumn")
    draft = lessons_draft(school, live.small, name="Spring")
    Lesson.objects.filter(pk=draft.maths.pk).update(period=live.small.periods[2])
    day = a_monday(school.year, 10)
    f.RegisterFactory(
        kind="lesson",
        date=day + datetime.timedelta(days=14),
        section=school.section,
        offering=live.small.maths,
        period=live.small.periods[0],
        state="submitted",
    )
    other_day = day + datetime.timedelta(days=7)

    response = as_user(admin).post(
        publish_url(draft.timetable),
        {
            "version": draft.timetable.version,
            "effective_from": other_day.isoformat(),
            "confirm": day.isoformat(),
        },
    )

    assert "Publish anyway" in response.text
    draft.timetable.refresh_from_db()
    assert draft.timetable.status == TimetableStatus.DRAFT


def test_it_refuses_a_timetable_with_unplaced_lessons_or_a_date_outside_the_year(school, admin, as_user):
    draft = hand_made_draft(school)
    client = as_user(admin)
    outside = school.year.end_date + datetime.timedelta(days=1)

    response = client.post(
        publish_url(draft.timetable),
        {"version": draft.timetable.version, "effective_from": outside.isoformat()},
    )
    assert response.status_code == 400
    assert "The date must be within the year" in response.text

    Lesson.objects.filter(pk=draft.maths.pk).update(weekday=None, period=None)
    response = client.post(
        publish_url(draft.timetable),
        {"version": draft.timetable.version, "effective_from": school.year.start_date.isoformat()},
    )
    assert response.status_code == 400
    assert "1 lesson is not placed yet: place it first" in response.text
    draft.timetable.refresh_from_db()
    assert draft.timetable.status == TimetableStatus.DRAFT


def test_it_returns_a_timetable_published_from_the_same_day_to_the_drafts(school, admin, as_user):
    live = hand_made_draft(school, status=TimetableStatus.PUBLISHED, name="Autumn")
    start = school.year.start_date
    Timetable.objects.filter(pk=live.timetable.pk).update(effective_from=start)
    draft = lessons_draft(school, live.small, name="Autumn, fixed")

    response = as_user(admin).post(
        publish_url(draft.timetable),
        {"version": draft.timetable.version, "effective_from": start.isoformat()},
        follow=True,
    )

    assert "Autumn is a draft again." in response.text

    live.timetable.refresh_from_db()
    draft.timetable.refresh_from_db()
    assert draft.timetable.status == TimetableStatus.PUBLISHED
    assert live.timetable.status == TimetableStatus.DRAFT
    assert live.timetable.effective_from is None


def test_it_shows_what_changes_against_the_live_timetable(school, admin, as_user):
    live = hand_made_draft(school, status=TimetableStatus.PUBLISHED, name="Autumn")
    draft = lessons_draft(school, live.small, name="Spring")
    Lesson.objects.filter(pk=draft.maths.pk).update(weekday=2, period=live.small.periods[2])

    response = as_user(admin).get(reverse("timetable:timetable_diff", args=[draft.timetable.pk]))

    assert response.status_code == 200
    assert "Against the live timetable, Autumn." in response.text
    changes = response.context["diff"].changes
    assert [change.offering for change in changes] == [school.offering]
    assert [(p.weekday_name, p.period, p.room) for p in changes[0].removed] == [("Monday", "P1", "Room 1")]
    assert [(p.weekday_name, p.period, p.room) for p in changes[0].added] == [("Wednesday", "P3", "Room 1")]
    assert response.context["diff"].unchanged == 3


def test_it_lets_only_the_office_publish(school, admin, teacher, as_user):
    draft = hand_made_draft(school)
    assert as_user(teacher).get(publish_url(draft.timetable)).status_code == 403
    published = Timetable.objects.create(year=school.year, name="Live", status=TimetableStatus.PUBLISHED)
    assert as_user(admin).get(publish_url(published)).status_code == 404
    assert as_user(admin).put(publish_url(draft.timetable)).status_code == 405
