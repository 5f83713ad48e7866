"""A child's attendance for the family: the month calendar and the term's rate, and who may see them."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from modules.attendance.family import month_shift
from tests import factories as f

pytestmark = pytest.mark.django_db


def page_url(student, month: datetime.date | None = None) -> str:
    url = reverse("attendance:family_child", kwargs={"pk": student.pk})
    return f"{url}?month={month:%Y-%m}" if month else url


def last_month() -> datetime.date:
    return month_shift(timezone.localdate().replace(day=1), -1)


def weekdays(first: datetime.date) -> list[datetime.date]:
    days = [first + datetime.timedelta(days=n) for n in range(28)]
    return [day for day in days if day.weekday() < 5]


def record(student, section, day, status, *, state="submitted", **extra):
    register = f.RegisterFactory(section=section, date=day, state=state)
    return f.AttendanceRecordFactory(register=register, student=student, status=status, date=day, **extra)


def days_of(response) -> dict:
    return {day.date: day for week in response.context["weeks"] for day in week if day}


def test_it_shows_each_school_day_of_the_month_with_its_status(as_user, guardian, school):
    child, section = school.child, school.section
    first = last_month()
    monday, tuesday, wednesday, thursday, friday, next_monday, next_tuesday = weekdays(first)[:7]
    record(child, section, monday, "present")
    record(child, section, tuesday, "absent")
    record(child, section, wednesday, "late", late_minutes=12)
    record(child, section, thursday, "excused", reason="Dentist")
    f.CalendarEventFactory(name="Founders' Day", kind="holiday", start_date=friday, end_date=friday)
    record(child, section, next_tuesday, "absent", state="in_progress")  # not final: not shown

    response = as_user(guardian).get(page_url(child, first))
    assert response.status_code == 200
    days = days_of(response)
    assert [days[d].status for d in (monday, tuesday, wednesday, thursday, friday)] == [
        "present",
        "absent",
        "late",
        "excused",
        "closed",
    ]
    assert days[wednesday].label == "Late 12 min"
    assert days[friday].detail == "Founders' Day"
    assert days[next_monday].status == "none"
    assert days[next_tuesday].status == "none"
    saturday = monday + datetime.timedelta(days=(5 - monday.weekday()) % 7)
    if saturday.month == first.month:
        assert days[saturday].status == "weekend"
    text = response.content.decode()
    assert "Late 12 min" in text
    assert "School closed" in text
    assert "No record" in text
    assert first.strftime("%B %Y") in text


def test_it_summarises_a_day_of_lessons(as_user, guardian, school):
    child = school.child
    day = weekdays(last_month())[0]
    for number, status in enumerate(("present", "absent", "present"), start=1):
        period = f.PeriodFactory(name=f"P{number}")
        register = f.RegisterFactory(
            kind="lesson",
            section=school.section,
            offering=school.offering,
            period=period,
            date=day,
            state="submitted",
        )
        f.AttendanceRecordFactory(register=register, student=child, status=status, date=day)
    response = as_user(guardian).get(page_url(child, last_month()))
    entry = days_of(response)[day]
    assert (entry.status, entry.label, entry.detail) == ("absent", "Absent", "1 of 3 lessons")


def test_it_gives_the_rate_for_the_current_term(as_user, guardian, school):
    today = timezone.localdate()
    term = f.TermFactory(year=school.year, name="Autumn", start_date=today - datetime.timedelta(days=40))
    child, section = school.child, school.section
    statuses = ["present", "present", "present", "late", "excused", "absent", "absent"]
    for offset, status in enumerate(statuses, start=1):
        record(child, section, today - datetime.timedelta(days=offset), status)
    record(child, section, today, "absent", state="in_progress")  # being taken: not counted
    record(child, section, term.start_date - datetime.timedelta(days=3), "absent")  # last term
    response = as_user(guardian).get(page_url(child))
    rate = response.context["rate"]
    assert rate.term == term
    summary = rate.summary
    assert (summary.possible, summary.attended, summary.unauthorised, summary.authorised) == (7, 4, 2, 1)
    # The excused absence is time missed: 4 of 7 attended (present or late), as on the report card.
    assert str(summary.rate) == "57.1"
    text = response.content.decode()
    assert "57.1%" in text
    assert "Attendance this term (Autumn)" in text
    assert "present or late in 4 of 7 registers taken" in text
    assert "an excused absence has a reason the school accepted but is still time missed" in text


def test_it_says_when_nothing_was_recorded_this_term(as_user, guardian, school):
    response = as_user(guardian).get(page_url(school.child))
    assert response.context["rate"].summary.rate is None
    assert "Nothing has been recorded this term yet." in response.content.decode()


def test_it_shows_this_month_with_a_message_for_a_month_it_does_not_understand(as_user, guardian, school):
    for bad in ("2026-13", "soon", "1066-10"):
        response = as_user(guardian).get(page_url(school.child) + f"?month={bad}")
        assert response.status_code == 200
        assert response.context["month"] == timezone.localdate().replace(day=1)
        assert "That month was not understood" in response.content.decode()


def test_it_is_seen_by_the_child_their_teacher_and_the_office(as_user, student, teacher, admin, school):
    for user in (student, teacher, admin):
        assert as_user(user).get(page_url(school.child)).status_code == 200


def test_it_hides_another_familys_child(
    as_user, other_guardian, other_teacher, bursar, student, school, client
):
    for user in (other_guardian, other_teacher, bursar):
        assert as_user(user).get(page_url(school.child)).status_code == 404
    assert as_user(student).get(page_url(school.other_child)).status_code == 404
    client.logout()
    assert client.get(page_url(school.child)).status_code == 302


def test_it_refuses_a_post(as_user, guardian, school):
    assert as_user(guardian).post(page_url(school.child)).status_code == 405


def test_it_offers_the_absence_note_to_guardians_only(as_user, guardian, teacher, school):
    note_url = reverse("attendance:note_create", kwargs={"pk": school.child.pk})
    assert note_url in as_user(guardian).get(page_url(school.child)).content.decode()
    assert note_url not in as_user(teacher).get(page_url(school.child)).content.decode()


def test_it_is_linked_from_the_guardians_home(as_user, guardian, school):
    home = as_user(guardian).get(reverse("home")).content.decode()
    assert page_url(school.child) in home
    assert "Sam's attendance" in home


def test_it_does_not_query_per_day_or_record(as_user, guardian, school, queries_exactly):
    first = last_month()
    client = as_user(guardian)
    record(school.child, school.section, weekdays(first)[0], "absent")
    with queries_exactly(QUERIES):
        client.get(page_url(school.child, first))
    for day in weekdays(first)[1:]:
        record(school.child, school.section, day, "late", late_minutes=5)
    with queries_exactly(QUERIES):
        response = client.get(page_url(school.child, first))
    assert sum(1 for day in days_of(response).values() if day.status == "late") == len(weekdays(first)) - 1


# Exactly: user, the child, year, enrollment, marks by day, closures, term, rate, notes, note permission, the
# bell's unread count (the session comes from the cache).
QUERIES = 11
