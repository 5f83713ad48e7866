"""Nobody can take over another person's address: people cannot add or change addresses on their account,
the office changes them without collisions, and the database refuses two logins with one address."""

from __future__ import annotations

import importlib
import re

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from modules.accounts.models import User
from modules.core.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("school")]

EMAIL = reverse("account_email")


def reset_link(address: str) -> str | None:
    for message in mail.outbox:
        if address in message.to:
            found = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/[^\s]+/)", message.body)
            if found:
                return found.group(1)
    return None


def test_it_refuses_to_add_another_users_address(as_user, guardian, teacher, password):
    client = as_user(guardian)
    response = client.post(EMAIL, {"action_add": "", "email": teacher.email})
    assert response.status_code == 405
    response = client.post(EMAIL, {"action_primary": "", "email": teacher.email})
    assert response.status_code == 405
    assert not EmailAddress.objects.filter(user=guardian).exclude(email=guardian.email).exists()
    # The teacher still signs in, and a reset for the teacher's address reaches the teacher's account only.
    assert Client().post(reverse("account_login"), {"login": teacher.email, "password": password}).url == "/"
    Client().post(reverse("account_reset_password"), {"email": teacher.email})
    link = reset_link(teacher.email)
    browser = Client()
    form_url = browser.get(link, follow=True).redirect_chain[-1][0]
    browser.post(form_url, {"password1": "teacher-new-secret-7", "password2": "teacher-new-secret-7"})
    teacher.refresh_from_db()
    guardian.refresh_from_db()
    assert teacher.check_password("teacher-new-secret-7")
    assert guardian.check_password(password)


def test_it_shows_the_sign_in_address_read_only(as_user, guardian):
    page = as_user(guardian).get(EMAIL)
    assert page.status_code == 200
    html = page.content.decode()
    assert guardian.email in html
    assert "ask the school office" in html
    assert 'name="email"' not in html
    assert "action_add" not in html


def test_it_refuses_two_logins_with_one_address_in_any_case(guardian, teacher):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=guardian.pk).update(email=teacher.email.upper())


def test_it_forgets_addresses_added_before_this_rule(guardian, teacher):
    EmailAddress.objects.create(user=guardian, email=guardian.email, verified=True, primary=True)
    EmailAddress.objects.create(user=guardian, email=teacher.email, verified=False, primary=False)
    migration = importlib.import_module("modules.accounts.migrations.0003_forget_foreign_email_addresses")
    migration.forget_foreign_addresses(apps, None)
    assert list(EmailAddress.objects.values_list("email", flat=True)) == [guardian.email]


def test_it_lets_the_office_change_a_staff_address_and_the_old_one_stops_working(
    as_user, admin, school, teacher
):
    EmailAddress.objects.create(user=teacher, email=teacher.email, verified=True, primary=True)
    staff = school.teacher_staff
    data = {
        "first_name": staff.first_name,
        "last_name": staff.last_name,
        "email": "tom.new@school.test",
        "staff_number": staff.staff_number,
        "position": "teacher",
        "is_active": "on",
    }
    response = as_user(admin).post(reverse("people:staff_edit", args=[staff.pk]), data)
    assert response.status_code == 302
    teacher.refresh_from_db()
    assert teacher.email == "tom.new@school.test"
    event = AuditEvent.objects.get(action="login.email_change")
    assert event.before == {"email": "teacher@school.test"}
    assert event.actor == admin
    Client().post(reverse("account_reset_password"), {"email": "teacher@school.test"})
    assert reset_link("teacher@school.test") is None
    Client().post(reverse("account_reset_password"), {"email": "tom.new@school.test"})
    assert reset_link("tom.new@school.test") is not None


def test_it_refuses_the_office_an_address_another_login_has(as_user, admin, school, guardian, teacher):
    staff = school.teacher_staff
    data = {
        "first_name": staff.first_name,
        "last_name": staff.last_name,
        "email": guardian.email.upper(),
        "staff_number": staff.staff_number,
        "position": "teacher",
        "is_active": "on",
    }
    response = as_user(admin).post(reverse("people:staff_edit", args=[staff.pk]), data)
    assert response.status_code == 200
    assert "already" in response.content.decode()
    teacher.refresh_from_db()
    assert teacher.email == "teacher@school.test"
