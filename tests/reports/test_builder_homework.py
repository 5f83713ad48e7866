"""The report builder's homework data set: a class's work counted as the teacher's inbox counts it (handed in,
missing once the due time or the student's extension has passed, returned), in the runner's scope."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from modules.assignments.inbox import inbox_load
from tests import factories as f

pytestmark = pytest.mark.django_db


def _preview(client, **params) -> str:
    response = client.get(reverse("reports:builder_new"), {"dataset": "assignments", **params})
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def fractions(school):
    """7A's maths homework, due two days ago: Sam handed it in, Cy's was marked and returned, Ben has an
    extension to the day after tomorrow, Ann has handed in nothing."""
    now = timezone.now()
    homework = f.AssignmentFactory(
        offering=school.offering,
        term=school.term,
        title="Fractions",
        opens_at=now - datetime.timedelta(days=5),
        published_at=now - datetime.timedelta(days=5),
        due_at=now - datetime.timedelta(days=2),
    )
    ann, ben, cy = (
        f.EnrollmentFactory(
            student=f.StudentFactory(first_name=name, last_name="Class"), section=school.section
        ).student
        for name in ("Ann", "Ben", "Cy")
    )
    f.SubmissionFactory(assignment=homework, student=school.child)
    f.SubmissionFactory(assignment=homework, student=cy, returned_at=now - datetime.timedelta(days=1))
    f.SubmissionFactory(
        assignment=homework,
        student=ben,
        text="",
        submitted_at=None,
        version=0,
        extended_due_at=now + datetime.timedelta(days=2),
    )
    return homework


def test_it_counts_a_classs_homework_as_the_teachers_inbox_does(school, teacher, as_user, fractions):
    page = _preview(
        as_user(teacher),
        columns=["title", "section", "students", "handed_in", "missing", "returned", "handed_in_rate"],
    )
    inbox = inbox_load(fractions)
    assert (len(inbox.rows), inbox.handed_in, inbox.missing, inbox.returned) == (4, 2, 1, 1)
    assert (
        '<th scope="row">Fractions</th><td>7A</td><td>4</td><td>2</td><td>1</td><td>1</td><td>50.0</td>'
        in page
    )


def test_it_shows_a_teacher_only_their_classes_homework(school, other_teacher, admin, as_user, fractions):
    assert (
        "Fractions"
        not in _preview(as_user(other_teacher), columns=["title"]).split("Preview of the report")[1]
    )
    assert "Fractions" in _preview(as_user(admin), columns=["title"]).split("Preview of the report")[1]


def test_it_totals_the_missing_work_by_section(school, admin, as_user, fractions):
    f.AssignmentFactory(
        offering=school.offering,
        term=school.term,
        title="Decimals",
        due_at=timezone.now() - datetime.timedelta(hours=1),
        opens_at=timezone.now() - datetime.timedelta(days=3),
        published_at=timezone.now() - datetime.timedelta(days=3),
    )
    page = _preview(as_user(admin), columns=["title", "missing"], group_by="section")
    # Fractions: Ann; Decimals: all four (Ben's extension is Fractions' alone). Two assignments, 5 missing.
    assert '<th scope="row">7A</th><td>2</td><td>5</td>' in page


def test_it_gives_the_bursar_no_homework_data_set(school, bursar, as_user):
    client = as_user(bursar)
    assert client.get(reverse("reports:builder_new"), {"dataset": "assignments"}).status_code == 400
    choices = client.get(reverse("reports:builder_new")).content.decode()
    assert "Invoices" in choices
    assert "Homework" not in choices
