"""Moving a lesson of the published timetable whose lesson registers were taken at its current time: the page
says how many and the last date and asks first (a second POST with the confirm field, as a plain form or
with htmx); the registers are kept and still shown; a draft's lessons move at once."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils.formats import date_format

from modules.attendance.models import Register
from modules.core.models import AuditEvent
from modules.timetable.models import TimetableStatus
from tests import factories as f
from tests.timetable.drafts_school import hand_made_draft, lessons_draft

pytestmark = pytest.mark.django_db


def move_url(draft, lesson) -> str:
    return reverse("timetable:lesson_move", args=[draft.timetable.pk, lesson.pk])


def slot(weekday: int, period, room=None) -> str:
    return f"{weekday}:{period.pk}:{room.pk if room else ''}"


def mondays(year, count: int, *, after_weeks: int = 1) -> list[datetime.date]:
    first = year.start_date + datetime.timedelta(weeks=after_weeks)
    first -= datetime.timedelta(days=first.weekday())
    return [first + datetime.timedelta(weeks=n) for n in range(count)]


def lesson_register(school, offering, day, period, state="submitted") -> Register:
    return f.RegisterFactory(
        kind="lesson", section=offering.section, offering=offering, date=day, period=period, state=state
    )


@pytest.fixture
def live(school):
    """The small school's hand-made timetable, published from the year's first day: Maths 7A on Monday P1,
    with three registers taken there (one still in progress), and registers that do not count."""
    draft = hand_made_draft(school, status=TimetableStatus.PUBLISHED, name="Live")
    draft.timetable.effective_from = school.year.start_date
    draft.timetable.save()
    p1, p2 = draft.small.periods[0], draft.small.periods[1]
    days = mondays(school.year, 4)
    draft.taken = [
        lesson_register(school, draft.small.maths, days[0], p1),
        lesson_register(school, draft.small.maths, days[1], p1, state="in_progress"),
        lesson_register(school, draft.small.maths, days[2], p1),
    ]
    draft.last_day = days[2]
    lesson_register(school, draft.small.maths, days[3], p1, state="not_taken")  # not taken: not counted
    lesson_register(school, draft.small.maths, days[0], p2)  # another period: not counted
    lesson_register(school, draft.small.maths, days[0] + datetime.timedelta(days=1), p1)  # Tuesday
    lesson_register(school, draft.small.english, days[1], p2)  # another class
    return draft


def question(draft) -> str:
    return (
        f"3 registers were taken for this lesson at its current time, the last on "
        f"{date_format(draft.last_day, 'DATE_FORMAT')}. They are kept: moving it changes the timetable "
        f"from today on."
    )


@pytest.fixture
def client(admin, as_user):
    return as_user(admin)


def test_it_says_how_many_registers_and_the_last_date_and_moves_nothing_until_confirmed(live, client):
    p3 = live.small.periods[2]
    version = live.timetable.version

    asked = client.post(move_url(live, live.maths), {"version": version, "slot": slot(2, p3)})

    assert asked.status_code == 200
    assert question(live) in asked.text
    assert "Move it to Wednesday P3?" in asked.text
    assert "Move it anyway" in asked.text
    live.maths.refresh_from_db()
    assert (live.maths.weekday, live.maths.period_id) == (0, live.small.periods[0].pk)
    live.timetable.refresh_from_db()
    assert live.timetable.version == version  # asking changes nothing

    confirm = asked.context["asking"].token
    moved = client.post(
        move_url(live, live.maths), {"version": version, "slot": slot(2, p3), "confirm": confirm}
    )

    assert moved.status_code == 302
    live.maths.refresh_from_db()
    assert (live.maths.weekday, live.maths.period_id) == (2, p3.pk)
    assert "Mathematics · 7A moved to Wednesday P3." in client.get(moved["Location"]).text
    assert Register.objects.filter(pk__in=[r.pk for r in live.taken]).count() == 3
    event = AuditEvent.objects.get(action="timetable.lesson_move", object_id=str(live.maths.pk))
    assert event.after["registers_kept"] == 3


def test_the_kept_registers_are_still_shown_with_their_attendance(live, client, school):
    taken = live.taken[0]
    f.AttendanceRecordFactory(register=taken, student=school.child, status="absent")
    asked = client.post(
        move_url(live, live.maths),
        {"version": live.timetable.version, "slot": slot(2, live.small.periods[2])},
    )
    client.post(
        move_url(live, live.maths),
        {
            "version": live.timetable.version,
            "slot": slot(2, live.small.periods[2]),
            "confirm": asked.context["asking"].token,
        },
    )

    page = client.get(reverse("attendance:register_detail", args=[taken.pk]))

    assert page.status_code == 200
    assert school.child.full_name in page.text
    assert page.context["counts"].absent == 1


def test_it_asks_with_htmx_and_the_confirmation_sends_htmx_to_the_board(live, client):
    p3 = live.small.periods[2]
    data = {"version": live.timetable.version, "slot": slot(2, p3)}

    asked = client.post(move_url(live, live.maths), data, headers={"HX-Request": "true"})

    assert asked.status_code == 200
    assert "<html" not in asked.text  # the move page's fragment only
    assert 'id="lesson-move"' in asked.text
    assert question(live) in asked.text
    assert f'name="confirm" value="{asked.context["asking"].token}"' in asked.text

    moved = client.post(
        move_url(live, live.maths),
        {**data, "confirm": asked.context["asking"].token},
        headers={"HX-Request": "true"},
    )

    assert moved.status_code == 200
    assert moved["HX-Redirect"].startswith(reverse("timetable:timetable", args=[live.timetable.pk]))
    live.maths.refresh_from_db()
    assert live.maths.weekday == 2


def test_dragging_on_the_board_asks_too(live, client):
    """The board's drop posts a weekday and a period (no slot): the same question, answered with a slot."""
    p3 = live.small.periods[2]

    asked = client.post(
        move_url(live, live.maths), {"version": live.timetable.version, "weekday": 4, "period": p3.pk}
    )

    assert asked.status_code == 200
    assert question(live) in asked.text
    assert f'name="slot" value="4:{p3.pk}:"' in asked.text


