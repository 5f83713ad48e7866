"""The API (modules/api): its endpoints answer a token, never a session — every persona signed in to the
portal, and a visitor, gets 401 (tests/api/test_matrix.py checks each endpoint with each role's token). The
OpenAPI document and its docs page are public (they describe, they hold no records); the API's root is a 404.
The tokens page is anyone's who is signed in, for their own tokens; revoking someone else's is 404. The
programs page (OAuth2 clients) is the office's; the token endpoint answers a program's id and secret only.
OneRoster's rostering service is token-only too; its settings and packages page is the office's."""

import datetime

from django.utils import timezone

from modules.accounts.models import User
from modules.api.models import ApiToken
from modules.api.oneroster.rest import ENDPOINTS
from tests.access.matrix import ADMIN_ONLY, ADMIN_ONLY_POST, PUBLIC, SIGNED_IN_OK, Rule, expect

TOKEN_ONLY = expect(401, anonymous=401)


def _oneroster_ids(case) -> dict:
    """Any id for each of an endpoint's parameters: no session ever gets past the token check."""
    _school, url_name = case
    (endpoint,) = [e for e in ENDPOINTS if f"oneroster:{e.name}" == url_name]
    return {
        name: "x-1"
        for name in ("sourced_id", "parent", "school", "klass")
        if f"<str:{name}>" in endpoint.route
    }


def _teachers_token(s) -> dict:
    token = ApiToken.objects.create(
        user=User.objects.get(email="teacher@school.test"),
        name="Sync",
        prefix="sf_abcdef",
        secret_hash=f"{s.child.pk:064d}",
        scopes=["roster:read"],
        expires_at=timezone.now() + datetime.timedelta(days=30),
    )
    return {"pk": token.pk}


RULES = [
    Rule("api-v1:openapi-json", expect=PUBLIC),
    Rule("api-v1:openapi-view", expect=PUBLIC),
    Rule("api-v1:api-root", expect=expect(404, anonymous=404)),
    Rule("api-v1:me", expect=TOKEN_ONLY),
    Rule("api-v1:student", expect=TOKEN_ONLY, kwargs=lambda s: {"student_id": s.child.pk}),
    Rule("api-v1:guardian", expect=TOKEN_ONLY, kwargs=lambda s: {"guardian_id": s.guardian_profile.pk}),
    Rule(
        r"api-v1:(students|guardians|staff|years|terms|grade_levels|sections|classes|enrolments|periods|lessons)",
        expect=TOKEN_ONLY,
        pattern=True,
    ),
    Rule("api-v1:register", expect=TOKEN_ONLY, kwargs={"register_id": 1}),
    Rule("api-v1:assessment", expect=TOKEN_ONLY, kwargs={"assessment_id": 1}),
    Rule("api-v1:invoice", expect=TOKEN_ONLY, kwargs={"invoice_id": 1}),
    Rule(
        r"api-v1:(registers|records|assessments|marks|term_results|invoices|payments|announcements"
        r"|notifications)",
        expect=TOKEN_ONLY,
        pattern=True,
    ),
    Rule(
        "api-v1:register_mark",
        expect=TOKEN_ONLY,
        kwargs=lambda s: {"register_id": 1, "student_id": s.child.pk},
        method="put",
    ),
    Rule("api-v1:submit", expect=TOKEN_ONLY, kwargs={"register_id": 1}, method="post"),
    Rule("api-v1:check_ins", expect=TOKEN_ONLY, method="post"),
    Rule(
        "api-v1:mark_enter",
        expect=TOKEN_ONLY,
        kwargs=lambda s: {"assessment_id": 1, "student_id": s.child.pk},
        method="put",
    ),
    # OneRoster's rostering service answers a token only (tests/api/test_oneroster.py), in its own format.
    Rule(r"oneroster:\w+", expect=TOKEN_ONLY, pattern=True, kwargs=_oneroster_ids),
    # The office's OneRoster page and its packages (a package that does not exist is the office's 404).
    Rule("api_oneroster:oneroster", expect=ADMIN_ONLY),
    Rule("api_oneroster:package_now", expect=ADMIN_ONLY_POST, method="post"),
    Rule("api_oneroster:package_download", expect=expect(403, admin=404), kwargs={"pk": 999}),
    Rule("api:tokens", expect=SIGNED_IN_OK),
    # The office's programs; revoking one that does not exist is the office's 404.
    Rule("api_clients:clients", expect=ADMIN_ONLY),
    Rule(
        "api_clients:client_revoke",
        expect=expect(403, admin=404),
        kwargs={"pk": 999},
        method="post",
    ),
    # The token endpoint answers a program's credentials, never a session: without them, 401 for everyone.
    Rule(
        "oauth_token",
        expect=expect(401, anonymous=401),
        method="post",
        data={"grant_type": "client_credentials"},
    ),
    Rule(
        "api:token_revoke",
        expect=expect(404, teacher=302),
        kwargs=_teachers_token,
        method="post",
    ),
]
