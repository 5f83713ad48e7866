from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from modules.academics.models import CalendarEvent
from tests import factories as f

URL = reverse("academics:calendar")


def test_it_shows_a_month_with_closures_marked(office, school):
    f.CalendarEventFactory(
        name="Spring break",
        kind="holiday",
        start_date=datetime.date(2031, 3, 10),
        end_date=datetime.date(2031, 3, 14),
    )
    f.CalendarEventFactory(
        name="Sports day",
        kind="event",
        start_date=datetime.date(2031, 3, 20),
        end_date=datetime.date(2031, 3, 20),
    )
    response = office.get(URL, {"month": "2031-03"})
    page = response.content.decode()
    assert "March 2031" in page
    assert "Spring break" in page
    assert "Sports day" in page
    days = response.context["days"]
    assert len(days) == 31
    closed = [day["date"].day for day in days if day["is_closed"]]
    assert closed == [10, 11, 12, 13, 14]
    assert days[19]["events"][0].name == "Sports day"
    assert not days[19]["is_closed"]
    assert response.context["closed_count"] == 5
    assert "5 days with no lessons" in page


def test_it_links_to_the_previous_and_next_months(office, school):
    page = office.get(URL, {"month": "2031-01"}).content.decode()
    assert "?month=2030-12" in page
    assert "?month=2031-02" in page


def test_it_shows_an_event_that_runs_across_months(office, school):
    f.CalendarEventFactory(
        name="Winter break",
        kind="closure",
        start_date=datetime.date(2030, 12, 22),
        end_date=datetime.date(2031, 1, 3),
    )
    days = office.get(URL, {"month": "2031-01"}).context["days"]
    assert [day["date"].day for day in days if day["is_closed"]] == [1, 2, 3]


def test_it_falls_back_to_this_month_for_a_bad_month(office, school):
    this_month = timezone.localdate().replace(day=1)
    for bad in ["nonsense", "2031-13", "0001-01"]:
        assert office.get(URL, {"month": bad}).context["month"] == this_month


def test_it_answers_htmx_with_the_month_fragment(office, school):
    response = office.get(URL, {"month": "2031-03"}, headers={"HX-Request": "true"})
    assert "March 2031" in response.content.decode()
    assert "<html" not in response.content.decode()
    assert "HX-Request" in response["Vary"]


def test_it_shows_the_month_in_a_fixed_number_of_queries(office, school, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        office.get(URL, {"month": "2031-03"})
    for day in range(1, 28):
        f.CalendarEventFactory(
            name=f"Event {day}", start_date=datetime.date(2031, 3, day), end_date=datetime.date(2031, 3, day)
        )
    with django_assert_max_num_queries(5):
        office.get(URL, {"month": "2031-03"})


def test_it_adds_a_closure_over_several_days(office, school):
    assert office.get(reverse("academics:event_create"), {"date": "2031-05-02"}).context["form"].initial == {
        "start_date": datetime.date(2031, 5, 2),
        "end_date": datetime.date(2031, 5, 2),
    }
    data = {
        "name": "Strike",
        "kind": "closure",
        "start_date": "2031-05-02",
        "end_date": "2031-05-05",
        "notes": "",
    }
    response = office.post(reverse("academics:event_create"), data)
    assert response["Location"] == f"{URL}?month=2031-05"
    assert CalendarEvent.objects.get(name="Strike").end_date == datetime.date(2031, 5, 5)


def test_it_refuses_an_event_that_ends_before_it_starts(office, school):
    data = {"name": "Odd", "kind": "event", "start_date": "2031-05-05", "end_date": "2031-05-02", "notes": ""}
    response = office.post(reverse("academics:event_create"), data)
    page = response.content.decode()
    assert "The last day cannot be before the first day." in page
    assert "Constraint" not in page
    assert not CalendarEvent.objects.exists()


def test_it_edits_and_deletes_an_event(office, school):
    event = f.CalendarEventFactory(start_date=datetime.date(2031, 6, 1), end_date=datetime.date(2031, 6, 1))
    data = {
        "name": "Founders' Day (moved)",
        "kind": "holiday",
        "start_date": "2031-06-02",
        "end_date": "2031-06-02",
    }
    office.post(reverse("academics:event_edit", args=[event.pk]), data)
    event.refresh_from_db()
    assert event.name == "Founders' Day (moved)"
    delete = reverse("academics:event_delete", args=[event.pk])
    assert office.get(delete).status_code == 405
    response = office.post(delete)
    assert response["Location"] == f"{URL}?month=2031-06"
    assert not CalendarEvent.objects.exists()


def test_it_refuses_other_roles(as_user, school, teacher, guardian):
    event = f.CalendarEventFactory()
    assert as_user(teacher).get(URL).status_code == 403
    assert as_user(guardian).post(reverse("academics:event_delete", args=[event.pk])).status_code == 403
    assert CalendarEvent.objects.exists()


def test_it_answers_404_for_an_unknown_event(office, school):
    assert office.get(reverse("academics:event_edit", args=[9999])).status_code == 404
