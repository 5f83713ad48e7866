"""The whole grid posted as one form (no JavaScript): changed cells written all or nothing, errors per cell
with the typed values kept, and the locked term."""

from __future__ import annotations

import pytest
from django.urls import reverse

from modules.exams.models import Mark
from tests import factories as f
from tests.exams.test_gradebook import assessment, enrol, lock

pytestmark = pytest.mark.django_db


def save(client, s, data):
    return client.post(reverse("exams:gradebook_save", args=[s.offering.pk]), {"term": s.term.pk, **data})


def test_it_saves_every_changed_cell_and_redirects(as_user, teacher, school):
    pupil = enrol(school.section, 1)[0]
    quiz, test = assessment(school), assessment(school, max_score=50)
    f.MarkFactory(assessment=quiz, student=pupil, score=5)
    response = save(
        as_user(teacher),
        school,
        {
            f"m-{school.child.pk}-{quiz.pk}": "18",
            f"m-{school.child.pk}-{test.pk}": "m",
            f"m-{pupil.pk}-{quiz.pk}": "5",  # unchanged
            f"m-{pupil.pk}-{test.pk}": "",
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"?term={school.term.pk}")
    assert Mark.objects.get(assessment=quiz, student=school.child).score == 18
    assert Mark.objects.get(assessment=test, student=school.child).code == "m"
    assert Mark.objects.count() == 3


def test_it_saves_nothing_when_a_cell_is_wrong_and_keeps_what_was_typed(as_user, teacher, school):
    pupil = enrol(school.section, 1)[0]
    quiz = assessment(school)
    response = save(
        as_user(teacher),
        school,
        {f"m-{school.child.pk}-{quiz.pk}": "19", f"m-{pupil.pk}-{quiz.pk}": "99"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was saved" in page
    assert "99 is above the maximum of 20." in page
    assert 'value="99"' in page and 'value="19"' in page
    assert not Mark.objects.exists()


def test_it_refuses_a_teacher_in_a_locked_term(as_user, teacher, admin, school):
    quiz = assessment(school)
    lock(school.term)
    response = save(as_user(teacher), school, {f"m-{school.child.pk}-{quiz.pk}": "10"})
    assert "Ask the office" in response.content.decode()
    assert not Mark.objects.exists()
    response = save(as_user(admin), school, {f"m-{school.child.pk}-{quiz.pk}": "10"})
    assert "give a reason" in response.content.decode()
    response = save(as_user(admin), school, {f"m-{school.child.pk}-{quiz.pk}": "10", "reason": "Typo"})
    assert response.status_code == 302
    assert Mark.objects.get().score == 10


def test_it_hides_other_teachers_classes(as_user, other_teacher, student, school):
    quiz = assessment(school)
    assert save(as_user(other_teacher), school, {f"m-{school.child.pk}-{quiz.pk}": "10"}).status_code == 404
    assert save(as_user(student), school, {f"m-{school.child.pk}-{quiz.pk}": "10"}).status_code == 403
    assert not Mark.objects.exists()
