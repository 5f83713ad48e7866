"""The gradebook page and the classes list: who may open them, what the grid shows (marks, averages and
letters with the section's scale), the locked term, and a query budget that does not grow with the class."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from modules.exams.models import AssessmentCategory, GradeBand, GradingScale, TermStatus
from tests import factories as f

pytestmark = pytest.mark.django_db


def grid_url(offering, term=None) -> str:
    url = reverse("exams:gradebook", args=[offering.pk])
    return f"{url}?term={term.pk}" if term else url


def scale_for(grade_level) -> GradingScale:
    """A scale for the grade level: A ≥ 80, B ≥ 60, C ≥ 40, F below."""
    scale = GradingScale.objects.create(name=f"{grade_level} scale", grade_level=grade_level)
    for letter, low in (("A", 80), ("B", 60), ("C", 40), ("F", 0)):
        GradeBand.objects.create(scale=scale, letter=letter, min_percent=Decimal(low))
    return scale


def assessment(s, **kwargs):
    kwargs.setdefault("max_score", 20)
    return f.AssessmentFactory(offering=s.offering, term=s.term, **kwargs)


def enrol(section, count: int) -> list:
    students = f.StudentFactory.create_batch(count)
    for student in students:
        f.EnrollmentFactory(student=student, section=section)
    return students


def lock(term) -> None:
    TermStatus.objects.update_or_create(term=term, defaults={"locked_at": timezone.now()})


def test_it_shows_the_grid_with_marks_and_averages(as_user, teacher, school):
    scale_for(school.section.grade_level)
    quiz = assessment(school, name="Fractions quiz")
    f.MarkFactory(assessment=quiz, student=school.child, score=17)
    response = as_user(teacher).get(grid_url(school.offering))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Fractions quiz" in page
    assert f'id="m-{school.child.pk}-{quiz.pk}"' in page
    assert 'value="17"' in page
    assert "85.0%" in page
    assert ">A</span>" in page
    assert "Parent, Sam" in page


def test_it_lists_the_teachers_classes_and_the_office_sees_all(as_user, teacher, admin, school):
    page = as_user(teacher).get(reverse("exams:gradebook_list")).content.decode()
    assert "Mathematics · 7A" in page
    assert "History · 7B" not in page
    page = as_user(admin).get(reverse("exams:gradebook_list")).content.decode()
    assert "Mathematics · 7A" in page
    assert "History · 7B" in page
    filtered = as_user(admin).get(reverse("exams:gradebook_list"), {"q": "7B"}).content.decode()
    assert "History · 7B" in filtered
    assert "Mathematics · 7A" not in filtered


def test_it_refuses_families_and_hides_other_teachers_classes(
    as_user, other_teacher, guardian, student, bursar, school
):
    assert as_user(other_teacher).get(grid_url(school.offering)).status_code == 404
    for user in (guardian, student, bursar):
        assert as_user(user).get(grid_url(school.offering)).status_code == 403
        assert as_user(user).get(reverse("exams:gradebook_list")).status_code == 403


def test_it_answers_405_to_wrong_methods(as_user, teacher, school):
    client = as_user(teacher)
    assert client.post(grid_url(school.offering)).status_code == 405
    assert client.post(reverse("exams:gradebook_list")).status_code == 405
    assert client.get(reverse("exams:gradebook_cell", args=[school.offering.pk])).status_code == 405
    assert client.get(reverse("exams:gradebook_save", args=[school.offering.pk])).status_code == 405


def test_it_shows_a_locked_term_read_only_to_the_teacher(as_user, teacher, admin, school):
    assessment(school)
    lock(school.term)
    page = as_user(teacher).get(grid_url(school.offering)).content.decode()
    assert "the marks are read-only" in page
    assert " readonly" in page
    assert "Save all marks" not in page
    page = as_user(admin).get(grid_url(school.offering)).content.decode()
    assert 'name="reason"' in page
    assert "Save all marks" in page


def test_it_shows_the_chosen_term(as_user, teacher, school):
    other_term = f.TermFactory(year=school.year, name="Term 2")
    assessment(school, name="In term one")
    f.AssessmentFactory(offering=school.offering, term=other_term, name="In term two")
    page = as_user(teacher).get(grid_url(school.offering, other_term)).content.decode()
    assert "In term two" in page
    assert "In term one" not in page


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_it_keeps_the_same_query_count_for_bigger_classes(as_user, teacher, school, queries_exactly):
    scale_for(school.section.grade_level)
    client = as_user(teacher)
    category = AssessmentCategory.objects.create(offering=school.offering, name="Quizzes", weight=100)
    small_students = enrol(school.section, 9)  # 10 with Sam
    quizzes = [assessment(school, category=category) for _n in range(5)]
    for quiz in quizzes:
        for pupil in small_students:
            f.MarkFactory(assessment=quiz, student=pupil, score=12)
    client.get(grid_url(school.offering))  # warm the session and caches
    small = count_queries(client, grid_url(school.offering))
    more = enrol(school.section, 30)  # 40
    quizzes += [assessment(school, category=category) for _n in range(25)]  # 30
    for quiz in quizzes:
        for pupil in more[:5]:
            f.MarkFactory(assessment=quiz, student=pupil, score=9)
    large = count_queries(client, grid_url(school.offering))
    assert small == large
    with queries_exactly(9):
        client.get(grid_url(school.offering))
