"""Assessments from the gradebook: create, edit (the maximum cannot fall below a score), delete (with its
marks), publish; who may."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from modules.exams.models import Assessment, Mark
from tests import factories as f
from tests.exams.test_gradebook import assessment

pytestmark = pytest.mark.django_db


def form_data(s, **overrides):
    data = {
        "name": "Algebra test",
        "kind": "test",
        "max_score": "40",
        "date": "2026-11-20",
        "term": s.term.pk,
    }
    data.update(overrides)
    return data


def test_it_creates_an_assessment(as_user, teacher, school):
    url = reverse("exams:gradebook_assessment_create", args=[school.offering.pk])
    client = as_user(teacher)
    assert "New assessment" in client.get(url).content.decode()
    response = client.post(url, form_data(school))
    created = Assessment.objects.get()
    assert response.status_code == 302
    assert (created.name, created.offering, created.max_score, created.created_by) == (
        "Algebra test",
        school.offering,
        40,
        teacher,
    )
    assert created.date == datetime.date(2026, 11, 20)


def test_it_shows_errors_for_bad_input(as_user, teacher, school):
    url = reverse("exams:gradebook_assessment_create", args=[school.offering.pk])
    response = as_user(teacher).post(url, form_data(school, name="", max_score="0"))
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not Assessment.objects.exists()


def test_it_refuses_a_maximum_below_an_existing_score(as_user, teacher, school):
    quiz = assessment(school, max_score=20)
    f.MarkFactory(assessment=quiz, student=school.child, score=18)
    url = reverse("exams:gradebook_assessment_edit", args=[quiz.pk])
    client = as_user(teacher)
    response = client.post(url, form_data(school, max_score="15"))
    assert "already has 18" in response.content.decode()
    quiz.refresh_from_db()
    assert quiz.max_score == 20
    response = client.post(url, form_data(school, max_score="30"))
    assert response.status_code == 302
    assert Mark.objects.get().max_score == 30  # the marks' copy follows


def test_it_deletes_an_assessment_with_its_marks_after_confirmation(as_user, teacher, school):
    quiz = assessment(school)
    f.MarkFactory(assessment=quiz, student=school.child, score=18)
    client = as_user(teacher)
    page = client.get(reverse("exams:gradebook_assessment_edit", args=[quiz.pk])).content.decode()
    assert "data-confirm=" in page
    assert "and its 1 mark?" in page
    url = reverse("exams:gradebook_assessment_delete", args=[quiz.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    assert not Assessment.objects.exists()
    assert not Mark.objects.exists()


def test_it_publishes_an_assessment(as_user, teacher, school):
    quiz = assessment(school)
    client = as_user(teacher)
    url = reverse("exams:gradebook_assessment_publish", args=[quiz.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    quiz.refresh_from_db()
    assert quiz.published_at is not None


def test_it_hides_other_teachers_assessments(as_user, other_teacher, guardian, school):
    quiz = assessment(school)
    for name in ("gradebook_assessment_edit",):
        assert as_user(other_teacher).get(reverse(f"exams:{name}", args=[quiz.pk])).status_code == 404
    for name in ("gradebook_assessment_delete", "gradebook_assessment_publish"):
        assert as_user(other_teacher).post(reverse(f"exams:{name}", args=[quiz.pk])).status_code == 404
        assert as_user(guardian).post(reverse(f"exams:{name}", args=[quiz.pk])).status_code == 403
    url = reverse("exams:gradebook_assessment_create", args=[school.offering.pk])
    assert as_user(other_teacher).post(url, form_data(school)).status_code == 404
    assert Assessment.objects.count() == 1
    assert Assessment.objects.get().published_at is None
