"""A family's dashboard: a guardian sees each of their children (another family's child is a 404), a student
themself; the attendance over the term adds up to the family attendance page's rate; each subject's term
average is the grades page's, with the class average only where the school shows it."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from modules.attendance.models import AttendanceRecord
from modules.attendance.selectors import AttendanceSummary
from modules.core.charts import percent_text
from modules.core.models import SchoolProfile
from modules.exams.models import GradingScale
from tests import factories as f
from tests.attendance.reports_helpers import daily_registers, mark
from tests.reports.test_charts import chart_rows, chart_titles

URL = "/reports/"
ATTENDANCE = "Attendance rate by week this term"
SUBJECTS = "Term average by subject"


@pytest.fixture
def progress(weekday, school):
    """The last two weeks of 7A: Sam absent on two days, Amy present; Maths quiz (published) 15/20 for Sam,
    5/20 for Amy; a secret (unpublished) test 1/20 for Sam."""
    GradingScale.objects.create(name="Default", pass_mark=Decimal("50"))
    amy = f.StudentFactory(first_name="Amy", last_name="Able")
    f.EnrollmentFactory(student=amy, section=school.section)
    days = [weekday - datetime.timedelta(days=n) for n in range(14)]
    days = [day for day in days if day.weekday() < 5]
    mark(
        daily_registers(school.section, days),
        {(school.child, days[1]): "absent", (school.child, days[6]): "absent"},
        students=[school.child, amy],
    )
    published = f.AssessmentFactory(
        offering=school.offering, term=school.term, name="Quiz", published_at=timezone.now()
    )
    secret = f.AssessmentFactory(offering=school.offering, term=school.term, name="Secret")
    f.MarkFactory(assessment=published, student=school.child, score=15)
    f.MarkFactory(assessment=published, student=amy, score=5)
    f.MarkFactory(assessment=secret, student=school.child, score=1)
    return days


@pytest.mark.parametrize("persona", ["guardian", "student"])
def test_it_shows_the_family_their_child_only(progress, school, persona, as_user, request):
    html = as_user(request.getfixturevalue(persona)).get(URL).content.decode()

    assert "Sam Parent" in html
    assert "Olive" not in html
    assert chart_titles(html) == [ATTENDANCE, SUBJECTS]


@pytest.mark.parametrize("persona", ["guardian", "student"])
def test_it_opens_the_childs_own_page(progress, school, persona, as_user, request):
    response = as_user(request.getfixturevalue(persona)).get(
        reverse("reports:dashboard_child", args=[school.child.pk])
    )

    assert response.status_code == 200
    assert "<h1>Sam Parent</h1>" in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "child"),
    [
        ("guardian", "other_child"),
        ("student", "other_child"),
        ("other_guardian", "child"),
        ("teacher", "child"),
        ("admin", "child"),
        ("bursar", "child"),
    ],
)
def test_it_hides_another_familys_child(progress, school, persona, child, as_user, request, admin, bursar):
    url = reverse("reports:dashboard_child", args=[getattr(school, child).pk])

    assert as_user(request.getfixturevalue(persona)).get(url).status_code == 404


def test_it_adds_the_weeks_up_to_the_family_attendance_pages_rate(progress, school, guardian, as_user):
    client = as_user(guardian)
    rate = client.get(reverse("attendance:family_child", args=[school.child.pk])).context["rate"]
    monday = school.term.start_date - datetime.timedelta(days=school.term.start_date.weekday())
    weeks: dict[int, AttendanceSummary] = {}
    for day, status in AttendanceRecord.objects.filter(student=school.child).values_list("date", "status"):
        weeks.setdefault((day - monday).days // 7 + 1, AttendanceSummary()).add(
            AttendanceSummary(**{status: 1})
        )

    rows = chart_rows(client.get(URL).content.decode(), ATTENDANCE)

    marked = {row[0]: row[1] for row in rows if row[1] != "–"}
    assert marked == {f"Week {number}": percent_text(tally.rate) for number, tally in weeks.items()}
    # Together the weeks are the term's rate on the family page: 8 of 10 registers attended.
    total = AttendanceSummary()
    for tally in weeks.values():
        total.add(tally)
    assert (total.possible, total.rate) == (rate.summary.possible, rate.summary.rate) == (10, Decimal("80.0"))


def test_it_gives_each_subjects_average_as_the_grades_page_without_the_class_average(
    progress, school, guardian, as_user
):
    client = as_user(guardian)
    grades = client.get(reverse("exams:child_grades", args=[school.child.pk])).context["rows"]

    html = client.get(URL).content.decode()
    rows = chart_rows(html, SUBJECTS)

    assert rows == [[row.offering.subject.name, percent_text(row.average.percent)] for row in grades]
    assert rows == [["Mathematics", "75.0%"]]  # the published quiz only
    assert "Class average" not in html


def test_it_shows_the_class_average_where_the_school_allows_it(progress, school, student, as_user):
    profile = SchoolProfile.load()
    profile.shows_class_average = True
    profile.save()

    rows = chart_rows(as_user(student).get(URL).content.decode(), SUBJECTS)

    # Sam 75%, Amy 25% on the published quiz: the class's mean is 50% (the secret test counts for nobody).
    assert rows == [["Mathematics", "75.0%", "50.0%"]]


def test_it_pins_a_childs_queries(progress, school, guardian, as_user, queries_exactly):
    client = as_user(guardian)
    url = reverse("reports:dashboard_child", args=[school.child.pk])
    client.get(url)
    with queries_exactly(15):
        assert client.get(url).status_code == 200


def test_a_familys_queries_grow_with_its_children_not_the_school(
    progress, school, guardian, as_user, queries_exactly
):
    client = as_user(guardian)
    client.get(URL)
    with queries_exactly(15):
        assert client.get(URL).status_code == 200
    # Another family's children, in the child's class: nothing more for this family.
    for _n in range(5):
        f.EnrollmentFactory(student=f.StudentFactory(), section=school.section)
    with queries_exactly(15):
        assert client.get(URL).status_code == 200
    # A second child of this family: nine reads of its own (attendance, enrolment, classes, assessments,
    # marks, weights, scale, ...).
    brother = f.StudentFactory(first_name="Ben", last_name="Parent")
    f.EnrollmentFactory(student=brother, section=school.section)
    f.GuardianLinkFactory(student=brother, guardian=school.guardian_profile, relationship="mother")
    with queries_exactly(15 + 9):
        html = client.get(URL).content.decode()
    assert "Ben Parent" in html
