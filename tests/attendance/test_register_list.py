"""The day's registers: a teacher sees theirs with their state, the office sees all with filters; weekends,
closures and days to come have none."""

from __future__ import annotations

import datetime

import pytest
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from modules.attendance.models import Register
from tests import factories as f

pytestmark = pytest.mark.django_db
LIST = reverse("attendance:register_list")


def school_day() -> datetime.date:
    """The latest weekday up to today (registers exist on weekdays only)."""
    day = timezone.localdate()
    while day.weekday() >= 5:
        day -= datetime.timedelta(days=1)
    return day


def on(day: datetime.date) -> str:
    return f"{LIST}?date={day:%Y-%m-%d}"


def test_it_lists_the_teachers_register_for_the_day_with_its_state(as_user, teacher, school):
    response = as_user(teacher).get(on(school_day()))
    assert response.status_code == 200
    # The main region only: the CSRF token in <body hx-headers> is random and may spell "7B".
    page = response.content.decode().split('id="main"', 1)[1]
    register = Register.objects.get(section=school.section, date=school_day())
    assert reverse("attendance:register_detail", args=[register.pk]) in page
    assert "7A" in page
    assert "Not taken" in page
    assert "7B" not in page  # the other teacher's homeroom


def test_it_shows_progress_and_absences(as_user, teacher, school):
    register = f.RegisterFactory(section=school.section, date=school_day(), state="submitted")
    f.AttendanceRecordFactory(register=register, student=school.child, status="absent")
    page = as_user(teacher).get(on(school_day())).content.decode()
    assert "Submitted" in page
    assert "1 absent" in page


def test_it_lists_every_register_for_the_office_and_filters_them(as_user, admin, school):
    client = as_user(admin)
    page = client.get(on(school_day())).content.decode()
    assert "7A" in page
    assert "7B" in page
    Register.objects.filter(section=school.section).update(state="submitted")
    page = client.get(f"{on(school_day())}&state=not_taken").content.decode()
    assert "7B" in page
    assert ">7A<" not in page
    other_grade = f.GradeLevelFactory(name="Grade 9", order=9)
    page = client.get(f"{on(school_day())}&grade_level={other_grade.pk}").content.decode()
    assert "No registers on this day" in page


def test_it_has_no_registers_on_a_closure(as_user, teacher, school):
    f.CalendarEventFactory(name="Snow day", kind="closure", start_date=school_day(), end_date=school_day())
    page = as_user(teacher).get(on(school_day())).content.decode()
    assert "No registers on this day" in page
    assert not Register.objects.exists()


def test_it_has_no_registers_on_a_weekend(as_user, teacher, school):
    saturday = school_day() - datetime.timedelta(days=school_day().weekday() + 2)
    page = as_user(teacher).get(on(saturday)).content.decode()
    assert "No registers on this day" in page
    assert not Register.objects.exists()


def test_it_does_not_open_registers_for_a_day_to_come(as_user, teacher, school):
    page = as_user(teacher).get(on(timezone.localdate() + datetime.timedelta(days=3))).content.decode()
    assert "That day has not come yet" in page
    assert not Register.objects.exists()


def test_it_says_when_the_date_is_not_a_date(as_user, teacher, school):
    response = as_user(teacher).get(f"{LIST}?date=31/31/2020")
    assert response.status_code == 200
    assert "Enter a date as YYYY-MM-DD." in response.content.decode()


@pytest.mark.parametrize("persona", ["guardian", "student", "bursar"])
def test_it_refuses_people_who_take_no_register(persona, request, as_user, school):
    assert as_user(request.getfixturevalue(persona)).get(LIST).status_code == 403


def test_it_sends_a_visitor_to_log_in(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert reverse("account_login") in response.url


def test_it_refuses_a_post(as_user, teacher):
    assert as_user(teacher).post(LIST).status_code == 405


def test_it_lists_the_whole_school_in_a_fixed_number_of_queries(as_user, admin, school):
    from django.db import connection

    client = as_user(admin)
    client.get(on(school_day()))
    with CaptureQueriesContext(connection) as two_sections:
        client.get(on(school_day()))
    for _ in range(5):
        f.SectionFactory(year=school.year, grade_level=school.section.grade_level)
    client.get(on(school_day()))  # creates the new sections' registers
    with CaptureQueriesContext(connection) as seven_sections:
        page = client.get(on(school_day())).content.decode()
    assert page.count('<i class="bi bi-circle"') == 7  # seven "Not taken" badges
    assert len(seven_sections) == len(two_sections)
