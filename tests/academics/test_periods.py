from __future__ import annotations

from django.urls import reverse

from modules.academics.models import Period
from tests import factories as f


def test_it_creates_a_period_suggesting_the_next_order(office, school):
    f.PeriodFactory(order=1)
    assert office.get(reverse("academics:period_create")).context["form"].initial["order"] == 2
    data = {"order": 2, "name": "Second", "start_time": "09:00", "end_time": "09:45"}
    assert office.post(reverse("academics:period_create"), data).status_code == 302
    assert Period.objects.get(order=2).name == "Second"


def test_it_refuses_a_period_that_ends_before_it_starts(office, school):
    data = {"order": 1, "name": "Odd", "start_time": "10:00", "end_time": "09:00"}
    response = office.post(reverse("academics:period_create"), data)
    page = response.content.decode()
    assert "The period must end after it starts." in page
    assert "Constraint" not in page
    assert not Period.objects.exists()


def test_it_refuses_two_periods_in_the_same_place(office, school):
    f.PeriodFactory(order=1)
    data = {"order": 1, "name": "Dup", "start_time": "10:00", "end_time": "10:45"}
    response = office.post(reverse("academics:period_create"), data)
    assert "Period with this Order already exists." in response.content.decode()
    assert Period.objects.count() == 1


def test_it_lists_and_edits_periods(office, school, django_assert_max_num_queries):
    period = f.PeriodFactory(name="Registration")
    for _ in range(8):
        f.PeriodFactory()
    with django_assert_max_num_queries(5):
        response = office.get(reverse("academics:period_list"))
    assert "Registration" in response.content.decode()
    data = {"order": period.order, "name": "Form time", "start_time": "08:00", "end_time": "08:20"}
    office.post(reverse("academics:period_edit", args=[period.pk]), data)
    period.refresh_from_db()
    assert period.name == "Form time"


def test_it_refuses_teachers(as_user, school, teacher):
    assert as_user(teacher).get(reverse("academics:period_list")).status_code == 403
