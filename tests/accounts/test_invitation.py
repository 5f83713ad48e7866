from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from modules.accounts.models import User
from modules.people.models import Staff

pytestmark = pytest.mark.django_db


def staff_form(**overrides):
    data = {
        "first_name": "Nora",
        "last_name": "Newhire",
        "email": "nora.newhire@school.test",
        "phone": "",
        "staff_number": "S-9001",
        "position": "teacher",
        "job_title": "Science teacher",
        "hire_date": "2026-09-01",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_it_invites_new_staff_by_email_with_a_set_password_link(
    as_user, admin, school, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(admin).post(reverse("people:staff_create"), staff_form())
    staff = Staff.objects.get(staff_number="S-9001")
    assert response.status_code == 302
    assert response.url == reverse("people:staff_detail", args=[staff.pk])
    assert not staff.user.has_usable_password()
    assert staff.user.groups.filter(name="Teachers").exists()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nora.newhire@school.test"]
    assert "portal account" in message.subject
    html = message.alternatives[0][0]
    assert "Choose my password" in html
    link = re.search(r"http://[^\s]+/accounts/password/reset/key/\S+/", message.body).group(0)

    client.logout()
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    response = client.get(path, follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(form_url, {"password1": "nora-chooses-this-1", "password2": "nora-chooses-this-1"})
    assert response.status_code == 302
    response = client.post(
        reverse("account_login"), {"login": "nora.newhire@school.test", "password": "nora-chooses-this-1"}
    )
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_it_invites_in_the_persons_language(as_user, admin, school, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        as_user(admin).post(
            reverse("people:guardian_create"),
            {
                "first_name": "Lucía",
                "last_name": "Gómez",
                "email": "lucia@example.test",
                "preferred_language": "es",
                "create_login": "on",
            },
        )
    user = User.objects.get(email="lucia@example.test")
    assert user.language == "es"
    assert len(mail.outbox) == 1
    assert "Elegir mi contraseña" in mail.outbox[0].alternatives[0][0]


def test_it_refuses_a_staff_email_already_used_by_another_staff_login(as_user, admin, teacher, school):
    response = as_user(admin).post(reverse("people:staff_create"), staff_form(email=teacher.email))
    assert response.status_code == 200
    assert "already belongs to another staff member" in response.content.decode()
    assert not Staff.objects.filter(staff_number="S-9001").exists()
    assert mail.outbox == []


def test_it_links_a_parent_who_is_already_a_teacher_to_the_same_login(as_user, admin, teacher, school):
    response = as_user(admin).post(
        reverse("people:guardian_create"),
        {
            "first_name": "Tom",
            "last_name": "Teach",
            "email": teacher.email,
            "preferred_language": "en",
            "create_login": "on",
        },
    )
    assert response.status_code == 302
    teacher.refresh_from_db()
    assert teacher.guardian_profile.last_name == "Teach"
    assert mail.outbox == []  # the teacher already has a password


def test_it_resends_an_invitation_on_request(as_user, admin, school, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        as_user(admin).post(reverse("people:staff_create"), staff_form())
    staff = Staff.objects.get(staff_number="S-9001")
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(admin).post(reverse("people:person_invite", args=["staff", staff.pk]), follow=True)
    assert "An invitation was sent to nora.newhire@school.test." in response.content.decode()
    assert len(mail.outbox) == 2


def test_it_does_not_invite_someone_who_already_chose_a_password(as_user, admin, school, teacher):
    response = as_user(admin).post(
        reverse("people:person_invite", args=["staff", school.teacher_staff.pk]), follow=True
    )
    assert "has already set a password" in response.content.decode()
    assert mail.outbox == []
