"""The personal calendar feed (modules/timetable/feeds.py, views_feeds.py) through HTTP: the address made
once and shown once, replaced and revoked; the feed parsed back with `icalendar` holding the right lessons
(term days, no holidays), the school's days, exams and homework, in the school's time zone."""

from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import dataclass

import pytest
from dateutil.rrule import rrulestr
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from modules.exams.models import ExamPeriod, ExamSlot
from modules.timetable import feeds
from modules.timetable.models import CalendarFeed, Cover, Lesson, Requirement, TeacherAbsence
from tests import factories as f
from tests.timetable.week_fixtures import *  # noqa: F403


@pytest.fixture(autouse=True)
def _madrid(settings):
    settings.TIME_ZONE = "Europe/Madrid"


def _make(client) -> str:
    response = client.post(reverse("timetable:feed_make"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "it is shown only this once" in page
    return re.search(r'value="(https?://[^"]+\.ics)"', page).group(1)


def _feed(client, address, **headers):
    client.logout()
    return client.get(address.split("testserver", 1)[1], **headers)


def _events(response):
    """The calendar and its events as a calendar app shows them: weekly events expanded (less their
    EXDATEs), an occurrence told differently (RECURRENCE-ID) in place of the planned one."""
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    overrides = {
        (str(event["UID"]), event.decoded("RECURRENCE-ID")): event
        for event in calendar.walk("VEVENT")
        if "RECURRENCE-ID" in event
    }
    shown = []
    for event in calendar.walk("VEVENT"):
        if "RECURRENCE-ID" in event:
            continue
        if "RRULE" not in event:
            shown.append(Occurrence(event, event.decoded("DTSTART"), event.decoded("DTEND", None)))
            continue
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        skipped = set()
        for exdate in (
            event.get("EXDATE", []) if isinstance(event.get("EXDATE"), list) else [event.get("EXDATE")]
        ):
            if exdate is not None:
                skipped |= {value.dt for value in exdate.dts}
        for when in rrulestr(event["RRULE"].to_ical().decode(), dtstart=start):
            if when in skipped:
                continue
            told = overrides.get((str(event["UID"]), when), event)
            shown.append(Occurrence(told, when, when + (end - start)))
    return calendar, shown


@dataclass
class Occurrence:
    """One event on one day, read like the parsed VEVENT it comes from (`event["SUMMARY"]`)."""

    event: object
    start: datetime.datetime | datetime.date
    end: datetime.datetime | datetime.date | None

    def __getitem__(self, key):
        return self.event[key]

    def decoded(self, key, default=None):
        if key == "DTSTART":
            return self.start
        if key == "DTEND":
            return self.end
        return self.event.decoded(key, default)


def _next_monday() -> datetime.date:
    today = timezone.localdate()
    return today + datetime.timedelta(days=7 - today.weekday())


def test_it_makes_an_address_shown_once_and_stores_only_its_hash(school, live, student, as_user):
    client = as_user(student)
    address = _make(client)
    token = address.rsplit("/", 1)[1].removesuffix(".ics")
    assert CalendarFeed.objects.get(user=student).token_hash == hashlib.sha256(token.encode()).hexdigest()
    page = client.get(reverse("timetable:feed_settings")).content.decode()
    assert token not in page
    assert "Make a new address (the old one stops working)" in page


def test_it_gives_a_student_their_lessons_on_term_days_in_the_school_zone(school, live, student, as_user):
    monday = _next_monday()
    f.CalendarEventFactory(name="Founders' Day", start_date=monday, end_date=monday)
    address = _make(as_user(student))
    calendar, events = _events(_feed(as_user(student), address))
    assert [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")] == ["Europe/Madrid"]
    lessons = [event for event in events if str(event["UID"]).startswith("lesson-")]
    starts = {event.decoded("DTSTART") for event in lessons}
    wednesday = monday + datetime.timedelta(days=2)
    # The double: P2 start to P3 end, in Madrid time, in room Lab 1.
    double = next(event for event in lessons if event.decoded("DTSTART").date() == wednesday)
    assert double.decoded("DTSTART").tzinfo.key == "Europe/Madrid"
    assert double.decoded("DTSTART").time() == datetime.time(9, 0)
    assert double.decoded("DTEND").time() == datetime.time(10, 45)
    assert str(double["LOCATION"]) == "Lab 1"
    assert str(double["SUMMARY"]) == "Mathematics"
    # Monday the holiday has no lesson; the Monday after has one; 7B's history is nowhere.
    assert all(start.date() != monday for start in starts)
    assert any(start.date() == monday + datetime.timedelta(days=7) for start in starts)
    assert not [event for event in events if "History" in str(event["SUMMARY"])]
    holiday = next(event for event in events if str(event["SUMMARY"]) == "Founders' Day")
    assert holiday.decoded("DTSTART") == monday
    assert holiday.decoded("DTEND") == monday + datetime.timedelta(days=1)


def test_it_leaves_out_the_days_outside_every_term(school, live, student, as_user):
    monday = _next_monday()
    school.term.end_date = monday - datetime.timedelta(days=1)
    school.term.save()
    address = _make(as_user(student))
    _calendar, events = _events(_feed(as_user(student), address))
    lessons = [event for event in events if str(event["UID"]).startswith("lesson-")]
    assert lessons
    assert all(event.decoded("DTSTART").date() < monday for event in lessons)


def test_it_gives_a_guardian_only_their_childrens_lessons_exams_and_homework(school, live, guardian, as_user):
    monday = _next_monday()
    period = ExamPeriod.objects.create(
        name="Winter exams", term=school.term, start_date=monday, end_date=monday, is_published=True
    )
    for section, subject in ((school.section, "Mathematics"), (school.other_section, "History")):
        slot = ExamSlot.objects.create(
            period=period,
            subject=f.SubjectFactory(name=subject),
            date=monday,
            start_time=datetime.time(11, 0),
            duration_minutes=90,
            room=live.room,
        )
        slot.sections.add(section)
    absence = TeacherAbsence.objects.create(staff=school.teacher_staff, date=monday)
    Cover.objects.create(
        lesson=live.maths_monday, date=monday, absence=absence, teacher=school.other_teacher_staff
    )
    due = timezone.now() + datetime.timedelta(days=3)
    f.AssignmentFactory(offering=school.offering, term=school.term, title="Fractions", due_at=due)
    f.AssignmentFactory(offering=school.other_offering, term=school.term, title="Romans", due_at=due)
    address = _make(as_user(guardian))
    _calendar, events = _events(_feed(as_user(guardian), address))
    summaries = {str(event["SUMMARY"]) for event in events}
    name = school.child.first_name
    assert f"{name}: Mathematics" in summaries
    assert f"{name}: Exam: Mathematics" in summaries
    assert f"{name}: Homework due: Fractions (Mathematics)" in summaries
    assert not [summary for summary in summaries if "History" in summary or "Romans" in summary]
    covered = next(
        event
        for event in events
        if event.decoded("DTSTART").date() == monday and str(event["SUMMARY"]) == f"{name}: Mathematics"
    )
    assert str(covered["DESCRIPTION"]) == f"Covered by {school.other_teacher_staff.full_name}"
    exam = next(event for event in events if str(event["SUMMARY"]).endswith("Exam: Mathematics"))
    assert exam.decoded("DTEND") - exam.decoded("DTSTART") == datetime.timedelta(minutes=90)


def test_it_gives_a_teacher_their_lessons_and_the_ones_they_cover(
    school, live, teacher, other_teacher, as_user
):
    monday = _next_monday()
    absence = TeacherAbsence.objects.create(staff=school.other_teacher_staff, date=monday)
    Cover.objects.create(
        lesson=live.history_monday, date=monday, absence=absence, teacher=school.teacher_staff
    )
    _calendar, events = _events(_feed(as_user(teacher), _make(as_user(teacher))))
    summaries = [(event.decoded("DTSTART").date(), str(event["SUMMARY"])) for event in events]
    assert (monday, "Cover: History · 7B") in summaries
    assert (monday, "Mathematics · 7A") in summaries
    _calendar, events = _events(_feed(as_user(other_teacher), _make(as_user(other_teacher))))
    theirs = [(event.decoded("DTSTART").date(), str(event["SUMMARY"])) for event in events]
    assert (monday, "History · 7B") not in theirs
    assert (monday + datetime.timedelta(days=7), "History · 7B") in theirs


def test_it_answers_not_modified_to_the_same_etag(school, live, student, as_user):
    client = as_user(student)
    address = _make(client)
    first = _feed(client, address)
    assert first.status_code == 200
    assert client.head(address.split("testserver", 1)[1]).status_code == 200
    again = _feed(client, address, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert CalendarFeed.objects.get(user=student).last_used_at is not None


def test_it_stops_an_address_that_was_replaced_or_revoked(school, live, student, as_user):
    client = as_user(student)
    old = _make(client)
    new = _make(as_user(student))
    assert _feed(client, old).status_code == 404
    assert _feed(client, new).status_code == 200
    response = as_user(student).post(reverse("timetable:feed_revoke"), follow=True)
    assert "Your calendar address no longer works." in response.content.decode()
    assert _feed(client, new).status_code == 404
    assert not CalendarFeed.objects.filter(user=student).exists()


def test_it_answers_404_to_an_unknown_token(client, db):
    assert client.get(reverse("timetable:feed", args=["not-a-real-token"])).status_code == 404


def test_it_asks_a_visitor_to_sign_in_and_refuses_a_get_to_make(client, student, as_user):
    response = client.get(reverse("timetable:feed_settings"))
    assert response.status_code == 302
    assert as_user(student).get(reverse("timetable:feed_make")).status_code == 405
    assert as_user(student).get(reverse("timetable:feed_revoke")).status_code == 405


def _more_of_everything(school, live) -> None:
    """A second child in the other section (a guardian's), and ten more lessons, some co-taught by the
    other teacher, with their homework."""
    f.EnrollmentFactory(
        student=f.GuardianLinkFactory(guardian=school.guardian_profile).student, section=school.other_section
    )
    for n in range(10):
        offering = f.CourseOfferingFactory(section=school.section, teacher=school.teacher_staff)
        if n % 3 == 0:
            requirement = Requirement.objects.create(offering=offering, periods_per_week=1)
            requirement.co_teachers.add(school.other_teacher_staff)
        Lesson.objects.create(
            timetable=live.timetable,
            offering=offering,
            teacher=offering.teacher,
            weekday=n % 5,
            period=live.periods[2],
        )
        f.AssignmentFactory(
            offering=offering, term=school.term, due_at=timezone.now() + datetime.timedelta(days=n)
        )


# A feed built afresh (modules/timetable/feeds.py), polled by a calendar (no session): the address with its
# user and their profiles, the children and their enrolments (a guardian's), the timetables, the lessons,
# their covers, the exam sittings (with their sections once a family has some), the homework; the same
# with a second child and ten more lessons, some co-taught (their co-teachers: one query more). The school
# calendar, the terms and the teaching periods were read by the first feed: they are the school's frame,
# kept in the cache (modules/timetable/selectors.py school_frame).
@pytest.mark.parametrize(("persona", "expected"), [("guardian", 8), ("teacher", 6)])
def test_it_builds_a_feed_in_a_fixed_number_of_queries(
    school, live, as_user, request, queries_exactly, persona, expected
):
    token = _make(as_user(request.getfixturevalue(persona))).rsplit("/", 1)[1].removesuffix(".ics")
    path = reverse("timetable:feed", args=[token])
    feed = feeds.feed_for_token(token)
    calendar = Client()
    calendar.get(path)  # the first poll of the hour notes when the address was used
    cache.delete(feeds.feed_cache_key(feed, timezone.localdate()))
    with queries_exactly(expected):
        first = calendar.get(path)
    _more_of_everything(school, live)
    cache.delete(feeds.feed_cache_key(feed, timezone.localdate()))
    with queries_exactly(expected + 1):
        again = calendar.get(path)
    assert len(_events(again)[1]) > len(_events(first)[1])


def test_it_leaves_out_a_holiday_added_after_a_feed_was_built(school, live, student, as_user):
    token = _make(as_user(student)).rsplit("/", 1)[1].removesuffix(".ics")
    path = reverse("timetable:feed", args=[token])
    monday = _next_monday()
    calendar = Client()
    _calendar, events = _events(calendar.get(path))
    assert monday in {event.decoded("DTSTART").date() for event in events}
    f.CalendarEventFactory(name="Snow day", kind="closure", start_date=monday, end_date=monday)
    cache.delete(feeds.feed_cache_key(feeds.feed_for_token(token), timezone.localdate()))
    _calendar, events = _events(calendar.get(path))
    assert "Snow day" in {str(event["SUMMARY"]) for event in events}
    lessons = [event for event in events if str(event["UID"]).startswith("lesson-")]
    assert monday not in {event.decoded("DTSTART").date() for event in lessons}
