"""The office's dashboard: each chart's numbers are the numbers of the page it summarises, fetched through
the client (the attendance reports, the sections list, the term results, the fees aging and collections);
and the page's queries do not grow with the school."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from modules.core.charts import percent_text
from modules.exams.models import Assessment
from modules.fees.money import format_money
from tests import factories as f
from tests.attendance.reports_helpers import daily_registers, mark
from tests.fees.report_data import make_books
from tests.reports.test_charts import chart_rows

URL = "/reports/"


def _monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


@pytest.fixture
def attendance(weekday, school):
    """Last week (Monday to Friday) and today: 7A (Sam, Amy, Bob) and 7B (Olive) in Grade 7, 8A (Eve) in
    Grade 8. Bob misses Monday to Wednesday of last week (absent, absent, excused) and is absent today; Olive
    is excused today; everybody else is present."""
    eight = f.SectionFactory(
        year=school.year, grade_level=f.GradeLevelFactory(name="Grade 8", order=8), name="8A"
    )
    amy, bob = f.StudentFactory(first_name="Amy"), f.StudentFactory(first_name="Bob")
    eve = f.StudentFactory(first_name="Eve")
    for student, section in ((amy, school.section), (bob, school.section), (eve, eight)):
        f.EnrollmentFactory(student=student, section=section)
    monday = _monday(weekday) - datetime.timedelta(days=7)
    last_week = [monday + datetime.timedelta(days=offset) for offset in range(5)]
    seven_a = [school.child, amy, bob]
    mark(
        daily_registers(school.section, [*last_week, weekday]),
        {
            (bob, last_week[0]): "absent",
            (bob, last_week[1]): "absent",
            (bob, last_week[2]): "excused",
            (bob, weekday): "absent",
        },
        students=seven_a,
    )
    mark(
        daily_registers(school.other_section, [*last_week, weekday]),
        {(school.other_child, weekday): "excused"},
        students=[school.other_child],
    )
    mark(daily_registers(eight, [*last_week, weekday]), {}, students=[eve])
    return {"last_week": last_week, "today": weekday}


def test_it_gives_each_weeks_rate_as_the_attendance_reports_count_that_week(
    attendance, school, admin, as_user
):
    client = as_user(admin)
    week = attendance["last_week"]
    number = (week[0] - _monday(school.year.start_date)).days // 7 + 1
    report = client.get(
        reverse("attendance:reports_overview"), {"start": week[0].isoformat(), "end": week[-1].isoformat()}
    ).context["overview"]

    rows = {
        row[0]: row[1:] for row in chart_rows(client.get(URL).content.decode(), "Attendance rate by week")
    }

    assert report.total.rate == Decimal("88.0")  # 22 of 25 sessions
    assert rows[f"Week {number}"] == [percent_text(report.total.rate)]


def test_it_gives_todays_absence_by_grade_as_todays_attendance_report(attendance, admin, as_user):
    client = as_user(admin)
    today = attendance["today"].isoformat()
    report = client.get(reverse("attendance:reports_overview"), {"start": today, "end": today}).context[
        "overview"
    ]

    rows = chart_rows(client.get(URL).content.decode(), "Absence today by grade level")

    expected = [
        [row.label, str(row.tally.absent), str(row.tally.excused), str(row.tally.missed)]
        for row in report.by_grade
    ]
    assert expected == [["Grade 7", "1", "1", "2"], ["Grade 8", "0", "0", "0"]]
    assert rows == expected


def test_it_counts_the_chronically_absent_of_the_term_as_the_attendance_reports(attendance, admin, as_user):
    client = as_user(admin)
    report = client.get(reverse("attendance:reports_overview")).context["overview"]

    rows = chart_rows(client.get(URL).content.decode(), "Chronically absent students by term")

    assert report.chronic_count == 2  # Bob, and Olive (1 day of 6)
    assert rows == [["Term 1", str(report.chronic_count)]]


def test_it_counts_enrolment_by_grade_as_the_sections_list(attendance, admin, as_user):
    client = as_user(admin)
    sections = client.get(reverse("academics:section_list")).context["sections"]
    by_grade: dict[str, int] = {}
    for section in sections:
        by_grade[section.grade_level.name] = by_grade.get(section.grade_level.name, 0) + section.student_count

    rows = chart_rows(client.get(URL).content.decode(), "Enrolment by grade level")

    assert by_grade == {"Grade 7": 4, "Grade 8": 1}
    assert rows == [[grade, str(count)] for grade, count in by_grade.items()]


def test_it_counts_marks_published_and_due_as_the_term_results(weekday, school, admin, as_user):
    client = as_user(admin)
    for published in (True, True, False):
        f.AssessmentFactory(
            offering=school.offering,
            term=school.term,
            date=weekday,
            published_at=datetime.datetime.now(datetime.UTC) if published else None,
        )
    # Not due yet: dated after today.
    f.AssessmentFactory(offering=school.offering, term=school.term, date=weekday + datetime.timedelta(days=3))
    terms = client.get(reverse("exams:term_list")).context["terms"]

    rows = chart_rows(client.get(URL).content.decode(), "Marks published against due")

    due = Assessment.objects.filter(date__lte=weekday).count()
    assert [(t.name, t.assessment_count, t.unpublished) for t in terms] == [("Term 1", 4, 2)]
    # The term results count every assessment; the dashboard only those whose date has come (one fewer).
    assert rows == [
        [
            "Term 1",
            str(terms[0].assessment_count - terms[0].unpublished),
            str(terms[0].unpublished - 1),
            str(due),
        ]
    ]


def _money_value(text: str) -> Decimal:
    return Decimal(re.sub(r"[^0-9.\-]", "", text))


def test_it_gives_overdue_by_age_as_the_aging_page(weekday, school, admin, bursar, as_user):
    make_books(school, bursar)
    client = as_user(admin)
    aging = client.get(reverse("fees:aging")).context["report"].total

    rows = chart_rows(client.get(URL).content.decode(), "Overdue by age")

    expected = [[str(bucket.label), format_money(amount)] for bucket, amount in aging.cells[1:]]
    assert _money_value(expected[1][1]) == Decimal("100.00")  # invoice B, 31-60 days past due
    assert rows == expected


def test_it_gives_fees_collected_this_month_as_the_collections_page(weekday, school, admin, bursar, as_user):
    make_books(school, bursar)
    client = as_user(admin)
    first = weekday.replace(day=1)
    month = client.get(
        reverse("fees:collections"), {"start": first.isoformat(), "end": weekday.isoformat()}
    ).context["report"]
    year_billed = client.get(reverse("fees:dashboard")).context["dashboard"].year_figures.billed

    rows = chart_rows(client.get(URL).content.decode(), "Fees billed and collected by month")

    from django.utils.formats import date_format

    this_month = next(row for row in rows if row[0] == date_format(first, "YEAR_MONTH_FORMAT"))
    assert this_month[2] == format_money(month.net)
    assert sum((_money_value(row[1]) for row in rows), Decimal(0)) == year_billed


def test_it_takes_the_same_queries_for_a_bigger_school(attendance, school, admin, as_user, queries_exactly):
    client = as_user(admin)
    client.get(URL)
    with queries_exactly(26):
        assert client.get(URL).status_code == 200
    grade = f.GradeLevelFactory(name="Grade 9", order=9)
    for name in ("9A", "9B"):
        section = f.SectionFactory(year=school.year, grade_level=grade, name=name)
        pupils = [f.StudentFactory() for _n in range(5)]
        for pupil in pupils:
            f.EnrollmentFactory(student=pupil, section=section)
        mark(
            daily_registers(section, attendance["last_week"]),
            {(pupils[0], attendance["last_week"][0]): "absent"},
            students=pupils,
        )
    with queries_exactly(26):
        assert client.get(URL).status_code == 200


def test_it_refuses_nothing_but_shows_the_office_only_its_own_dashboard(attendance, teacher, as_user):
    html = as_user(teacher).get(URL).content.decode()

    assert chart_rows(html, "Enrolment by grade level") is None
    assert chart_rows(html, "Overdue by age") is None


def test_it_counts_the_chronically_absent_as_the_reports_when_registers_have_no_tallies(
    weekday, school, admin, as_user
):
    """Registers written around the services (no tallies): the reports count the records, and so does the
    dashboard."""
    amy = f.StudentFactory(first_name="Amy")
    f.EnrollmentFactory(student=amy, section=school.section)
    days = [weekday - datetime.timedelta(days=n) for n in range(5)]
    mark(
        daily_registers(school.section, days),
        {(amy, day): "absent" for day in days[:2]},
        students=[school.child, amy],
        tallied=False,
    )
    client = as_user(admin)
    report = client.get(reverse("attendance:reports_overview")).context["overview"]

    rows = chart_rows(client.get(URL).content.decode(), "Chronically absent students by term")

    assert report.chronic_count == 1
    assert rows == [["Term 1", "1"]]
