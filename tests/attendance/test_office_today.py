"""The office's live page of today's registers not yet taken, and the nudge to their teachers."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from modules.attendance.models import AttendancePolicy, Register
from modules.communications.models import Delivery, Notification
from modules.core.models import AuditEvent
from modules.timetable.models import Cover, TeacherAbsence
from tests import factories as f

pytestmark = pytest.mark.django_db
PAGE = reverse("attendance:office_today")
# Exactly: user, closures today, sections, the day's registers (existing, created, listed), nudges, the bell's
# unread count: not one per register (the session comes from the cache).
QUERIES = 8
# Per lesson: user, closures today, the day's lessons, the day's registers (existing, created, listed), the
# lessons and covers of their takers, nudges, the bell's unread count.
LESSON_QUERIES = 10


@pytest.fixture
def school_day(monkeypatch) -> datetime.date:
    """Today, or the Friday before when the tests run at a weekend (weekends have no registers)."""
    real = timezone.localdate()
    if real.weekday() < 5:
        return real
    friday = real - datetime.timedelta(days=real.weekday() - 4)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: friday)
    return friday


def nudge_url(register) -> str:
    return reverse("attendance:office_nudge", kwargs={"pk": register.pk})


def todays(section, day):
    return Register.objects.get(section=section, date=day)


def test_it_lists_todays_registers_not_yet_taken_with_their_teachers(as_user, admin, school, school_day):
    page = as_user(admin).get(PAGE)
    assert page.status_code == 200
    text = page.content.decode()
    assert "7A" in text
    assert "7B" in text
    assert "Tom Teach" in text
    assert "Olga Other" in text
    assert 'hx-trigger="every 30s"' in text  # refreshes itself
    assert f'href="{PAGE}"' in text  # and a refresh link without JavaScript
    assert page.context["board"].total == 2
    assert page.context["board"].not_started == 2
    # Each row opens its register.
    for section in (school.section, school.other_section):
        register = todays(section, school_day)
        assert f'href="{reverse("attendance:register_detail", kwargs={"pk": register.pk})}"' in text


def test_it_drops_submitted_registers_and_counts_them(as_user, admin, teacher, school, school_day):
    as_user(admin).get(PAGE)
    register = todays(school.section, school_day)
    Register.objects.filter(pk=register.pk).update(state="submitted", submitted_at=timezone.now())
    Register.objects.filter(section=school.other_section).update(
        state="in_progress", started_at=timezone.now()
    )
    page = as_user(admin).get(PAGE)
    board = page.context["board"]
    assert (board.total, board.submitted, board.in_progress, board.not_started) == (2, 1, 1, 0)
    rows = [row.register.section.name for row in board.rows]
    assert rows == ["7B"]
    assert "In progress" in page.content.decode()


def test_it_answers_the_poll_with_the_board_fragment_only(as_user, admin, school, school_day):
    page = as_user(admin).get(PAGE, headers={"HX-Request": "true"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "<html" not in text
    assert "7A" in text
    assert "HX-Request" in page.headers["Vary"]


def test_it_shows_no_registers_on_a_closure(as_user, admin, school, school_day):
    f.CalendarEventFactory(start_date=school_day, end_date=school_day, kind="closure")
    page = as_user(admin).get(PAGE)
    assert "No registers today" in page.content.decode()
    assert not Register.objects.exists()


def test_it_works_for_lesson_registers(as_user, admin, school, school_day):
    policy = AttendancePolicy.load()
    policy.mode = "lesson"
    policy.save()
    period = f.PeriodFactory(name="Period 3")
    f.LessonFactory(offering=school.offering, weekday=school_day.weekday(), period=period)
    page = as_user(admin).get(PAGE)
    text = page.content.decode()
    assert "Period 3" in text
    assert "Mathematics" in text
    assert "Tom Teach" in text


def _lesson_mode():
    policy = AttendancePolicy.load()
    policy.mode = "lesson"
    policy.save()


def test_it_lists_a_covered_lesson_under_its_covering_teacher_and_nudges_them(
    as_user, admin, teacher, other_teacher, school, school_day, django_capture_on_commit_callbacks
):
    _lesson_mode()
    lesson = f.LessonFactory(offering=school.offering, weekday=school_day.weekday(), period=f.PeriodFactory())
    absence = TeacherAbsence.objects.create(staff=school.teacher_staff, date=school_day)
    Cover.objects.create(lesson=lesson, date=school_day, absence=absence, teacher=school.other_teacher_staff)
    client = as_user(admin)
    row = client.get(PAGE).context["board"].rows[0]
    assert (row.teacher, row.covering) == (school.other_teacher_staff, True)
    text = client.get(PAGE).content.decode()
    assert "Olga Other" in text
    assert "Cover" in text
    assert "Tom Teach" not in text
    with django_capture_on_commit_callbacks(execute=True):
        client.post(nudge_url(row.register))
    assert list(Notification.objects.values_list("recipient", flat=True)) == [other_teacher.pk]


def test_it_keeps_the_same_number_of_queries_for_more_lessons(
    as_user, admin, school, school_day, queries_exactly
):
    _lesson_mode()
    period = f.PeriodFactory()
    f.LessonFactory(offering=school.offering, weekday=school_day.weekday(), period=period)
    client = as_user(admin)
    client.get(PAGE)
    with queries_exactly(LESSON_QUERIES):
        client.get(PAGE)
    for number in range(6):
        section = f.SectionFactory(year=school.year, name=f"8{number}")
        f.LessonFactory(
            offering=f.CourseOfferingFactory(section=section), weekday=school_day.weekday(), period=period
        )
    client.get(PAGE)
    with queries_exactly(LESSON_QUERIES):
        page = client.get(PAGE)
    assert page.context["board"].total == 7


def test_it_refuses_everyone_but_the_office(as_user, teacher, guardian, bursar, client, school):
    for user in (teacher, guardian, bursar):
        assert as_user(user).get(PAGE).status_code == 403
    client.logout()
    assert client.get(PAGE).status_code == 302


def test_it_refuses_a_post_to_the_page_and_a_get_to_the_nudge(as_user, admin, school, school_day):
    register = f.RegisterFactory(section=school.section, date=school_day)
    assert as_user(admin).post(PAGE).status_code == 405
    assert as_user(admin).get(nudge_url(register)).status_code == 405


def test_it_nudges_the_teacher_once(
    as_user, admin, teacher, school, school_day, django_capture_on_commit_callbacks, mailoutbox
):
    register = f.RegisterFactory(section=school.section, date=school_day)
    client = as_user(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(nudge_url(register), follow=True)
    text = response.content.decode()
    assert "The teacher of 7A was reminded at" in text
    assert "Nudged at" in text
    notification = Notification.objects.get(recipient=teacher, kind="register_reminder")
    assert notification.title == "Please take the register for 7A"
    assert [message.to for message in mailoutbox] == [["teacher@school.test"]]
    assert not Delivery.objects.filter(channel="sms").exists()

    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(nudge_url(register), follow=True)
    assert "was already reminded at" in again.content.decode()
    assert Notification.objects.filter(kind="register_reminder").count() == 1
    assert len(mailoutbox) == 1
    assert AuditEvent.objects.filter(action="attendance.nudge").count() == 1


def test_it_swaps_the_board_back_after_a_nudge_from_htmx(as_user, admin, teacher, school, school_day):
    register = f.RegisterFactory(section=school.section, date=school_day)
    response = as_user(admin).post(nudge_url(register), headers={"HX-Request": "true"})
    text = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in text
    assert "was reminded at" in text
    assert "Nudged at" in text


def test_it_refuses_to_nudge_a_submitted_register_or_one_without_teacher(as_user, admin, school, school_day):
    submitted = f.RegisterFactory(section=school.section, date=school_day, state="submitted")
    response = as_user(admin).post(nudge_url(submitted), follow=True)
    assert "has been submitted already" in response.content.decode()
    orphan = f.SectionFactory(year=school.year, name="7C", homeroom_teacher=None)
    register = f.RegisterFactory(section=orphan, date=school_day)
    response = as_user(admin).post(nudge_url(register), follow=True)
    assert "No teacher is assigned" in response.content.decode()
    assert not Notification.objects.exists()
    assert as_user(admin).post(reverse("attendance:office_nudge", kwargs={"pk": 999_999})).status_code == 404


def test_it_keeps_the_same_number_of_queries_for_more_sections(
    as_user, admin, school, school_day, queries_exactly
):
    client = as_user(admin)
    client.get(PAGE)  # registers created; later loads only read
    with queries_exactly(QUERIES):
        client.get(PAGE)
    for number in range(12):
        staff = f.StaffFactory()
        f.SectionFactory(year=school.year, name=f"8{number}", homeroom_teacher=staff)
    client.get(PAGE)
    with queries_exactly(QUERIES):
        page = client.get(PAGE)
    assert page.context["board"].total == 14
