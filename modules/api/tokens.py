"""Personal access tokens: made, listed, revoked and checked. A token's secret is 32 random bytes (URL-safe
base64, prefixed "sf_"), shown once when made; only its SHA-256 is stored. A token works while it is not
revoked, not expired and its owner's login is active (a deactivated login's tokens stop at once, and are
revoked with it: accounts' deactivation calls `tokens_revoke_for`)."""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.api.models import ApiToken
from modules.api.scopes import scopes_for
from modules.core.audit import audit_log
from modules.core.secrets import secret_hash

PREFIX = "sf_"
LIFETIMES = (30, 90, 365)  # days a token may be made for
MAX_TOKENS = 20  # usable tokens one person may hold
# A token's last use is written at most this often (not a write on every call).
LAST_USED_EVERY = datetime.timedelta(minutes=1)


class TokenError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class MadeToken:
    token: ApiToken
    secret: str  # shown once


@transaction.atomic
def token_create(*, user, name: str, scopes: list[str], days: int) -> MadeToken:
    name = name.strip()
    if not name:
        raise TokenError(_("Give the token a name, so that you know it again."))
    allowed = scopes_for(user)
    unknown = [scope for scope in scopes if scope not in allowed]
    if unknown or not scopes:
        raise TokenError(_("Choose what the token may do."))
    if days not in LIFETIMES:
        raise TokenError(_("Choose how long the token works."))
    if ApiToken.objects.usable().personal().filter(user=user).count() >= MAX_TOKENS:
        raise TokenError(
            _("You have %(count)d tokens that work: revoke one you no longer use first.")
            % {"count": MAX_TOKENS}
        )
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:80],
        prefix=secret[: len(PREFIX) + 6],
        secret_hash=secret_hash(secret),
        scopes=sorted(set(scopes)),
        expires_at=timezone.now() + datetime.timedelta(days=days),
    )
    audit_log(actor=user, action="api_token.create", obj=token, after={"scopes": token.scopes, "days": days})
    return MadeToken(token, secret)


@transaction.atomic
def token_revoke(*, token: ApiToken, by) -> bool:
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if revoked:
        audit_log(actor=by, action="api_token.revoke", obj=token)
    return bool(revoked)


def tokens_revoke_for(user, *, by) -> int:
    """Revoke every token of a login (it is being deactivated)."""
    tokens = list(ApiToken.objects.filter(user=user, revoked_at__isnull=True))
    for token in tokens:
        token_revoke(token=token, by=by)
    return len(tokens)


def token_authenticate(secret: str) -> ApiToken | None:
    """The usable token with this secret (its owner loaded), or None. Notes its use, at most once a minute."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    # The owner with their profiles in the same query (their roles scope every read: accounts.backends).
    token = (
        ApiToken.objects.usable()
        .select_related(
            "user", "user__staff_profile", "user__guardian_profile", "user__student_profile", "client"
        )
        .filter(secret_hash=secret_hash(secret))
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def tokens_of(user) -> list[ApiToken]:
    """A person's tokens, newest first, each with its owner (whether it works reads the login)."""
    return list(ApiToken.objects.personal().filter(user=user).select_related("user"))
