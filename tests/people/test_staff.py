from __future__ import annotations

import pytest
from django.urls import reverse

from modules.people.models import Staff

pytestmark = pytest.mark.django_db


def test_it_lists_and_filters_staff_by_position(as_user, admin, bursar, school):
    client = as_user(admin)
    page = client.get(reverse("people:staff_list")).content.decode()
    assert "Tom Teach" in page
    assert "Bea Money" in page
    page = client.get(reverse("people:staff_list"), {"position": "bursar"}).content.decode()
    assert "Bea Money" in page
    assert "Tom Teach" not in page


def test_it_shows_a_teachers_classes(as_user, admin, school):
    page = as_user(admin).get(reverse("people:staff_detail", args=[school.teacher_staff.pk])).content.decode()
    assert "Mathematics · 7A" in page
    assert "Homeroom" in page


def test_it_promotes_a_teacher_to_administrator_with_admin_site_access(as_user, admin, school):
    staff = school.teacher_staff
    response = as_user(admin).post(
        reverse("people:staff_edit", args=[staff.pk]),
        {
            "first_name": staff.first_name,
            "last_name": staff.last_name,
            "email": staff.email,
            "staff_number": staff.staff_number,
            "position": "administrator",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    staff.user.refresh_from_db()
    assert staff.user.is_staff
    assert list(staff.user.groups.values_list("name", flat=True)) == ["Administrators"]


def test_it_deactivates_a_staff_member_who_then_loses_their_role(as_user, admin, school):
    staff = school.teacher_staff
    as_user(admin).post(
        reverse("people:staff_edit", args=[staff.pk]),
        {
            "first_name": staff.first_name,
            "last_name": staff.last_name,
            "email": staff.email,
            "staff_number": staff.staff_number,
            "position": "teacher",
        },
    )
    staff.refresh_from_db()
    assert not staff.is_active
    assert not staff.user.groups.exists()
    # With no other role the login is deactivated too: it cannot open a page any more.
    staff.user.refresh_from_db()
    assert not staff.user.is_active
    assert as_user(staff.user).get(reverse("home")).status_code == 302


def test_it_requires_an_email_for_staff(as_user, admin, school):
    response = as_user(admin).post(
        reverse("people:staff_create"),
        {"first_name": "No", "last_name": "Mail", "staff_number": "S-1", "position": "teacher"},
    )
    assert "This field is required." in response.content.decode()
    assert not Staff.objects.filter(staff_number="S-1").exists()


@pytest.mark.parametrize("persona", ["teacher", "guardian", "student", "bursar"])
def test_it_keeps_staff_pages_for_the_office(persona, request, as_user, school):
    client = as_user(request.getfixturevalue(persona))
    assert client.get(reverse("people:staff_list")).status_code == 403
    assert client.get(reverse("people:staff_edit", args=[school.teacher_staff.pk])).status_code == 403
