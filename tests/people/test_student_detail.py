from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from tests.images import png_bytes

pytestmark = pytest.mark.django_db


def test_it_shows_the_office_guardians_enrollments_contact_and_health(as_user, admin, school):
    school.child.medical_notes = "Peanut allergy"
    school.child.phone = "+1 555 0199"
    school.child.save()
    page = as_user(admin).get(reverse("people:student_detail", args=[school.child.pk])).content.decode()
    assert "Sam Parent" in page
    assert "Pat Parent" in page
    assert "Mother" in page
    assert "Primary contact" in page
    assert school.year.name in page
    assert "7A" in page
    assert "+1 555 0199" in page
    assert "Peanut allergy" in page
    assert reverse("people:student_edit", args=[school.child.pk]) in page


@pytest.mark.parametrize("persona", ["teacher", "guardian", "student", "bursar"])
def test_it_hides_health_notes_and_edit_links_from_everyone_else(persona, request, as_user, school):
    school.child.medical_notes = "Peanut allergy"
    school.child.save()
    page = as_user(request.getfixturevalue(persona)).get(
        reverse("people:student_detail", args=[school.child.pk])
    )
    assert page.status_code == 200
    assert "Peanut allergy" not in page.content.decode()
    assert reverse("people:student_edit", args=[school.child.pk]) not in page.content.decode()


@pytest.mark.parametrize("persona", ["other_teacher", "other_guardian"])
def test_it_hides_another_familys_child(persona, request, as_user, school):
    response = as_user(request.getfixturevalue(persona)).get(
        reverse("people:student_detail", args=[school.child.pk])
    )
    assert response.status_code == 404


def test_it_hides_a_classmate_from_a_student(as_user, student, school):
    response = as_user(student).get(reverse("people:student_detail", args=[school.other_child.pk]))
    assert response.status_code == 404


def test_it_serves_the_photo_only_to_those_who_may_see_the_student(as_user, guardian, other_guardian, school):
    school.child.photo.save("me.png", ContentFile(png_bytes()), save=True)
    assert "me.png" not in school.child.photo.name  # stored under a random name
    url = reverse("people:student_photo", args=[school.child.pk])
    response = as_user(guardian).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert as_user(other_guardian).get(url).status_code == 404


def test_it_answers_404_for_a_student_without_a_photo(as_user, guardian, school):
    assert as_user(guardian).get(reverse("people:student_photo", args=[school.child.pk])).status_code == 404
