"""One cell saved from the grid (HTMX): scores, codes, clearing, refusals kept in the cell with the typed
value, the student's average and letter out-of-band, the locked term, and who may save."""

from __future__ import annotations

import pytest
from django.urls import reverse

from modules.core.models import AuditEvent
from modules.exams.models import Mark
from tests import factories as f
from tests.exams.test_gradebook import assessment, lock, scale_for

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def post_cell(client, s, quiz, value, student=None, **extra):
    url = reverse("exams:gradebook_cell", args=[s.offering.pk])
    data = {"assessment": quiz.pk, "student": (student or s.child).pk, "value": value, **extra}
    return client.post(url, data, headers=HTMX)


def stored(quiz, student):
    return Mark.objects.filter(assessment=quiz, student=student).first()


def test_it_saves_a_score_and_answers_the_cell_and_the_average(as_user, teacher, school):
    scale_for(school.section.grade_level)
    quiz = assessment(school, max_score=20)
    response = post_cell(as_user(teacher), school, quiz, "13")
    page = response.content.decode()
    assert response.status_code == 200
    assert stored(quiz, school.child).score == 13
    assert f'id="c-{quiz.pk}-{school.child.pk}"' in page and 'value="13"' in page
    assert f'id="avg-{school.child.pk}" hx-swap-oob="true"' in page
    assert "65.0%" in page and ">B</span>" in page
    assert AuditEvent.objects.filter(action="mark.set").count() == 1


def test_it_accepts_a_comma_and_codes_and_clears(as_user, teacher, school):
    client = as_user(teacher)
    quiz = assessment(school, max_score=10)
    post_cell(client, school, quiz, "7,5")
    assert stored(quiz, school.child).score == pytest.approx(7.5)
    response = post_cell(client, school, quiz, "ABS")
    assert stored(quiz, school.child).code == "abs"
    assert "0.0%" in response.content.decode()  # absent counts as zero
    response = post_cell(client, school, quiz, "ex")
    assert stored(quiz, school.child).code == "ex"
    assert "—" in response.content.decode()  # excused: nothing counted
    response = post_cell(client, school, quiz, "")
    assert response.status_code == 200
    assert stored(quiz, school.child) is None


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("25", "25 is above the maximum of 20."),
        ("-3", "A score cannot be negative."),
        ("abc", "is not a score"),
    ],
)
def test_it_keeps_the_typed_value_and_shows_the_error_in_the_cell(as_user, teacher, school, typed, message):
    quiz = assessment(school, max_score=20)
    f.MarkFactory(assessment=quiz, student=school.child, score=11)
    response = post_cell(as_user(teacher), school, quiz, typed)
    page = response.content.decode()
    assert response.status_code == 422
    assert message in page
    assert f'value="{typed}"' in page
    assert 'data-saved="11"' in page
    assert 'aria-invalid="true"' in page and f'aria-describedby="e-{quiz.pk}-{school.child.pk}"' in page
    assert stored(quiz, school.child).score == 11


def test_it_refuses_a_teacher_in_a_locked_term_and_lets_the_office_with_a_reason(
    as_user, teacher, admin, school
):
    quiz = assessment(school)
    lock(school.term)
    response = post_cell(as_user(teacher), school, quiz, "12")
    assert response.status_code == 422
    assert "This term is locked" in response.content.decode()
    assert stored(quiz, school.child) is None
    office = as_user(admin)
    response = post_cell(office, school, quiz, "12")
    assert response.status_code == 422 and "give a reason" in response.content.decode()
    response = post_cell(office, school, quiz, "12", reason="Re-marked after appeal")
    assert response.status_code == 200
    assert stored(quiz, school.child).score == 12
    event = AuditEvent.objects.get(action="mark.set")
    assert event.reason == "Re-marked after appeal"


def test_it_hides_other_classes_and_refuses_strangers(as_user, other_teacher, guardian, teacher, school):
    quiz = assessment(school)
    assert post_cell(as_user(other_teacher), school, quiz, "12").status_code == 404
    assert post_cell(as_user(guardian), school, quiz, "12").status_code == 403
    other_quiz = f.AssessmentFactory(offering=school.other_offering, term=school.term)
    assert post_cell(as_user(teacher), school, other_quiz, "12").status_code == 404
    assert not Mark.objects.exists()


def test_it_refuses_a_student_not_in_the_class(as_user, teacher, school):
    quiz = assessment(school)
    response = post_cell(as_user(teacher), school, quiz, "12", student=school.other_child)
    assert response.status_code == 422
    assert "not in this class" in response.content.decode()
    assert not Mark.objects.exists()
