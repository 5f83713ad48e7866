"""REST API v1 (django-ninja) at /api/v1/: its routers, its one error format, its documents.

Every answer that is not a success has the same body: `{"code": …, "message": …, "errors": [{"field": …,
"message": …}]}` (field errors only for 422). Codes: `unauthenticated` (401: no token, a wrong, expired or
revoked one), `scope` (403: the token lacks the endpoint's scope), `not_found` (404, also for what exists
but the caller may not see, as on the pages), `conflict` (409: a write whose `base` someone else changed
since; the stored value in `current`), `too_large` (413), `invalid` (422: what was sent cannot be read),
`refused` (422: the portal's rules refuse the change, as on the page), `throttled` (429, with Retry-After).
The OpenAPI document is /api/v1/openapi.json; /api/v1/docs shows it (Swagger UI, served from the portal's
own static files)."""

# No `from __future__ import annotations` here: django-ninja reads the endpoints' annotations as types.

import functools
import re

import pydantic_core
from django.conf import settings
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.renderers import JSONRenderer

from modules.api import attendance, devices, fees, grades, messages, roster, timetable
from modules.api.auth import Refused, TokenAuth
from modules.api.scopes import ROSTER_READ


class ErrorField(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    code: str
    message: str
    errors: list[ErrorField]


# The answers every operation may give besides its own, in the one error format.
ERRORS = {
    "401": "No token, or a wrong, expired or revoked one (code `unauthenticated`).",
    "403": "The token lacks the operation's scope (code `scope`).",
    "404": "No such record, or not the caller's to see (code `not_found`).",
    "422": "Parameters or a body that cannot be read (code `invalid`, with field errors), or a change the "
    "portal refuses (code `refused`).",
    "429": "Too many calls (code `throttled`); `Retry-After` says when to call again.",
}
# Besides, for an operation that takes a body.
BODY_ERRORS = {
    "413": "A body larger than the portal reads, or a batch larger than the operation takes (code "
    "`too_large`).",
}


class Api(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """The document, with the error answers every operation may give (ninja lists only each
        operation's own): a client, and schemathesis, learn them from it."""
        document = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas["Error"] = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas["ErrorField"] = ErrorField.model_json_schema()
        schemas["Error"].pop("$defs", None)
        error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        for path, methods in document["paths"].items():
            for operation in methods.values():
                if not operation.get("security"):
                    continue
                errors = {**ERRORS, **(BODY_ERRORS if "requestBody" in operation else {})}
                for status, description in errors.items():
                    if status == "404" and "{" not in path and operation is methods.get("get"):
                        continue  # a list is never a 404
                    operation["responses"].setdefault(status, {"description": description, **error})
        return document


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


class JsonParser(Parser):
    """JSON bodies, refusing a NUL character anywhere in them: no person types one, and PostgreSQL refuses
    text holding it (the pages' forms refuse it as they clean; core.middleware refuses it in the pages'
    query strings; the API refuses it in its own, `_known_parameters_only`)."""

    def parse_body(self, request):
        data = super().parse_body(request)
        if _holds_nul(data):
            raise ValueError("NUL character in the body")
        return data


class JsonRenderer(JSONRenderer):
    """Answers written by pydantic's own JSON writer: dates, times and decimals as ISO 8601 text and decimal
    strings, as before, but without a Python call per value (a page of 500 marks: 6 ms → 1 ms). Translated
    text (lazy strings) is written as text."""

    def render(self, request, data, *, response_status: int):
        return pydantic_core.to_json(data, fallback=str)


api = Api(
    title="StudentFlow API",
    parser=JsonParser(),
    renderer=JsonRenderer(),
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
    if exc.status_code == 400:
        # ninja's answer to a body that is not JSON: a malformed body, as every other, is 422.
        errors = [{"field": "", "message": _("The body cannot be read: send JSON, with no NUL characters.")}]
        return _error(request, 422, "invalid", _("Some of what was sent cannot be read."), errors)
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


@functools.cache
def _query_names() -> dict[tuple[str, str], frozenset[str]]:
    """Each operation's query parameters, as its document lists them: by method and path."""
    return {
        (method.upper(), path): frozenset(
            parameter["name"] for parameter in operation.get("parameters", []) if parameter["in"] == "query"
        )
        for path, methods in api.get_openapi_schema()["paths"].items()
        for method, operation in methods.items()
    }


def _known_parameters_only(operation):
    """A query parameter the operation does not know is refused, 422 naming it: a filter misspelt
    (`chnaged_since`) would otherwise be ignored, and the caller read everything as if it were what they
    asked for. So is a NUL character in the query string (for the API, core.middleware leaves it here)."""

    @functools.wraps(operation)
    def checked(request, *args, **kwargs):
        path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", request.resolver_match.route)
        known = _query_names().get((request.method, path), frozenset())
        errors = [
            {"loc": ("query", name), "msg": _("Not a parameter of this call.")}
            for name in sorted(set(request.GET) - known)
        ]
        errors += [
            {"loc": ("query", name), "msg": _("A NUL character cannot be read.")}
            for name, values in request.GET.lists()
            if name in known and any("\x00" in value for value in values)
        ]
        if errors:
            raise ValidationError(errors)
        return operation(request, *args, **kwargs)

    return checked


def _bounded_body(view):
    """A body larger than Django reads (DATA_UPLOAD_MAX_MEMORY_SIZE) is 413 in the API's format, before
    anything reads it (Django would refuse it as it is read, which ninja answers as unreadable)."""

    @functools.wraps(view)
    def bounded(request, *args, **kwargs):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            return _error(request, 413, "too_large", _("The body is larger than the portal reads."))
        return view(request, *args, **kwargs)

    return bounded


api.add_decorator(_known_parameters_only)
api.add_decorator(_bounded_body, mode="view")
api.add_router("/", roster.router)
api.add_router("/", timetable.router)
api.add_router("/", attendance.router)
api.add_router("/", grades.router)
api.add_router("/", fees.router)
api.add_router("/", messages.router)
api.add_router("/", devices.router)
