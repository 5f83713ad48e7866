from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal import auth as totp
from django.test import override_settings
from django.urls import reverse

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("school")]

ACTIVATE = reverse("mfa_activate_totp")


@pytest.fixture(autouse=True)
def mfa_required(settings):
    settings.STUDENTFLOW_REQUIRE_STAFF_MFA = True


@pytest.mark.parametrize("persona", ["admin", "teacher", "bursar"])
def test_it_sends_staff_without_mfa_to_enrol_from_every_page(persona, request, as_user):
    client = as_user(request.getfixturevalue(persona))
    for url in [reverse("home"), reverse("people:student_list"), "/admin/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(ACTIVATE + "?next=")


@pytest.mark.parametrize("persona", ["guardian", "student"])
def test_it_does_not_ask_families_to_enrol(persona, request, as_user):
    assert as_user(request.getfixturevalue(persona)).get(reverse("home")).status_code == 200


def test_it_lets_staff_through_once_the_session_typed_a_code(as_user, teacher):
    secret = totp.generate_totp_secret()
    totp.TOTP.activate(teacher, secret)
    client = as_user(teacher)
    assert client.get(reverse("home")).url.startswith(reverse("mfa_reauthenticate"))
    code = totp.format_hotp_value(totp.hotp_value(secret, next(totp.yield_hotp_counters_from_time())))
    client.post(reverse("mfa_reauthenticate"), {"code": code})
    assert client.get(reverse("home")).status_code == 200


@override_settings(STUDENTFLOW_REQUIRE_STAFF_MFA=False)
def test_it_lets_staff_in_when_the_setting_is_off(as_user, teacher):
    assert as_user(teacher).get(reverse("home")).status_code == 200


def test_it_walks_a_teacher_through_enrolment_after_signing_in(client, teacher, password):
    # Sign in, confirm the password, scan the secret, type the current code: then every page opens.
    response = client.post(reverse("account_login"), {"login": teacher.email, "password": password})
    response = client.get(response.url)
    assert response.status_code == 302
    assert response.url.startswith(ACTIVATE)
    # allauth asks for the password again before adding an authenticator.
    response = client.get(ACTIVATE)
    assert response.url.startswith(reverse("account_reauthenticate"))
    response = client.post(response.url, {"password": password})
    assert response.status_code == 302
    page = client.get(ACTIVATE)
    assert page.status_code == 200
    secret = page.context["form"].secret
    code = totp.format_hotp_value(totp.hotp_value(secret, next(totp.yield_hotp_counters_from_time())))
    response = client.post(ACTIVATE, {"code": code})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=teacher, type=Authenticator.Type.TOTP).exists()
    assert client.get(reverse("home")).status_code == 200


def test_it_asks_a_session_to_enrol_again_after_its_authenticator_is_removed(as_user, teacher):
    client = as_user(teacher)
    authenticator = totp.TOTP.activate(teacher, totp.generate_totp_secret()).instance
    authenticator.delete()
    assert client.get(reverse("home")).url.startswith(ACTIVATE)


def test_it_keeps_staff_from_switching_their_own_authenticator_off(client, teacher, password):
    secret = totp.generate_totp_secret()
    totp.TOTP.activate(teacher, secret)
    client.post(reverse("account_login"), {"login": teacher.email, "password": password})
    code = totp.format_hotp_value(totp.hotp_value(secret, next(totp.yield_hotp_counters_from_time())))
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("account_reauthenticate"), {"password": password})  # allauth asks before MFA changes

    response = client.post(reverse("mfa_deactivate_totp"), follow=True)
    assert "Staff accounts must keep two-factor authentication" in response.text
    assert Authenticator.objects.filter(user=teacher, type=Authenticator.Type.TOTP).exists()


def test_it_lets_a_guardian_switch_their_authenticator_off(client, guardian, password):
    secret = totp.generate_totp_secret()
    totp.TOTP.activate(guardian, secret)
    client.post(reverse("account_login"), {"login": guardian.email, "password": password})
    code = totp.format_hotp_value(totp.hotp_value(secret, next(totp.yield_hotp_counters_from_time())))
    client.post(reverse("mfa_authenticate"), {"code": code})
    client.post(reverse("account_reauthenticate"), {"password": password})
    assert client.post(reverse("mfa_deactivate_totp")).status_code == 302
    assert not Authenticator.objects.filter(user=guardian, type=Authenticator.Type.TOTP).exists()
