"""Attendance analytics: rates by section, grade, weekday and month, and chronic absence, on a small
hand-made week; the school-wide page and a section's page, with access and constant query counts."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from modules.attendance.analytics import ReportPeriod, attendance_overview, section_report
from tests.attendance.reports_helpers import daily_registers, mark, past_section, pupils

MON, TUE, WED, THU = (datetime.date(2024, 3, day) for day in (11, 12, 13, 14))
WEEK = ReportPeriod(start=MON, end=datetime.date(2024, 3, 15))
PERIOD = {"start": "2024-03-11", "end": "2024-03-15"}


@pytest.fixture
def week(school, teacher, other_teacher):
    """7A (teacher): Amy always present, Bob absent Mon/Tue and excused Wed, Cal late Mon; Thursday's
    register was never taken. 7B (other_teacher): Dee present Mon, absent Tue. 8A: Eve present Mon."""
    a = past_section("P7A", teacher=teacher)
    b = past_section("P7B", teacher=other_teacher)
    c = past_section("P8A", grade="Grade 8", order=8)
    amy, bob, cal = pupils(a, "Amy Able", "Bob Brook", "Cal Crane")
    (dee,) = pupils(b, "Dee Dune")
    (eve,) = pupils(c, "Eve Elm")
    registers_a = daily_registers(a, [MON, TUE, WED, THU])
    mark(
        {day: registers_a[day] for day in (MON, TUE, WED)},
        {(bob, MON): "absent", (bob, TUE): "absent", (bob, WED): "excused", (cal, MON): "late"},
        students=[amy, bob, cal],
    )
    mark(daily_registers(b, [MON, TUE]), {(dee, TUE): "absent"}, students=[dee])
    mark(daily_registers(c, [MON]), {}, students=[eve])
    return {
        "sections": [a, b, c],
        "a": a,
        "b": b,
        "students": {"amy": amy, "bob": bob, "cal": cal, "dee": dee},
    }


def _overview(week, threshold="10"):
    return attendance_overview(
        sections=week["sections"], period=WEEK, mode="daily", threshold=Decimal(threshold), whole_school=True
    )


def test_it_computes_rates_by_section_grade_weekday_and_month(week):
    overview = _overview(week)

    assert (overview.total.possible, overview.total.attended, overview.total.rate) == (12, 8, Decimal("66.7"))
    assert overview.school_days == 3  # Thursday's register has no records
    assert [(r.label, r.tally.rate, r.days) for r in overview.by_section] == [
        ("P7A", Decimal("66.7"), 3),
        ("P7B", Decimal("50.0"), 2),
        ("P8A", Decimal("100.0"), 1),
    ]
    assert [(r.label, r.tally.possible, r.tally.rate) for r in overview.by_grade] == [
        ("Grade 7", 11, Decimal("63.6")),
        ("Grade 8", 1, Decimal("100.0")),
    ]
    assert [(r.label, r.tally.rate) for r in overview.by_weekday] == [
        ("Monday", Decimal("80.0")),
        ("Tuesday", Decimal("50.0")),
        ("Wednesday", Decimal("66.7")),
    ]
    assert [(r.label, r.tally.rate) for r in overview.by_month] == [("March 2024", Decimal("66.7"))]


def test_it_lists_students_missing_at_least_the_threshold_worst_first(week):
    chronic = _overview(week).chronic
    assert [(line.student.first_name, line.tally.missed_percent) for line in chronic] == [
        ("Bob", Decimal("100.0")),
        ("Dee", Decimal("50.0")),
    ]
    assert chronic[0].section.name == "P7A"
    assert [line.student.first_name for line in _overview(week, "60").chronic] == ["Bob"]
    # Exactly at the threshold counts: Dee missed 1 of 2 days.
    assert [line.student.first_name for line in _overview(week, "50").chronic] == ["Bob", "Dee"]


def test_it_reports_a_section_per_student(week):
    report = section_report(section=week["a"], period=WEEK, mode="daily", threshold=Decimal("10"))
    lines = {line.student.first_name: line for line in report.students}
    assert (lines["Amy"].tally.present, lines["Amy"].tally.rate, lines["Amy"].chronic) == (
        3,
        Decimal("100.0"),
        False,
    )
    assert (lines["Bob"].tally.absent, lines["Bob"].tally.excused, lines["Bob"].chronic) == (2, 1, True)
    assert (lines["Cal"].tally.late, lines["Cal"].tally.rate) == (1, Decimal("100.0"))
    assert report.school_days == 3
    assert report.chronic_count == 1


def _queries(callable_) -> int:
    with CaptureQueriesContext(connection) as captured:
        callable_()
    return len(captured)


def test_it_uses_the_same_number_of_queries_for_5_and_40_students(week):
    section = week["a"]
    few = _queries(lambda: _overview(week))
    few_section = _queries(
        lambda: section_report(section=section, period=WEEK, mode="daily", threshold=Decimal(10))
    )
    many = pupils(section, *[f"Kid{n} Many{n}" for n in range(35)])
    mark(
        {day: section.registers.get(date=day) for day in (MON, TUE, WED)},
        {(many[0], MON): "absent", (many[1], TUE): "absent"},
        students=many,
    )
    assert _queries(lambda: _overview(week)) == few
    assert _queries(
        lambda: section_report(section=section, period=WEEK, mode="daily", threshold=Decimal(10))
    ) == (few_section)


# --- the pages ------------------------------------------------------------------------------------------


def test_it_shows_the_office_the_whole_school(week, admin, as_user):
    response = as_user(admin).get(reverse("attendance:reports_overview"), PERIOD)
    assert response.status_code == 200
    page = response.content.decode()
    for text in ["66.7%", "P7A", "P7B", "P8A", "Grade 8", "Monday", "March 2024", "Bob Brook", "Dee Dune"]:
        assert text in page
    assert "Chronic absence" in page


def test_it_shows_a_teacher_only_their_homeroom_sections(week, teacher, as_user):
    response = as_user(teacher).get(reverse("attendance:reports_overview"), PERIOD)
    page = response.content.decode()
    assert response.status_code == 200
    assert "P7A" in page
    assert "Bob Brook" in page
    assert "P7B" not in page
    assert "Dee Dune" not in page
    assert "P8A" not in page


def test_it_tells_a_teacher_without_a_homeroom_section_there_is_nothing(week, admin, as_user, db):
    from tests.conftest import _staff

    newcomer = _staff("newcomer@school.test", "teacher", "Nia", "New")
    response = as_user(newcomer).get(reverse("attendance:reports_overview"), PERIOD)
    assert response.status_code == 200
    assert "No sections to report on" in response.content.decode()


def test_it_refuses_families_students_and_the_bursar(week, guardian, student, bursar, as_user):
    url = reverse("attendance:reports_overview")
    for persona in (guardian, student, bursar):
        assert as_user(persona).get(url).status_code == 403
    section_url = reverse("attendance:reports_section", kwargs={"pk": week["a"].pk})
    assert as_user(guardian).get(section_url).status_code == 403


def test_it_sends_visitors_to_log_in(week, client):
    response = client.get(reverse("attendance:reports_overview"))
    assert response.status_code == 302
    assert "login" in response.headers["Location"]


def test_it_answers_only_get(week, admin, as_user):
    assert as_user(admin).post(reverse("attendance:reports_overview")).status_code == 405
    url = reverse("attendance:reports_section", kwargs={"pk": week["a"].pk})
    assert as_user(admin).post(url).status_code == 405


def test_it_explains_a_bad_period(week, admin, as_user):
    url = reverse("attendance:reports_overview")
    response = as_user(admin).get(url, {"start": "2024-03-15", "end": "2024-03-11"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "The period must end on or after its first day." in page
    assert "Bob Brook" not in page
    response = as_user(admin).get(url, {"start": "2024-03-15"})
    assert "Give both dates of the period, or neither." in response.content.decode()
    response = as_user(admin).get(url, {**PERIOD, "threshold": "250"})
    assert "Ensure this value is less than or equal to 100" in response.content.decode()


def test_it_takes_the_threshold_from_the_page(week, admin, as_user):
    response = as_user(admin).get(reverse("attendance:reports_overview"), {**PERIOD, "threshold": "60"})
    page = response.content.decode()
    assert "at least 60% of the days marked" in page
    assert "Bob Brook" in page
    assert "Dee Dune" not in page


def test_it_swaps_only_the_report_for_htmx(week, admin, as_user):
    response = as_user(admin).get(
        reverse("attendance:reports_overview"), PERIOD, headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert "P7A" in page
    assert "HX-Request" in response.headers["Vary"]


def test_it_shows_a_section_to_its_homeroom_teacher_and_the_office(week, teacher, admin, as_user):
    url = reverse("attendance:reports_section", kwargs={"pk": week["a"].pk})
    for persona in (teacher, admin):
        response = as_user(persona).get(url, PERIOD)
        page = response.content.decode()
        assert response.status_code == 200
        assert "Brook, Bob" in page
        assert "Missed 100.0%" in page
        assert "Able, Amy" in page
        assert "Attendance rate 66.7% over 3 school days marked." in page


def test_it_hides_another_teachers_section(week, other_teacher, as_user):
    url = reverse("attendance:reports_section", kwargs={"pk": week["a"].pk})
    assert as_user(other_teacher).get(url).status_code == 404
    assert (
        as_user(other_teacher).get(reverse("attendance:reports_section", kwargs={"pk": 999999})).status_code
        == 404
    )


def test_it_pins_the_queries_of_the_pages(week, admin, as_user, queries_exactly):
    client = as_user(admin)
    # The overview of a period that is not a term: user, policy (read and made), sections, the registers'
    # tallies by section and by day, the registers (for those still being taken), the chronic absences,
    # their marked sessions (one more, by register, when registers are still being taken), their
    # enrollments, the stored patterns' snapshot (not of this period), the registers and records the
    # patterns are worked out from, the bell, the terms. (A term so far with its patterns worked out on the
    # queue reads no record: tests/attendance/test_tallies.py.)
    with queries_exactly(15):
        assert client.get(reverse("attendance:reports_overview"), PERIOD).status_code == 200
    with queries_exactly(9):
        url = reverse("attendance:reports_section", kwargs={"pk": week["a"].pk})
        assert client.get(url, PERIOD).status_code == 200
