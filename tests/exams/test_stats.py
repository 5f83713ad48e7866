"""Statistics for staff, on a hand-made dataset: one assessment's numbers and histogram, the sections of a
subject compared, the students below the pass mark."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from modules.exams.models import GradeBand, GradingScale
from modules.exams.stats import assessment_stats, below_pass, section_comparison
from tests import factories as f

pytestmark = pytest.mark.django_db


def _student_in(section, first):
    student = f.StudentFactory(first_name=first, last_name="Test")
    f.EnrollmentFactory(student=student, section=section)
    return student


@pytest.fixture
def quiz(school):
    """Scores 10, 12, 14, 16, 20 out of 20 (50, 60, 70, 80, 100%) and one excused."""
    assessment = f.AssessmentFactory(offering=school.offering, term=school.term, name="Quiz A", max_score=20)
    for first, score in (("Ann", 10), ("Ben", 12), ("Cas", 14), ("Dee", 16), ("Eve", 20)):
        f.MarkFactory(assessment=assessment, student=_student_in(school.section, first), score=score)
    f.MarkFactory(assessment=assessment, student=school.child, score=None, code="ex")
    return assessment


def test_it_computes_the_numbers_of_an_assessment(quiz):
    stats = assessment_stats(quiz)
    assert (stats.count, stats.coded) == (5, 1)
    assert stats.mean == Decimal("72.0")
    assert stats.median == Decimal("70.0")
    assert stats.stdev == Decimal("17.2")  # population: sqrt(1480 / 5)
    assert (stats.minimum, stats.maximum) == (Decimal("50.0"), Decimal("100.0"))
    assert [bucket.count for bucket in stats.buckets] == [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]
    assert stats.largest_bucket == 1


def test_it_shows_the_assessment_statistics_page(as_user, teacher, quiz):
    response = as_user(teacher).get(reverse("exams:stats_assessment", args=[quiz.pk]))
    assert response.status_code == 200
    for expected in ("72.0%", "70.0%", "17.2", "50.0%", "100.0%", "90–100%", "<progress"):
        assert expected in response.text
    assert "style=" not in response.text


def test_it_shows_an_empty_assessment_plainly(as_user, admin, school):
    empty = f.AssessmentFactory(offering=school.offering, term=school.term)
    response = as_user(admin).get(reverse("exams:stats_assessment", args=[empty.pk]))
    assert "No scores yet" in response.text


@pytest.fixture
def compared(school):
    scale = GradingScale.objects.create(name="Default", pass_mark=Decimal("50"))
    GradeBand.objects.create(scale=scale, letter="P", min_percent=50)
    GradeBand.objects.create(scale=scale, letter="F", min_percent=0)
    maths_7b = f.CourseOfferingFactory(
        subject=school.offering.subject, section=school.other_section, teacher=school.other_teacher_staff
    )
    test_7a = f.AssessmentFactory(offering=school.offering, term=school.term, max_score=100)
    test_7b = f.AssessmentFactory(offering=maths_7b, term=school.term, max_score=100)
    low = _student_in(school.section, "Lowe")
    f.MarkFactory(assessment=test_7a, student=school.child, score=75)
    f.MarkFactory(assessment=test_7a, student=low, score=45)
    f.MarkFactory(assessment=test_7b, student=school.other_child, score=90)
    return maths_7b, low


def test_it_compares_the_sections_of_a_subject_and_finds_students_below_the_pass_mark(school, compared):
    maths_7b, low = compared
    rows = section_comparison(school.offering, school.term)
    assert [(row.offering.section.name, row.students, row.mean, row.is_current) for row in rows] == [
        ("7A", 2, Decimal("60.0"), True),
        ("7B", 1, Decimal("90.0"), False),
    ]
    pass_mark, below = below_pass(school.offering, school.term)
    assert pass_mark == Decimal("50")
    assert [(row.student, row.percent, row.letter) for row in below] == [(low, Decimal("45.0"), "F")]


def test_it_shows_the_class_page_in_bounded_queries(
    as_user, teacher, school, compared, django_assert_max_num_queries
):
    client = as_user(teacher)
    url = reverse("exams:stats_class", args=[school.offering.pk, school.term.pk])
    client.get(url)
    with django_assert_max_num_queries(16):
        response = client.get(url)
    assert "Lowe Test" in response.text
    assert "45.0%" in response.text
    assert "60.0%" in response.text
    assert "90.0%" in response.text
    for n in range(10):
        student = _student_in(school.section, f"Extra{n}")
        assessment = f.AssessmentFactory(offering=school.offering, term=school.term, max_score=10)
        f.MarkFactory(assessment=assessment, student=student, score=2)
    with django_assert_max_num_queries(16):
        response = client.get(url)
    assert "Extra9 Test" in response.text


def test_it_keeps_statistics_to_the_classes_teachers_teach(
    as_user, other_teacher, guardian, student, admin, school, quiz
):
    class_url = reverse("exams:stats_class", args=[school.offering.pk, school.term.pk])
    quiz_url = reverse("exams:stats_assessment", args=[quiz.pk])
    assert as_user(other_teacher).get(class_url).status_code == 404
    assert as_user(other_teacher).get(quiz_url).status_code == 404
    assert as_user(guardian).get(quiz_url).status_code == 403
    assert as_user(student).get(reverse("exams:stats_index")).status_code == 403
    assert as_user(admin).get(class_url).status_code == 200
    assert as_user(admin).post(quiz_url).status_code == 405
    index = as_user(other_teacher).get(reverse("exams:stats_index"))
    assert "History · 7B" in index.text
    assert "Mathematics · 7A" not in index.text
