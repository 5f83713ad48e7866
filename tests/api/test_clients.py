"""Programs registered by the office (OAuth2 client credentials), through HTTP: registered on the programs
page (the secret shown once), a token got at /api/oauth/token by HTTP Basic or in the form and used on the
API with the office's view within the program's scopes, the RFC 6749 errors, the throttle of wrong
credentials, and a program stopped by its revocation or its registrant's deactivation."""

from __future__ import annotations

import base64
import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from modules.accounts import services as accounts
from modules.api.clients import client_register
from modules.api.models import ApiToken

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/oauth/token"


@pytest.fixture(autouse=True)
def _fresh_rates():
    cache.clear()
    yield
    cache.clear()


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def ask(client, credentials: dict[str, str], **form):
    return client.post(TOKEN_URL, {"grant_type": "client_credentials", **form}, headers=credentials)


def test_the_office_registers_a_program_that_gets_a_token_and_reads_as_the_office(
    client, as_user, admin, school
):
    page = as_user(admin).post(
        reverse("api_clients:clients"), {"name": "Learning platform", "scopes": ["roster:read"]}
    )
    assert page.status_code == 200
    html = page.content.decode()
    client_id = re.search(r'id="client-id" type="text" readonly value="(sfc_\w+)"', html).group(1)
    secret = re.search(r'id="client-secret" type="text" readonly value="(sfs_[^"]+)"', html).group(1)
    assert secret not in as_user(admin).get(reverse("api_clients:clients")).content.decode()
    client.logout()
    answer = ask(client, basic(client_id, secret))
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    body = answer.json()
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 3600, "roster:read")
    students = client.get("/api/v1/students", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert students.status_code == 200
    assert {row["id"] for row in students.json()["results"]} == {school.child.pk, school.other_child.pk}
    # Its scopes only.
    marks = client.get("/api/v1/marks", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert marks.status_code == 403
    # In the form too, and a narrower scope.
    in_form = ask(client, {}, client_id=client_id, client_secret=secret, scope="roster:read")
    assert in_form.status_code == 200
    # A program's tokens are not listed among the administrator's own.
    assert "Learning platform" not in as_user(admin).get(reverse("api:tokens")).content.decode()


def test_the_token_endpoint_answers_the_oauth_errors(client, admin, school):
    made = client_register(by=admin, name="Library", scopes=["roster:read"])
    wrong = ask(client, basic(made.client.client_id, "sfs_wrong"))
    assert (wrong.status_code, wrong.json()) == (401, {"error": "invalid_client"})
    assert wrong.headers["WWW-Authenticate"].startswith("Basic")
    grant = client.post(
        TOKEN_URL, {"grant_type": "password"}, headers=basic(made.client.client_id, made.secret)
    )
    assert (grant.status_code, grant.json()) == (400, {"error": "unsupported_grant_type"})
    scope = ask(client, basic(made.client.client_id, made.secret), scope="grades:write")
    assert (scope.status_code, scope.json()) == (400, {"error": "invalid_scope"})
    garbled = client.post(
        TOKEN_URL, {"grant_type": "client_credentials"}, headers={"Authorization": "Basic ???"}
    )
    assert (garbled.status_code, garbled.json()) == (400, {"error": "invalid_request"})
    assert not ApiToken.objects.filter(client=made.client).exists()


def test_wrong_credentials_are_throttled_per_address(client, admin, school, settings):
    settings.STUDENTFLOW_RATE_LIMITS = {**settings.STUDENTFLOW_RATE_LIMITS, "api_sign_in": "3/m"}
    made = client_register(by=admin, name="Library", scopes=["roster:read"])
    statuses = [ask(client, basic(made.client.client_id, "sfs_guess")).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    refused = ask(client, basic(made.client.client_id, "sfs_guess"))
    assert refused.json() == {"error": "slow_down"}
    assert int(refused.headers["Retry-After"]) > 0


def test_a_revoked_program_and_its_tokens_stop_at_once(client, as_user, admin, school):
    made = client_register(by=admin, name="Library", scopes=["roster:read"])
    token = ask(client, basic(made.client.client_id, made.secret)).json()["access_token"]
    revoked = as_user(admin).post(reverse("api_clients:client_revoke", args=[made.client.pk]))
    assert revoked.status_code == 302
    client.logout()
    assert client.get("/api/v1/students", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert ask(client, basic(made.client.client_id, made.secret)).status_code == 401


def test_a_program_stops_with_its_registrant_s_login(client, admin, school):
    made = client_register(by=admin, name="Library", scopes=["roster:read"])
    token = ask(client, basic(made.client.client_id, made.secret)).json()["access_token"]
    accounts.login_deactivate(user=admin, by=admin)
    assert client.get("/api/v1/students", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert ask(client, basic(made.client.client_id, made.secret)).status_code == 401


def test_only_the_office_registers_programs_and_only_with_its_own_scopes(as_user, admin, teacher, school):
    assert as_user(teacher).get(reverse("api_clients:clients")).status_code == 403
    page = as_user(admin).post(reverse("api_clients:clients"), {"name": "", "scopes": []})
    assert page.status_code == 400
    html = page.content.decode()
    assert "This field is required." in html
    assert "Choose what the program may do." in html


def test_a_program_s_tokens_share_its_rate(client, admin, school, settings):
    settings.STUDENTFLOW_RATE_LIMITS = {**settings.STUDENTFLOW_RATE_LIMITS, "api": "3/m"}
    made = client_register(by=admin, name="Library", scopes=["roster:read"])
    first = ask(client, basic(made.client.client_id, made.secret)).json()["access_token"]
    second = ask(client, basic(made.client.client_id, made.secret)).json()["access_token"]
    # Two tokens asked for (two of the program's three calls), then one call with each.
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {first}"}).status_code == 200
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {second}"}).status_code == 429
