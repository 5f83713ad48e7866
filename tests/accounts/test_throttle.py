"""One throttle for every way in: allauth's failed-login limit, per account and per address, at the portal
sign-in, the (redirected) admin login and the MFA code pages, with a lock-out message that says nothing
about the account."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.accounts.conftest import sign_in, totp_code, wrong_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("school")]

LOCKED = "Too many failed login attempts. Try again later."


@pytest.fixture(autouse=True)
def limits(settings):
    # Production's shape (per address, per account), small enough for a test.
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "6/m/ip,3/5m/key"}


def portal_login(client, email, password, ip="10.0.0.1"):
    return client.post(reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=ip)


def test_it_takes_no_password_at_the_admin_login(client, admin, password):
    for _ in range(30):
        client.post("/admin/login/", {"username": admin.email, "password": "wrong-password-x"})
    response = client.post("/admin/login/", {"username": admin.email, "password": password})
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_it_locks_an_account_after_repeated_failures_from_any_address(client, admin, password):
    for number in range(3):
        response = portal_login(client, admin.email, "wrong-password-x", ip=f"10.0.1.{number}")
        assert LOCKED not in response.content.decode()
    response = portal_login(client, admin.email, password, ip="10.0.2.1")
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_locks_an_address_that_tries_many_accounts(client, teacher, other_teacher, password):
    for number in range(6):
        portal_login(client, f"nobody{number}@school.test", "wrong-password-x")
    response = portal_login(client, teacher.email, password)
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another address is not held up by this one.
    response = portal_login(client, other_teacher.email, password, ip="10.9.9.9")
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_it_says_the_same_for_an_account_that_does_not_exist(client, teacher):
    answers = []
    for email in [teacher.email, "no.such.person@school.test"]:
        for number in range(4):
            response = portal_login(client, email, "wrong-password-x", ip=f"10.0.3.{number}")
        answers.append(response.content.decode().count(LOCKED))
    assert answers[0] == answers[1] > 0


def test_it_throttles_the_code_typed_after_the_password(client, admin, password, enrol, settings):
    settings.STUDENTFLOW_REQUIRE_STAFF_MFA = True
    secret = enrol(admin)
    assert sign_in(client, admin.email, password).url == reverse("mfa_authenticate")
    for _ in range(3):
        response = client.post(reverse("mfa_authenticate"), {"code": wrong_code(secret)})
        assert response.status_code == 200
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_throttles_the_code_a_session_types_to_catch_up_on_mfa(as_user, admin, enrol, settings):
    settings.STUDENTFLOW_REQUIRE_STAFF_MFA = True
    secret = enrol(admin)
    client = as_user(admin)
    for _ in range(3):
        client.post(reverse("mfa_reauthenticate"), {"code": wrong_code(secret)})
    response = client.post(reverse("mfa_reauthenticate"), {"code": totp_code(secret)})
    assert response.status_code == 200
    assert LOCKED in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


# --- behind a reverse proxy (nginx): the visitor, not nginx, is throttled ----------------------------------

NGINX = "10.0.0.2"


def login_through_nginx(client, email, password, visitor, sent_by_visitor=""):
    forwarded = f"{sent_by_visitor}, {visitor}" if sent_by_visitor else visitor  # nginx appends what it saw
    return client.post(
        reverse("account_login"),
        {"login": email, "password": password},
        REMOTE_ADDR=NGINX,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_behind_nginx_one_visitors_failures_do_not_lock_out_the_school(
    client, settings, teacher, other_teacher, password
):
    settings.TRUSTED_PROXY_COUNT = settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    for number in range(6):
        login_through_nginx(client, f"nobody{number}@school.test", "wrong-password-x", visitor="203.0.113.7")
    locked = login_through_nginx(client, teacher.email, password, visitor="203.0.113.7")
    assert LOCKED in locked.content.decode()
    # A colleague in the staff room, through the same nginx, signs in.
    response = login_through_nginx(client, other_teacher.email, password, visitor="198.51.100.20")
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_behind_nginx_an_address_the_visitor_writes_into_the_header_is_not_believed(
    client, settings, teacher, password
):
    settings.TRUSTED_PROXY_COUNT = settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    for number in range(6):
        login_through_nginx(
            client,
            f"nobody{number}@school.test",
            "wrong-password-x",
            visitor="203.0.113.7",
            sent_by_visitor=f"192.0.2.{number}",  # a new made-up address each time
        )
    response = login_through_nginx(
        client, teacher.email, password, visitor="203.0.113.7", sent_by_visitor="192.0.2.99"
    )
    assert LOCKED in response.content.decode()


def test_without_a_proxy_the_header_is_ignored(client, settings, teacher, password):
    assert settings.TRUSTED_PROXY_COUNT == 0
    for number in range(6):
        client.post(
            reverse("account_login"),
            {"login": f"nobody{number}@school.test", "password": "wrong-password-x"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{number}",
        )
    response = portal_login(client, teacher.email, password)  # same REMOTE_ADDR
    assert LOCKED in response.content.decode()


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "192.0.2.1", "10.0.0.2"),  # no proxy: the header is the visitor's own writing
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "192.0.2.1, 203.0.113.7", "203.0.113.7"),  # the left part came from the visitor
        (2, "192.0.2.1, 203.0.113.7, 10.0.0.9", "203.0.113.7"),  # a load balancer, then nginx
        (2, "203.0.113.7", "10.0.0.2"),  # shorter than the chain: it did not come through it
    ],
)
def test_the_portals_own_rate_limits_read_the_visitor_as_sign_in_does(
    settings, rf, proxies, forwarded, expected
):
    from modules.core.ratelimits import client_ip

    settings.TRUSTED_PROXY_COUNT = proxies
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
