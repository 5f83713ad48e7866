"""Exports of student data ask for a recent re-authentication (modules.core.exports): tests that download
one type the password again first, on allauth's page, as a person would."""

from __future__ import annotations

from django.urls import reverse

from tests.factories import PASSWORD


def reauthenticate(client, password: str = PASSWORD):
    response = client.post(reverse("account_reauthenticate"), {"password": password})
    assert response.status_code == 302, "the password was not accepted"
    return client
