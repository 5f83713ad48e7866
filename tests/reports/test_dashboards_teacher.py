"""The teacher's dashboard: their classes only, each class's attendance by month as the section's report
counts it, the latest assessment's distribution as its statistics page, and the students at risk with the
reason."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from modules.core.charts import percent_text
from modules.exams.models import GradingScale
from tests import factories as f
from tests.attendance.reports_helpers import daily_registers, mark
from tests.reports.test_charts import chart_rows, chart_titles

URL = "/reports/"


@pytest.fixture
def classes(weekday, school):
    """7A (the teacher's): Sam absent on three of the last five school days, Amy always present; Maths quiz
    marked 6/20 for Sam (30%, below the pass mark of 50) and 18/20 for Amy. 7B (the other teacher's):
    Olive present."""
    GradingScale.objects.create(name="Default", pass_mark=Decimal("50"))
    amy = f.StudentFactory(first_name="Amy", last_name="Able")
    f.EnrollmentFactory(student=amy, section=school.section)
    last = [
        weekday - datetime.timedelta(days=n)
        for n in range(7)
        if (weekday - datetime.timedelta(days=n)).weekday() < 5
    ]
    mark(
        daily_registers(school.section, last),
        {(school.child, day): "absent" for day in last[:3]},
        students=[school.child, amy],
    )
    mark(daily_registers(school.other_section, last), {}, students=[school.other_child])
    quiz = f.AssessmentFactory(offering=school.offering, term=school.term, name="Fractions", date=weekday)
    f.MarkFactory(assessment=quiz, student=school.child, score=6)
    f.MarkFactory(assessment=quiz, student=amy, score=18)
    other_quiz = f.AssessmentFactory(offering=school.other_offering, term=school.term, name="Romans")
    f.MarkFactory(assessment=other_quiz, student=school.other_child, score=2)
    return {"quiz": quiz, "amy": amy}


def test_it_shows_a_teacher_only_their_classes(classes, teacher, as_user):
    html = as_user(teacher).get(URL).content.decode()

    assert chart_titles(html) == ["7A: attendance rate by month", "7A Mathematics, Fractions: marks"]
    assert ">7B<" not in html
    assert "7B:" not in html
    assert "Romans" not in html
    assert "Olive" not in html


def test_it_gives_each_classs_attendance_by_month_as_the_sections_report(classes, school, teacher, as_user):
    client = as_user(teacher)
    report = client.get(reverse("attendance:reports_section", args=[school.section.pk])).context["report"]

    rows = chart_rows(client.get(URL).content.decode(), "7A: attendance rate by month")

    assert rows == [[row.label, percent_text(row.tally.rate)] for row in report.by_month]
    assert rows


def test_it_gives_the_latest_assessments_distribution_as_its_statistics_page(classes, teacher, as_user):
    client = as_user(teacher)
    stats = client.get(reverse("exams:stats_assessment", args=[classes["quiz"].pk])).context["stats"]

    rows = chart_rows(client.get(URL).content.decode(), "7A Mathematics, Fractions: marks")

    assert rows == [[f"{bucket.low}–{bucket.high}%", str(bucket.count)] for bucket in stats.buckets]
    assert rows[3] == ["30–40%", "1"]
    assert rows[9] == ["90–100%", "1"]


def test_it_lists_the_students_at_risk_with_the_reason(classes, teacher, as_user):
    html = as_user(teacher).get(URL).content.decode()
    table = html.split("Students at risk", 1)[1].split("</table>", 1)[0]

    assert '<th scope="row">Sam Parent</th><td>7A</td>' in table
    assert "Mathematics 30.0%" in table
    assert "attendance " in table
    assert "Amy Able" not in table


def test_it_says_when_nobody_is_at_risk(weekday, school, teacher, as_user):
    html = as_user(teacher).get(URL).content.decode()

    assert "No student of your classes is chronically absent or below the pass mark." in html


def test_its_queries_grow_with_the_teachers_classes_not_the_school(
    classes, school, teacher, as_user, queries_exactly
):
    client = as_user(teacher)
    client.get(URL)
    with queries_exactly(19):
        assert client.get(URL).status_code == 200
    # Another teacher's class with its pupils and marks: nothing more to read for this teacher.
    section = f.SectionFactory(year=school.year, grade_level=school.section.grade_level, name="7C")
    offering = f.CourseOfferingFactory(
        section=section, subject=school.offering.subject, teacher=school.other_teacher_staff
    )
    quiz = f.AssessmentFactory(offering=offering, term=school.term, date=timezone.localdate())
    for _n in range(5):
        pupil = f.StudentFactory()
        f.EnrollmentFactory(student=pupil, section=section)
        f.MarkFactory(assessment=quiz, student=pupil, score=3)
    with queries_exactly(19):
        assert client.get(URL).status_code == 200