def test_a_register_taken_since_the_question_asks_again(live, client, school):
    p3 = live.small.periods[2]
    data = {"version": live.timetable.version, "slot": slot(2, p3)}
    asked = client.post(move_url(live, live.maths), data)
    later = mondays(school.year, 1, after_weeks=8)[0]
    lesson_register(school, live.small.maths, later, live.small.periods[0])

    again = client.post(move_url(live, live.maths), {**data, "confirm": asked.context["asking"].token})

    assert again.status_code == 200
    last = date_format(later, "DATE_FORMAT")
    assert f"4 registers were taken for this lesson at its current time, the last on {last}." in again.text
    live.maths.refresh_from_db()
    assert live.maths.weekday == 0


def test_a_confirmation_from_a_stale_page_is_refused(live, client):
    p3 = live.small.periods[2]
    data = {"version": live.timetable.version, "slot": slot(2, p3)}
    asked = client.post(move_url(live, live.maths), data)
    client.post(move_url(live, live.history), {"version": live.timetable.version, "slot": slot(3, p3)})

    stale = client.post(
        move_url(live, live.maths), {**data, "confirm": asked.context["asking"].token}, follow=True
    )

    assert "Someone changed this timetable since you opened the page" in stale.text
    live.maths.refresh_from_db()
    assert live.maths.weekday == 0


def test_a_clash_is_refused_before_anything_is_asked(live, client):
    asked = client.post(
        move_url(live, live.maths),
        {"version": live.timetable.version, "weekday": 0, "period": live.small.periods[1].pk},
    )

    assert asked.status_code == 400
    assert "7A already has English on Monday P2." in asked.text
    assert "registers were taken" not in asked.text


def test_it_moves_at_once_a_lesson_without_taken_registers_or_in_a_draft(live, client, school):
    free = client.post(
        move_url(live, live.science),
        {"version": live.timetable.version, "slot": slot(3, live.small.periods[2])},
    )
    assert free.status_code == 302

    draft = lessons_draft(school, live.small, name="Next")  # Maths 7A on Monday P1 too, with its registers
    moved = client.post(
        move_url(draft, draft.maths),
        {"version": draft.timetable.version, "slot": slot(2, draft.small.periods[2])},
    )
    assert moved.status_code == 302


def test_registers_taken_before_the_timetable_took_effect_do_not_count(live, client, school):
    live.timetable.effective_from = live.last_day + datetime.timedelta(days=1)
    live.timetable.save()

    moved = client.post(
        move_url(live, live.maths),
        {"version": live.timetable.version, "slot": slot(2, live.small.periods[2])},
    )

    assert moved.status_code == 302
