from __future__ import annotations

import pytest
from django.urls import reverse

from modules.people.models import Guardian, GuardianLink

pytestmark = pytest.mark.django_db


def test_it_lists_and_searches_guardians_with_their_children_count(as_user, admin, school):
    client = as_user(admin)
    page = client.get(reverse("people:guardian_list")).content.decode()
    assert "Pat Parent" in page
    assert "Otto Elsewhere" in page
    page = client.get(reverse("people:guardian_list"), {"q": "otto"}).content.decode()
    assert "Otto Elsewhere" in page
    assert "Pat Parent" not in page


def test_it_shows_a_guardians_children(as_user, admin, school):
    page = (
        as_user(admin)
        .get(reverse("people:guardian_detail", args=[school.guardian_profile.pk]))
        .content.decode()
    )
    assert "Sam Parent" in page
    assert "Mother" in page


def test_it_links_an_existing_guardian_found_by_email(as_user, admin, school):
    url = reverse("people:guardian_link_add", args=[school.other_child.pk])
    response = as_user(admin).post(
        url, {"email": "PARENT@school.test", "relationship": "guardian", "receives_notifications": "on"}
    )
    assert response.status_code == 302
    link = GuardianLink.objects.get(student=school.other_child, guardian=school.guardian_profile)
    assert link.relationship == "guardian"
    assert link.receives_notifications
    assert not link.is_primary


def test_it_registers_a_new_guardian_and_makes_them_primary(as_user, admin, school):
    url = reverse("people:guardian_link_add", args=[school.child.pk])
    response = as_user(admin).post(
        url,
        {
            "email": "gran@example.test",
            "first_name": "Gwen",
            "last_name": "Gran",
            "relationship": "grandparent",
            "is_primary": "on",
        },
    )
    assert response.status_code == 302
    gran = Guardian.objects.get(email="gran@example.test")
    links = {link.guardian_id: link.is_primary for link in school.child.guardian_links.all()}
    assert links == {gran.pk: True, school.guardian_profile.pk: False}


def test_it_asks_for_a_name_when_the_email_is_unknown(as_user, admin, school):
    url = reverse("people:guardian_link_add", args=[school.child.pk])
    response = as_user(admin).post(url, {"email": "unknown@example.test", "relationship": "mother"})
    assert "No guardian has that email." in response.content.decode()
    assert school.child.guardian_links.count() == 1


def test_it_refuses_to_link_the_same_guardian_twice(as_user, admin, school):
    url = reverse("people:guardian_link_add", args=[school.child.pk])
    response = as_user(admin).post(url, {"email": "parent@school.test", "relationship": "mother"})
    assert "is already linked to this student." in response.content.decode()
    assert school.child.guardian_links.count() == 1


def test_it_unlinks_a_guardian(as_user, admin, school):
    link = school.child.guardian_links.get()
    response = as_user(admin).post(reverse("people:guardian_link_remove", args=[school.child.pk, link.pk]))
    assert response.status_code == 302
    assert not GuardianLink.objects.filter(pk=link.pk).exists()


def test_it_answers_404_for_a_link_of_another_student(as_user, admin, school):
    link = school.other_child.guardian_links.get()
    response = as_user(admin).post(reverse("people:guardian_link_remove", args=[school.child.pk, link.pk]))
    assert response.status_code == 404
    assert GuardianLink.objects.filter(pk=link.pk).exists()


def test_it_refuses_get_on_unlink(as_user, admin, school):
    link = school.child.guardian_links.get()
    assert (
        as_user(admin)
        .get(reverse("people:guardian_link_remove", args=[school.child.pk, link.pk]))
        .status_code
        == 405
    )


def test_it_edits_a_guardian(as_user, admin, school):
    url = reverse("people:guardian_edit", args=[school.guardian_profile.pk])
    response = as_user(admin).post(
        url,
        {
            "first_name": "Patricia",
            "last_name": "Parent",
            "email": "parent@school.test",
            "preferred_language": "fr",
        },
    )
    assert response.status_code == 302
    school.guardian_profile.refresh_from_db()
    assert school.guardian_profile.first_name == "Patricia"
    assert school.guardian_profile.preferred_language == "fr"


@pytest.mark.parametrize("persona", ["teacher", "guardian", "bursar"])
def test_it_keeps_guardian_pages_for_the_office(persona, request, as_user, school):
    client = as_user(request.getfixturevalue(persona))
    assert client.get(reverse("people:guardian_list")).status_code == 403
    assert client.get(reverse("people:guardian_detail", args=[school.guardian_profile.pk])).status_code == 403
