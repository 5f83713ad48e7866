"""Two office staff editing the same person's record never overwrite each other silently
(core.concurrency.StaleEditCheckMixin on the people forms)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from modules.people.models import Position
from tests.conftest import _staff
from tests.forms import form_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_admin(db):
    return _staff("second.office@school.test", Position.ADMINISTRATOR, "Otto", "Office")


def _open(client, url):
    page = client.get(url)
    assert page.status_code == 200
    return form_fields(page.text)


def test_it_keeps_a_colleagues_change_to_a_field_the_stale_page_did_not_touch(
    as_user, admin, other_admin, school
):
    url = reverse("people:student_edit", args=[school.child.pk])
    first, second = as_user(admin), as_user(other_admin)
    drawn_first, drawn_second = _open(first, url), _open(second, url)

    assert first.post(url, {**drawn_first, "phone": "+44 20 7946 0001"}).status_code == 302
    # The second page still shows the old (empty) phone; it changes only the address.
    assert second.post(url, {**drawn_second, "address": "1 New Street"}).status_code == 302

    school.child.refresh_from_db()
    assert (school.child.phone, school.child.address) == ("+44 20 7946 0001", "1 New Street")


def test_it_refuses_a_field_both_changed_and_shows_the_colleagues_value(as_user, admin, other_admin, school):
    url = reverse("people:student_edit", args=[school.child.pk])
    first, second = as_user(admin), as_user(other_admin)
    drawn_first, drawn_second = _open(first, url), _open(second, url)
    assert first.post(url, {**drawn_first, "phone": "+44 20 7946 0001"}).status_code == 302

    response = second.post(url, {**drawn_second, "phone": "+44 20 7946 0999", "address": "1 New Street"})
    assert response.status_code == 200
    assert "Someone else changed this to “+44 20 7946 0001” since you opened the page" in response.text
    shown = form_fields(response.text)
    assert shown["phone"] == "+44 20 7946 0999"  # what was typed is kept on the page, unsaved
    school.child.refresh_from_db()
    assert (school.child.phone, school.child.address) == ("+44 20 7946 0001", "")  # nothing half-written

    # Having seen the colleague's value, saving again replaces it on purpose.
    assert second.post(url, shown).status_code == 302
    school.child.refresh_from_db()
    assert (school.child.phone, school.child.address) == ("+44 20 7946 0999", "1 New Street")


def test_it_guards_guardian_and_staff_records_the_same_way(as_user, admin, other_admin, school, teacher):
    guardian = school.guardian_profile
    url = reverse("people:guardian_edit", args=[guardian.pk])
    first, second = as_user(admin), as_user(other_admin)
    drawn_first, drawn_second = _open(first, url), _open(second, url)
    assert first.post(url, {**drawn_first, "occupation": "Nurse"}).status_code == 302
    response = second.post(url, {**drawn_second, "occupation": "Pilot"})
    assert "Someone else changed this to “Nurse”" in response.text
    guardian.refresh_from_db()
    assert guardian.occupation == "Nurse"

    staff = teacher.staff_profile
    url = reverse("people:staff_edit", args=[staff.pk])
    drawn_first, drawn_second = _open(first, url), _open(second, url)
    assert first.post(url, {**drawn_first, "job_title": "Head of Maths"}).status_code == 302
    assert second.post(url, {**drawn_second, "phone": "0123"}).status_code == 302
    staff.refresh_from_db()
    assert (staff.job_title, staff.phone) == ("Head of Maths", "0123")
