"""The teacher's home lists today's registers with their state, one tap from each."""

from __future__ import annotations

import pytest
from django.urls import reverse

from modules.attendance.models import AttendancePolicy, Register
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_it_lists_todays_register_with_its_state(as_user, teacher, school, weekday):
    page = as_user(teacher).get(reverse("home")).content.decode()
    register = Register.objects.get(section=school.section, date=weekday)
    assert "Today's registers" in page
    assert reverse("attendance:register_detail", args=[register.pk]) in page
    assert "Register 7A" in page
    assert "Not taken" in page
    assert "Register 7B" not in page
    register.state = "submitted"
    register.save()
    assert "Submitted" in as_user(teacher).get(reverse("home")).content.decode()


def test_it_lists_a_teachers_lessons_in_per_lesson_mode(as_user, teacher, school, weekday):
    AttendancePolicy.objects.create(mode="lesson")
    period = f.PeriodFactory(name="Period 2")
    f.TimetableEntryFactory(offering=school.offering, period=period, weekday=weekday.weekday())
    f.TimetableEntryFactory(offering=school.other_offering, period=period, weekday=weekday.weekday())
    page = as_user(teacher).get(reverse("home")).content.decode()
    register = Register.objects.get(offering=school.offering, date=weekday)
    assert reverse("attendance:register_detail", args=[register.pk]) in page
    assert "Mathematics · 7A" in page
    assert "Period 2" in page
    assert "History · 7B" not in page


def test_it_lists_no_register_on_a_closure(as_user, teacher, school, weekday):
    f.CalendarEventFactory(name="Snow day", kind="closure", start_date=weekday, end_date=weekday)
    page = as_user(teacher).get(reverse("home")).content.decode()
    assert "Today's registers" not in page
    assert not Register.objects.exists()


def test_it_keeps_the_home_within_its_query_budget(
    as_user, teacher, school, weekday, django_assert_max_num_queries
):
    client = as_user(teacher)
    client.get(reverse("home"))  # creates today's registers
    with django_assert_max_num_queries(12):
        assert client.get(reverse("home")).status_code == 200
