"""The whole grid posted as one form (no JavaScript): changed cells written all or nothing, errors per cell
with the typed values kept, and the locked term."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from modules.core.models import AuditEvent
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
    assert 'value="99"' in page
    assert 'value="19"' in page
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


def grid_data(client, s) -> dict:
    """Every field of the grid form as the page drew it (what a browser without JavaScript sends back)."""
    page = client.get(reverse("exams:gradebook", args=[s.offering.pk]) + f"?term={s.term.pk}")
    data = {}
    for tag in re.findall(r"<input [^>]*>", page.content.decode()):
        name, value = re.search(r' name="([^"]*)"', tag), re.search(r' value="([^"]*)"', tag)
        if name and name[1] != "csrfmiddlewaretoken":
            data[name[1]] = html.unescape(value[1]) if value else ""
    return data


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user, backend="modules.accounts.backends.PortalBackend")
    return client


def save_cell(client, s, quiz, student, value, base):
    url = reverse("exams:gradebook_cell", args=[s.offering.pk])
    data = {"assessment": quiz.pk, "student": student.pk, "value": value, "base": base}
    return client.post(url, data, headers={"HX-Request": "true"})


def test_a_stale_grid_leaves_a_mark_saved_meanwhile_that_it_did_not_change(teacher, admin, school):
    pupil = enrol(school.section, 1)[0]
    quiz = assessment(school)
    f.MarkFactory(assessment=quiz, student=school.child, score=11)
    at_desk, in_office = logged_in(teacher), logged_in(admin)
    office_grid = grid_data(in_office, school)
    assert save_cell(at_desk, school, quiz, school.child, "14", "11").status_code == 200
    office_grid[f"m-{pupil.pk}-{quiz.pk}"] = "17"
    response = in_office.post(
        reverse("exams:gradebook_save", args=[school.offering.pk]), office_grid, follow=True
    )
    assert Mark.objects.get(assessment=quiz, student=school.child).score == 14
    assert Mark.objects.get(assessment=quiz, student=pupil).score == 17
    assert "1 mark saved." in response.content.decode()
    assert AuditEvent.objects.filter(action="mark.set").count() == 2


def test_a_stale_grid_refuses_the_cell_someone_else_changed_and_saves_the_others(teacher, admin, school):
    pupil = enrol(school.section, 1)[0]
    quiz = assessment(school)
    f.MarkFactory(assessment=quiz, student=school.child, score=11)
    at_desk, in_office = logged_in(teacher), logged_in(admin)
    office_grid = grid_data(in_office, school)
    assert save_cell(at_desk, school, quiz, school.child, "14", "11").status_code == 200
    office_grid[f"m-{school.child.pk}-{quiz.pk}"] = "9"
    office_grid[f"m-{pupil.pk}-{quiz.pk}"] = "17"
    response = in_office.post(reverse("exams:gradebook_save", args=[school.offering.pk]), office_grid)
    page = response.content.decode()
    assert response.status_code == 409
    assert Mark.objects.get(assessment=quiz, student=school.child).score == 14
    assert Mark.objects.get(assessment=quiz, student=pupil).score == 17
    assert "2 marks saved" not in page
    assert "1 mark saved. 1 mark was not saved: someone else changed it since you opened the page." in page
    assert "Someone else changed this mark to “14” since you opened the page." in page
    assert f'id="m-{school.child.pk}-{quiz.pk}" value="9"' in page  # what the office typed, kept
    assert f'name="b-{school.child.pk}-{quiz.pk}" value="14"' in page
    assert f'id="m-{pupil.pk}-{quiz.pk}" value="17"' in page
    # Saving the re-shown page again replaces the teacher's 14 on purpose; the saved cell is not rewritten.
    again = grid_data(in_office, school) | {f"m-{school.child.pk}-{quiz.pk}": "9"}
    again[f"b-{school.child.pk}-{quiz.pk}"] = "14"
    response = in_office.post(reverse("exams:gradebook_save", args=[school.offering.pk]), again, follow=True)
    assert "1 mark saved." in response.content.decode()
    assert Mark.objects.get(assessment=quiz, student=school.child).score == 9
    assert AuditEvent.objects.filter(action="mark.set").count() == 3


def test_an_invalid_cell_saves_nothing_and_still_shows_the_conflict(teacher, admin, school):
    pupil = enrol(school.section, 1)[0]
    quiz = assessment(school)
    at_desk, in_office = logged_in(teacher), logged_in(admin)
    office_grid = grid_data(in_office, school)
    save_cell(at_desk, school, quiz, school.child, "ex", "")
    office_grid[f"m-{school.child.pk}-{quiz.pk}"] = "12"
    office_grid[f"m-{pupil.pk}-{quiz.pk}"] = "99"
    response = in_office.post(reverse("exams:gradebook_save", args=[school.offering.pk]), office_grid)
    page = response.content.decode()
    assert "Nothing was saved" in page
    assert "99 is above the maximum of 20." in page
    assert "Someone else changed this mark to “ex”" in page
    assert f'name="b-{pupil.pk}-{quiz.pk}" value=""' in page  # still on what the page showed
    assert list(Mark.objects.values_list("student_id", "code")) == [(school.child.pk, "ex")]
