from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def login(client, email, password):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_it_signs_a_teacher_in_and_lands_on_their_home(client, teacher, school, password):
    response = login(client, "TEACHER@school.test", password)
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert "My sections" in client.get(response.url).content.decode()


def test_it_says_so_when_the_password_is_wrong(client, teacher):
    response = login(client, teacher.email, "not-the-password")
    assert response.status_code == 200
    assert "The email address and/or password you specified are not correct." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_has_no_public_sign_up(client):
    response = client.get(reverse("account_signup"))
    assert "Sign Up Closed" in response.content.decode()


@override_settings(ACCOUNT_RATE_LIMITS={"login_failed": "3/m/ip,3/5m/key"})
def test_it_rate_limits_repeated_failed_logins(client, teacher, password):
    for _ in range(3):
        login(client, teacher.email, "wrong-password-here")
    response = login(client, teacher.email, password)
    assert response.status_code in {200, 429}
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_emails_a_password_reset_link_that_sets_a_new_password(client, guardian):
    response = client.post(reverse("account_reset_password"), {"email": guardian.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^\s]+/accounts/password/reset/key/[^\s]+/", mail.outbox[0].body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else "/" + path
    response = client.post(
        form_url, {"password1": "a-brand-new-secret-42", "password2": "a-brand-new-secret-42"}
    )
    assert response.status_code == 302
    guardian.refresh_from_db()
    assert guardian.check_password("a-brand-new-secret-42")


def test_it_explains_an_expired_or_used_reset_link(client, guardian):
    response = client.get("/accounts/password/reset/key/1-set-password/")
    assert response.status_code == 200
    assert "Bad Token" in response.content.decode()
    assert reverse("account_reset_password") in response.content.decode()


def test_it_does_not_reveal_whether_an_email_has_an_account(client, db):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@nowhere.test"})
    assert response.status_code == 302
    # allauth tells unknown addresses that they have no account, without telling the requester.
    assert all("nobody@nowhere.test" in message.to for message in mail.outbox)


def test_it_signs_out_on_post(client, teacher, password):
    login(client, teacher.email, password)
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_the_sign_in_page_offers_no_sign_up_and_puts_the_cursor_in_the_email_field(client, db):
    """Accounts come from the office's invitations: a "sign up first" link led to "Sign Up Closed"."""
    page = client.get(reverse("account_login")).content.decode()
    assert "sign up" not in page.lower()
    assert reverse("account_signup") not in page
    email_input = page.split('name="login"', 1)[1].split(">", 1)[0]
    assert "autofocus" in email_input
