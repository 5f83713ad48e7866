"""Weighted categories of a class: the weights must total 100% (or none at all: plain points)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from modules.exams.models import AssessmentCategory
from tests.exams.test_gradebook import assessment

pytestmark = pytest.mark.django_db


def rows(*pairs, initial=0, existing=()):
    data = {"cat-TOTAL_FORMS": str(len(pairs)), "cat-INITIAL_FORMS": str(initial)}
    for n, (name, weight) in enumerate(pairs):
        data[f"cat-{n}-name"] = name
        data[f"cat-{n}-weight"] = weight
    for n, (pk, delete) in enumerate(existing):
        data[f"cat-{n}-id"] = pk
        if delete:
            data[f"cat-{n}-DELETE"] = "on"
    return data


def url(s):
    return reverse("exams:gradebook_categories", args=[s.offering.pk])


def test_it_saves_weights_that_total_100(as_user, teacher, school):
    client = as_user(teacher)
    assert "Categories and weights" in client.get(url(school)).content.decode()
    response = client.post(url(school), rows(("Homework", "20"), ("Tests", "50"), ("Exam", "30")))
    assert response.status_code == 302
    assert {c.name: int(c.weight) for c in AssessmentCategory.objects.all()} == {
        "Homework": 20,
        "Tests": 50,
        "Exam": 30,
    }


def test_it_refuses_weights_that_do_not_total_100(as_user, teacher, school):
    response = as_user(teacher).post(url(school), rows(("Homework", "20"), ("Tests", "50")))
    assert response.status_code == 422
    assert "The weights add up to 70%; they must total 100%." in response.content.decode()
    assert not AssessmentCategory.objects.exists()


def test_it_deletes_all_categories_for_plain_points_but_not_one_in_use(as_user, teacher, school):
    used = AssessmentCategory.objects.create(offering=school.offering, name="Tests", weight=100)
    assessment(school, category=used)
    client = as_user(teacher)
    data = rows(("Tests", "100"), initial=1, existing=[(used.pk, True)])
    response = client.post(url(school), data)
    assert "still has assessments" in response.content.decode()
    assert AssessmentCategory.objects.count() == 1
    used.assessments.all().delete()
    assert client.post(url(school), data).status_code == 302
    assert not AssessmentCategory.objects.exists()


def test_it_hides_other_classes_and_refuses_families(as_user, other_teacher, guardian, school):
    assert as_user(other_teacher).get(url(school)).status_code == 404
    assert as_user(guardian).get(url(school)).status_code == 403
    assert as_user(other_teacher).delete(url(school)).status_code == 405
