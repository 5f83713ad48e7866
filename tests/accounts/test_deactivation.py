"""Deactivating someone in the office pages ends their access at once: their open sessions (on every
node, whatever the session store) stop working, and they cannot sign in again until reactivated."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from modules.core.models import AuditEvent
from tests import factories as f

pytestmark = [pytest.mark.django_db]

HOME = reverse("home")
INBOX = reverse("communications:message_inbox")


def signed_in(user, password) -> Client:
    """A browser of its own, signed in through the portal's sign-in form."""
    browser = Client()
    response = browser.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response.status_code == 302
    assert response.url == HOME
    assert browser.get(INBOX).status_code == 200
    return browser


def locked_out(browser: Client) -> bool:
    """Every page sends the browser to sign in."""
    answers = [browser.get(url) for url in [HOME, INBOX]]
    return all(
        answer.status_code == 302 and answer.url.startswith(reverse("account_login")) for answer in answers
    )


def can_sign_in(user, password) -> bool:
    browser = Client()
    browser.post(reverse("account_login"), {"login": user.email, "password": password})
    return "_auth_user_id" in browser.session


def form_data(page) -> dict:
    """What the office's edit form would post back unchanged."""
    form = page.context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if getattr(field.widget, "input_type", "") == "file" or value in (None, False):
            continue
        data[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return data


def office_edit(office: Client, url: str, **changes) -> None:
    data = {**form_data(office.get(url)), **changes}
    data = {key: value for key, value in data.items() if value is not None}
    response = office.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.fixture
def office(admin) -> Client:
    browser = Client()
    browser.force_login(admin, backend="modules.accounts.backends.PortalBackend")
    return browser


def test_it_ends_a_deactivated_teachers_sessions_and_sign_in(office, school, teacher, password, admin):
    browser = signed_in(teacher, password)
    edit = reverse("people:staff_edit", args=[school.teacher_staff.pk])
    office_edit(office, edit, is_active=None)
    assert locked_out(browser)
    assert not can_sign_in(teacher, password)
    actions = set(AuditEvent.objects.filter(object_id=str(teacher.pk)).values_list("action", flat=True))
    assert {"login.deactivate", "login.sessions_end"} <= actions
    assert AuditEvent.objects.get(action="login.deactivate").actor == admin

    # Ticking "active" again restores the login (old sessions stay ended).
    office_edit(office, edit, is_active="on")
    assert locked_out(browser)
    assert can_sign_in(teacher, password)
    assert AuditEvent.objects.filter(action="login.reactivate", object_id=str(teacher.pk)).exists()


def test_it_ends_a_leaving_students_access(office, school, student, password):
    browser = signed_in(student, password)
    office_edit(office, reverse("people:student_edit", args=[school.child.pk]), is_active=None)
    assert locked_out(browser)
    assert not can_sign_in(student, password)


def test_it_ends_a_withdrawn_students_access(office, school, student, password):
    browser = signed_in(student, password)
    enrollment = school.child.enrollments.get()
    office.post(reverse("academics:enrollment_withdraw", args=[school.section.pk, enrollment.pk]))
    assert locked_out(browser)
    assert not can_sign_in(student, password)


def test_it_ends_a_guardians_access_once_unlinked_from_every_child(office, school, guardian, password):
    second_child = f.StudentFactory(first_name="Ann", last_name="Parent", admission_number="A-0009")
    f.GuardianLinkFactory(
        student=second_child, guardian=school.guardian_profile, relationship="mother", is_primary=False
    )
    browser = signed_in(guardian, password)
    first = school.child.guardian_links.get()
    office.post(reverse("people:guardian_link_remove", args=[school.child.pk, first.pk]))
    # Still the parent of another child: nothing changes.
    assert browser.get(INBOX).status_code == 200
    second = second_child.guardian_links.get()
    office.post(reverse("people:guardian_link_remove", args=[second_child.pk, second.pk]))
    assert locked_out(browser)
    assert not can_sign_in(guardian, password)

    # Linked to a child again: the parent signs in again.
    response = office.post(
        reverse("people:guardian_link_add", args=[school.child.pk]),
        {"email": guardian.email, "relationship": "mother", "receives_notifications": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert can_sign_in(guardian, password)


def test_it_keeps_the_login_of_a_teacher_who_is_also_a_parent(office, school, teacher, password):
    f.GuardianLinkFactory(
        student=school.other_child,
        guardian=f.GuardianFactory(user=teacher, first_name="Tom", last_name="Teach", email=teacher.email),
        is_primary=False,
    )
    browser = signed_in(teacher, password)
    office_edit(office, reverse("people:staff_edit", args=[school.teacher_staff.pk]), is_active=None)
    # The teacher's sessions end, but the parent signs in again and acts only as a parent.
    assert locked_out(browser)
    browser = signed_in(teacher, password)
    teacher.refresh_from_db()
    assert teacher.is_active
    assert teacher.roles == ["guardian"]
    assert "My sections" not in browser.get(HOME).content.decode()


def test_it_ends_sessions_kept_in_the_cache(settings, office, school, admin, teacher, password):
    # Several nodes share sessions through Redis (the cache engine): nothing can list them per user.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    Session.objects.all().delete()  # the office's session from before the switch
    office.force_login(admin, backend="modules.accounts.backends.PortalBackend")
    browser = signed_in(teacher, password)
    other_node = Client()
    other_node.cookies = browser.cookies
    assert other_node.get(INBOX).status_code == 200
    assert not Session.objects.exists()  # nothing in the database to delete
    office_edit(office, reverse("people:staff_edit", args=[school.teacher_staff.pk]), is_active=None)
    assert locked_out(browser)
    assert locked_out(other_node)


def test_it_does_not_end_sessions_when_nothing_about_access_changed(office, school, teacher, password):
    browser = signed_in(teacher, password)
    edit = reverse("people:staff_edit", args=[school.teacher_staff.pk])
    office_edit(office, edit, job_title="Head of maths")
    assert browser.get(INBOX).status_code == 200
    assert not AuditEvent.objects.filter(action__startswith="login.").exists()
