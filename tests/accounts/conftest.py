"""Helpers for sign-in tests: real TOTP secrets and the codes an authenticator app would show."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal import auth as totp
from django.urls import reverse


def totp_code(secret: str, offset: int = 0) -> str:
    """The code an authenticator app shows now (offset in 30-second steps, for a stale code)."""
    counter = next(totp.yield_hotp_counters_from_time()) + offset
    return totp.format_hotp_value(totp.hotp_value(secret, counter))


def wrong_code(secret: str) -> str:
    """A well-formed code that is not valid now (an hour old)."""
    return totp_code(secret, offset=-120)


@pytest.fixture
def enrol():
    """Give a login a TOTP authenticator; returns its secret."""

    def enrol(user) -> str:
        secret = totp.generate_totp_secret()
        totp.TOTP.activate(user, secret)
        return secret

    return enrol


@pytest.fixture
def mfa_required(settings):
    settings.STUDENTFLOW_REQUIRE_STAFF_MFA = True


def sign_in(client, email: str, password: str, secret: str | None = None, next_url: str = ""):
    """Sign in through allauth's form, and type the code when allauth asks for it."""
    url = reverse("account_login") + (f"?next={next_url}" if next_url else "")
    response = client.post(url, {"login": email, "password": password})
    if secret is not None and response.status_code == 302 and response.url == reverse("mfa_authenticate"):
        response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    return response
