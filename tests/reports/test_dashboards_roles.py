"""Every role's dashboard at /reports/ renders, for the role the person acts in; visitors sign in first."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories as f
from tests.reports.test_charts import chart_titles

URL = "/reports/"


def test_it_is_the_reports_entry():
    assert reverse("reports:dashboard") == URL


@pytest.mark.parametrize(
    ("persona", "heading", "charts"),
    [
        (
            "admin",
            "School dashboard",
            [
                "Attendance rate by week",
                "Absence today by grade level",
                "Chronically absent students by term",
                "Enrolment by grade level",
                "Marks published against due",
                "Fees billed and collected by month",
                "Overdue by age",
            ],
        ),
        (
            "bursar",
            "Fees dashboard",
            ["Payments received by day and method", "Owed by days past due", "Falling due by week"],
        ),
        ("teacher", "My classes", ["7A: attendance rate by month"]),
        ("guardian", "Progress", ["Attendance rate by week this term", "Term average by subject"]),
        ("student", "Progress", ["Attendance rate by week this term", "Term average by subject"]),
    ],
)
def test_it_shows_each_role_its_dashboard(
    weekday, school, admin, bursar, as_user, request, persona, heading, charts
):
    response = as_user(request.getfixturevalue(persona)).get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{heading}</h1>" in html
    assert chart_titles(html) == charts


def test_it_tells_an_account_without_a_role_there_is_no_dashboard(db, as_user):
    response = as_user(f.UserFactory()).get(URL)

    assert response.status_code == 200
    assert "no role at the school yet" in response.content.decode()


def test_it_sends_visitors_to_log_in(db, client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_it_answers_only_get(school, admin, as_user):
    assert as_user(admin).post(URL).status_code == 405


def test_it_shows_the_dashboard_of_the_role_chosen(weekday, school, teacher, guardian, as_user):
    """A teacher who is also a parent sees the parent's dashboard after switching role."""
    f.GuardianLinkFactory(
        student=school.other_child,
        guardian=f.GuardianFactory(user=teacher, first_name="Tom", last_name="Teach"),
        is_primary=False,
    )
    client = as_user(teacher)
    assert "<h1>My classes</h1>" in client.get(URL).content.decode()
    session = client.session
    session["active_role"] = "guardian"
    session.save()

    html = client.get(URL).content.decode()
    assert "<h1>Progress</h1>" in html
    assert "Olive Elsewhere" in html
    assert "Sam Parent" not in html


def test_it_shows_the_office_the_fee_figures_without_a_current_year(db, admin, as_user):
    response = as_user(admin).get(URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert "No academic year is current: only the fee figures can be shown." in html
    assert chart_titles(html) == ["Overdue by age"]
    assert "Nothing is overdue." in html


@pytest.mark.parametrize(
    ("persona", "told"),
    [
        ("teacher", "No academic year is current."),
        ("guardian", "No child is linked to your account yet."),
        ("student", "No term is running: the charts return when the next term starts."),
    ],
)
def test_it_tells_the_others_when_there_is_nothing_to_draw(
    db, teacher, guardian, student, as_user, request, persona, told
):
    html = as_user(request.getfixturevalue(persona)).get(URL).content.decode()

    assert chart_titles(html) == []
    assert told in html
