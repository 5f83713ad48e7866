"""One way in, with MFA: the Django admin's login form is gone, and a staff session that did not type its
code this time reaches nothing but the code page and sign-out."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.accounts.conftest import sign_in, totp_code, wrong_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("school", "mfa_required")]

EXPORT = reverse("people:student_export")
REAUTH = reverse("mfa_reauthenticate")


def test_it_does_not_sign_in_through_the_admin_login_form(client, admin, password, enrol):
    enrol(admin)
    response = client.post("/admin/login/?next=/admin/", {"username": admin.email, "password": password})
    assert response.status_code == 302
    assert response.url == reverse("account_login") + "?next=%2Fadmin%2F"
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302
    assert client.get(EXPORT).status_code == 302


def test_it_sends_the_admin_login_page_to_the_portal_sign_in(client, db):
    response = client.get("/admin/login/?next=/admin/people/student/")
    assert response.status_code == 302
    assert response.url == reverse("account_login") + "?next=%2Fadmin%2Fpeople%2Fstudent%2F"


def test_it_refuses_an_offsite_next_on_the_admin_login(client, db):
    response = client.get("/admin/login/?next=https://evil.test/")
    assert response.url == reverse("account_login") + "?next=%2Fadmin%2F"


def test_it_refuses_the_admin_login_to_a_signed_in_family_member(as_user, guardian):
    assert as_user(guardian).get("/admin/login/").status_code == 403


def test_it_sends_the_admin_logout_to_the_portal_sign_out(as_user, admin, settings):
    settings.STUDENTFLOW_REQUIRE_STAFF_MFA = False
    response = as_user(admin).post("/admin/logout/")
    assert response.status_code == 302
    assert response.url == reverse("account_logout")


def test_it_asks_an_enrolled_administrator_for_the_code_after_the_password(client, admin, password, enrol):
    secret = enrol(admin)
    response = sign_in(client, admin.email, password, next_url="/admin/")
    assert response.url == reverse("mfa_authenticate")
    for url in ["/admin/", EXPORT, reverse("home"), reverse("account_email")]:
        assert client.get(url).status_code == 302, url
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": wrong_code(secret)})
    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert response.url == "/admin/"
    assert client.get("/admin/").status_code == 200
    export = client.get(EXPORT)
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")


def test_it_sends_a_session_that_skipped_mfa_to_type_the_code(as_user, admin, enrol):
    # A session opened without the code (the old admin login, or one from before this rule).
    secret = enrol(admin)
    client = as_user(admin)
    for url in ["/admin/", EXPORT, reverse("home"), reverse("account_email"), reverse("mfa_index")]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(REAUTH), url
    # It cannot enrol a second authenticator or reach the password pages either.
    assert client.get(reverse("mfa_activate_totp")).url.startswith(REAUTH)
    assert client.get(reverse("account_reauthenticate")).url.startswith(REAUTH)
    page = client.get(response.url)
    assert page.status_code == 200
    response = client.post(f"{REAUTH}?next=/admin/", {"code": totp_code(secret)})
    assert response.status_code == 302
    assert response.url == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get(EXPORT).status_code == 200


def test_it_keeps_staff_who_must_enrol_away_from_account_pages(as_user, teacher):
    client = as_user(teacher)
    activate = reverse("mfa_activate_totp")
    pages = [reverse("account_email"), reverse("account_change_password"), reverse("mfa_index"), "/admin/"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(activate), url
    assert client.post(reverse("account_logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_it_lets_a_session_that_typed_its_code_stay_in_on_every_page(client, teacher, password, enrol):
    secret = enrol(teacher)
    sign_in(client, teacher.email, password, secret)
    for url in [reverse("home"), reverse("mfa_index"), reverse("account_change_password")]:
        assert client.get(url).status_code == 200, url


def test_it_asks_again_in_a_new_session(client, teacher, password, enrol, django_user_model):
    secret = enrol(teacher)
    sign_in(client, teacher.email, password, secret)
    client.post(reverse("account_logout"))
    response = sign_in(client, teacher.email, password)
    assert response.url == reverse("mfa_authenticate")
    assert client.get(reverse("home")).status_code == 302


def test_it_asks_any_login_that_may_open_the_admin_for_mfa(as_user, guardian):
    guardian.is_staff = True
    guardian.save()
    response = as_user(guardian).get("/admin/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("mfa_activate_totp"))
