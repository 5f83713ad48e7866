"""REST API v1 (django-ninja) at /api/v1/: its routers, its one error format, its documents.

Every answer that is not a success has the same body: `{"code": …, "message": …, "errors": [{"field": …,
"message": …}]}` (field errors only for 422). Codes: `unauthenticated` (401: no token, a wrong, expired or
revoked one), `scope` (403: the token lacks the endpoint's scope), `not_found` (404, also for what exists
but the caller may not see, as on the pages), `invalid` (422), `throttled` (429, with Retry-After).
The OpenAPI document is /api/v1/openapi.json; /api/v1/docs shows it (Swagger UI, served from the portal's
own static files)."""

# No `from __future__ import annotations` here: django-ninja reads the endpoints' annotations as types.

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from modules.api import attendance, fees, grades, messages, roster
from modules.api.auth import Refused, TokenAuth
from modules.api.scopes import ROSTER_READ

api = NinjaAPI(
    title="StudentFlow API",
    version="1",
    urls_namespace="api-v1",
    description=(
        "The school's records for other programs, each as its caller sees it in the portal. Authenticate "
        "with a personal access token (made on the portal's API tokens page): `Authorization: Bearer sf_…`."
    ),
)


def _error(request, status: int, code: str, message: str, errors: list[dict] | None = None):
    return api.create_response(
        request, {"code": code, "message": message, "errors": errors or []}, status=status
    )


@api.exception_handler(Refused)
def refused(request, exc: Refused):
    response = _error(request, exc.status_code, exc.code, str(exc.message), exc.errors)
    if exc.retry_after is not None:
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    response = _error(
        request, 401, "unauthenticated", _("A valid API token is needed: Authorization: Bearer …")
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(Http404)
def not_found(request, exc):
    return _error(request, 404, "not_found", _("There is no such record, or it is not yours to see."))


def _field(loc) -> str:
    """Where a field error is, as the caller named it: `late_minutes`, `base.status` (not ninja's location,
    which starts with where it was sent and, for a body, the endpoint's own name for it)."""
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[2:]
    elif parts and parts[0] in ("query", "path"):
        parts = parts[1:]
    return ".".join(str(part) for part in parts)


@api.exception_handler(ValidationError)
def invalid(request, exc: ValidationError):
    errors = [
        {"field": _field(error.get("loc", ())), "message": str(error.get("msg", ""))} for error in exc.errors
    ]
    return _error(request, 422, "invalid", _("Some of what was sent cannot be read."), errors)


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    return _error(request, exc.status_code, "error", str(exc.message))


class TokenOut(Schema):
    name: str
    scopes: list[str]
    expires_at: str


class MeOut(Schema):
    id: int
    email: str
    name: str
    roles: list[str]
    token: TokenOut


@api.get("/me", response=MeOut, auth=TokenAuth(ROSTER_READ), tags=["roster"], summary="Who the token is")
def me(request):
    token, user = request.auth, request.auth.user
    return {
        "id": user.pk,
        "email": user.email,
        "name": user.get_full_name(),
        "roles": list(user.roles),
        "token": {"name": token.name, "scopes": token.scopes, "expires_at": token.expires_at.isoformat()},
    }


api.add_router("/", roster.router)
api.add_router("/", attendance.router)
api.add_router("/", grades.router)
api.add_router("/", fees.router)
api.add_router("/", messages.router)
