"""How a call to the API is let in: a bearer token (`Authorization: Bearer sf_…`), usable (not revoked, not
expired, its login active), holding the scope the endpoint needs; then the token's rate. A session cookie
never lets anyone in (the API has no cross-site request forgery to defend against).

Every way in passes the same throttle: wrong tokens are counted per address like failed sign-ins
(STUDENTFLOW_RATE_LIMITS["api_sign_in"]) and answered 429 past the limit; each token has its own rate
(["api"]). Both use modules.core.ratelimits, the portal's one rate-limit mechanism (the cache, shared by every
worker and node)."""

from __future__ import annotations

from collections.abc import Collection

from django.utils.translation import gettext as _
from ninja import Status
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer

from modules.api.models import ApiToken
from modules.api.scopes import scope_allowed
from modules.api.tokens import token_authenticate
from modules.core.ratelimits import client_ip, rate_limit_hit


class Refused(HttpError):
    """An answer in the API's one error format: an HTTP status, a code, a message."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        retry_after: int | None = None,
        field: str | None = None,
    ):
        super().__init__(status_code, message)
        self.code = code
        self.retry_after = retry_after
        # A refusal of one field's value (422) names it, as the field errors of a malformed body do.
        self.errors = [{"field": field, "message": message}] if field else []


def conflict(current) -> Status:
    """The answer to a write whose `base` is stale: 409 with the stored value, nothing written (the pages'
    rule: two people editing the same thing never overwrite each other silently)."""
    message = _("Someone else changed this mark since you read it: read it again.")
    return Status(409, {"code": "conflict", "message": message, "current": current})


def token_let_in(request, secret: str, scopes: Collection[str]) -> ApiToken:
    """The usable token `secret` names, holding one of `scopes` its owner may still hold, within its rate;
    the request is then its owner's. Refused otherwise: 401 (`AuthenticationError`), 403, or 429."""
    found = token_authenticate(secret)
    if found is None:
        wrong_token(request)
    assert found is not None
    if not any(scope in found.scopes and scope_allowed(scope, found.user.roles) for scope in scopes):
        raise Refused(
            403,
            "scope",
            _("This token may not do this: it needs the scope “%(scope)s”.") % {"scope": " or ".join(scopes)},
        )
    # A program's tokens share its rate (a new token an hour must not be a new allowance).
    who = f"client{found.client_id}" if found.client_id else f"token{found.pk}"
    if hit := rate_limit_hit(request, action="api", who=who):
        raise Refused(429, "throttled", _("Too many calls with this token."), retry_after=hit.retry_after)
    # From here the request is the token owner's: the request log names them, the selectors scope by them.
    request.user = found.user
    return found


def wrong_token(request) -> None:
    """A call without a usable token: counted per address like a failed sign-in, 429 past the limit."""
    if hit := rate_limit_hit(request, action="api_sign_in", who=f"ip{client_ip(request)}"):
        raise Refused(429, "throttled", _("Too many calls with a wrong token."), retry_after=hit.retry_after)
    raise AuthenticationError()


class TokenAuth(HttpBearer):
    def __init__(self, scope: str):
        super().__init__()
        self.scope = scope

    def __call__(self, request):
        # Without a bearer header ninja's HttpBearer returns None: a missing token is a wrong one.
        result = super().__call__(request)
        if result is None:
            wrong_token(request)
        return result

    def authenticate(self, request, token: str) -> ApiToken:
        return token_let_in(request, token, (self.scope,))
