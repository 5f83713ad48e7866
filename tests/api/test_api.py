"""The REST API v1 through HTTP with real tokens made on the tokens page: who gets in (a usable token with
the endpoint's scope; never a session cookie), what each role sees (the pages' `visible_to`), the one error
format, cursor pages, "changed since", ETags, the throttles, and a deactivated login's tokens."""

from __future__ import annotations

import datetime
import hashlib
import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from modules.accounts import services as accounts
from modules.api.models import ApiToken
from modules.api.tokens import token_create
from modules.core.models import AuditEvent
from modules.people.models import Student
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rates():
    cache.clear()  # the throttles count in the cache
    yield
    cache.clear()


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def made(user, scopes=("roster:read",), days=90) -> str:
    return token_create(user=user, name="Test", scopes=list(scopes), days=days).secret


def get(client, path: str, secret: str | None = None, **params):
    return client.get(f"/api/v1{path}", params, headers=bearer(secret) if secret else {})


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


def test_a_token_made_on_the_page_is_shown_once_and_opens_the_api(client, as_user, teacher, school):
    page = as_user(teacher).get(reverse("api:tokens"))
    assert page.status_code == 200
    assert "You have no API tokens." in page.content.decode()
    response = as_user(teacher).post(
        reverse("api:tokens"), {"name": "Library system", "scopes": ["roster:read"], "days": "90"}
    )
    assert response.status_code == 200
    secret = re.search(
        r'id="token-secret" type="text" readonly value="(sf_[^"]+)"', response.content.decode()
    )
    assert secret is not None
    assert response.headers["Cache-Control"] == "private, no-store"
    token = ApiToken.objects.get()
    assert token.secret_hash != secret.group(1)
    assert secret.group(1) not in str(token.__dict__)
    assert AuditEvent.objects.filter(action="api_token.create", actor=teacher).exists()
    again = as_user(teacher).get(reverse("api:tokens")).content.decode()
    assert secret.group(1) not in again
    assert "Library system" in again
    assert token.prefix in again
    client.logout()
    me = get(client, "/me", secret.group(1))
    assert me.status_code == 200
    assert me.json()["email"] == teacher.email
    assert me.json()["token"]["scopes"] == ["roster:read"]
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_the_page_refuses_a_token_without_a_name_or_a_scope(as_user, guardian, school):
    response = as_user(guardian).post(reverse("api:tokens"), {"name": " ", "days": "90"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required." in page
    assert "Choose what the token may do." in page
    assert not ApiToken.objects.exists()
    response = as_user(guardian).post(
        reverse("api:tokens"), {"name": "X", "scopes": ["grades:admin"], "days": "7"}
    )
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_each_role_sees_the_students_its_pages_show(
    client, admin, teacher, other_teacher, guardian, student, bursar, school
):
    everyone = {school.child.pk, school.other_child.pk}
    for user, expected in (
        (admin, everyone),
        (bursar, everyone),
        (teacher, {school.child.pk}),
        (other_teacher, {school.other_child.pk}),
        (guardian, {school.child.pk}),
        (student, {school.child.pk}),
    ):
        response = get(client, "/students", made(user))
        assert response.status_code == 200, user
        assert ids(response) == expected, user
    secret = made(guardian)
    assert get(client, f"/students/{school.child.pk}", secret).json()["admission_number"] == "A-0001"
    hidden = get(client, f"/students/{school.other_child.pk}", secret)
    assert hidden.status_code == 404
    assert hidden.json() == {
        "code": "not_found",
        "message": "There is no such record, or it is not yours to see.",
        "errors": [],
    }
    assert get(client, "/staff", secret).json()["results"] == []  # families see no staff
    assert ids(get(client, "/sections", made(teacher))) >= {school.section.pk}


def test_wrong_expired_revoked_or_missing_tokens_are_401_and_a_session_is_not_a_token(
    client, as_user, teacher, school
):
    as_user(teacher)  # signed in to the portal: the API still wants a token
    response = get(client, "/students")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert get(client, "/students", "sf_not-a-token").status_code == 401
    expired = made(teacher)
    ApiToken.objects.filter(secret_hash__isnull=False).update(
        expires_at=timezone.now() - datetime.timedelta(1)
    )
    assert get(client, "/students", expired).status_code == 401
    revoked = made(teacher)
    token = ApiToken.objects.get(expires_at__gt=timezone.now())
    response = as_user(teacher).post(reverse("api:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    assert get(client, "/students", revoked).status_code == 401
    assert AuditEvent.objects.filter(action="api_token.revoke").count() == 1


def test_someone_elses_token_cannot_be_revoked(as_user, teacher, other_teacher, school):
    made(teacher)
    token = ApiToken.objects.get()
    assert as_user(other_teacher).post(reverse("api:token_revoke", args=[token.pk])).status_code == 404
    assert ApiToken.objects.get().revoked_at is None


def test_a_deactivated_login_s_tokens_stop_at_once_and_are_revoked(
    client, admin, teacher, school, django_capture_on_commit_callbacks
):
    secret = made(teacher)
    assert get(client, "/students", secret).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        accounts.login_deactivate(user=teacher, by=admin, reason="left the school")
    assert get(client, "/students", secret).status_code == 401
    assert ApiToken.objects.get().revoked_at is not None


def test_pages_follow_the_cursor_and_changed_since_keeps_only_the_changed(client, admin, school):
    for n in range(5):
        f.StudentFactory(admission_number=f"P-{n:03d}")
    secret = made(admin)
    seen: list[int] = []
    response = get(client, "/students", secret, page_size=3)
    while True:
        body = response.json()
        seen += [row["id"] for row in body["results"]]
        if not body["next"]:
            break
        assert "page_size=3" in body["next"]
        assert body["next"].startswith("http://testserver/api/v1/students?")
        response = client.get(body["next"], headers=bearer(secret))  # the next page's whole address
    assert sorted(seen) == seen
    assert len(seen) == Student.objects.count() == 7
    since = timezone.now()
    Student.objects.filter(pk=school.child.pk).update(updated_at=since + datetime.timedelta(seconds=1))
    changed = get(client, "/students", secret, changed_since=since.isoformat())
    assert ids(changed) == {school.child.pk}


def test_bad_parameters_are_422_with_field_errors(client, admin, school):
    response = get(client, "/students", made(admin), changed_since="yesterday", section="seven")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert {error["field"] for error in body["errors"]} == {"changed_since", "section"}


def test_an_unchanged_read_is_answered_304(client, admin, school):
    secret = made(admin)
    first = get(client, "/students", secret)
    etag = first.headers["ETag"]
    assert "private" in first.headers["Cache-Control"]
    again = client.get("/api/v1/students", headers={**bearer(secret), "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    Student.objects.filter(pk=school.child.pk).update(first_name="Samuel")
    changed = client.get("/api/v1/students", headers={**bearer(secret), "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_a_token_without_the_scope_is_403(client, admin, school):
    ApiToken.objects.create(
        user=admin,
        name="None",
        prefix="sf_x",
        secret_hash=hashlib.sha256(b"sf_scopeless").hexdigest(),
        scopes=[],
        expires_at=timezone.now() + datetime.timedelta(days=1),
    )
    response = get(client, "/students", "sf_scopeless")
    assert response.status_code == 403
    assert response.json()["code"] == "scope"


def test_a_token_is_throttled_with_retry_after(client, admin, school, settings):
    settings.STUDENTFLOW_RATE_LIMITS = {**settings.STUDENTFLOW_RATE_LIMITS, "api": "3/m"}
    secret = made(admin)
    for _call in range(3):
        assert get(client, "/terms", secret).status_code == 200
    response = get(client, "/terms", secret)
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert get(client, "/terms", made(admin)).status_code == 200  # another token has its own rate


def test_wrong_tokens_are_throttled_per_address(client, admin, school, settings):
    settings.STUDENTFLOW_RATE_LIMITS = {**settings.STUDENTFLOW_RATE_LIMITS, "api_sign_in": "3/m"}
    for _call in range(3):
        assert get(client, "/terms", "sf_guess").status_code == 401
    response = get(client, "/terms", "sf_guess")
    assert response.status_code == 429
    assert "Retry-After" in response.headers


def test_the_docs_and_the_openapi_document_are_served_from_the_portal(client):
    document = client.get("/api/v1/openapi.json")
    assert document.status_code == 200
    paths = document.json()["paths"]
    assert {"/api/v1/students", "/api/v1/students/{student_id}", "/api/v1/enrolments", "/api/v1/me"} <= set(
        paths
    )
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()


def test_the_tokens_page_s_queries_do_not_grow_with_the_tokens(as_user, teacher, school):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_user(teacher)
    made(teacher)
    client.get(reverse("api:tokens"))  # warm the session
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("api:tokens")).status_code == 200
    for _n in range(4):
        made(teacher)
    with CaptureQueriesContext(connection) as five:
        page = client.get(reverse("api:tokens")).content.decode()
    assert page.count(">Revoke<") == 5
    assert len(five.captured_queries) == len(one.captured_queries)
