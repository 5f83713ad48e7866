"""Programs the office registers (OAuth2 client credentials, RFC 6749 §4.4): registered with a name and
scopes, given an id and a secret (shown once, stored as its SHA-256), they trade them at /api/oauth/token for
an access token that works for an hour. The token is an ApiToken of the registering administrator's, tied to
the program: it sees what they see, within the program's scopes, and stops when the program is revoked or
their login deactivated (a deactivated administrator's programs must be registered again by the office)."""

from __future__ import annotations

import datetime
import hmac
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.api.models import ApiClient, ApiToken
from modules.api.scopes import scopes_for
from modules.api.tokens import PREFIX, MadeToken, TokenError
from modules.core.audit import audit_log
from modules.core.secrets import secret_hash

CLIENT_ID_PREFIX = "sfc_"
CLIENT_SECRET_PREFIX = "sfs_"
ACCESS_LIFETIME = datetime.timedelta(hours=1)
MAX_CLIENTS = 50  # programs the school may have registered at once


@dataclass(frozen=True)
class RegisteredClient:
    client: ApiClient
    secret: str  # shown once


class ClientRefused(Exception):
    """An OAuth2 error (RFC 6749 §5.2): its code and the HTTP status it is answered with."""

    def __init__(self, code: str, status: int = 400):
        super().__init__(code)
        self.code = code
        self.status = status


@transaction.atomic
def client_register(*, by, name: str, scopes: list[str]) -> RegisteredClient:
    name = name.strip()
    if not name:
        raise TokenError(_("Give the program a name, so that you know it again."))
    allowed = scopes_for(by)
    if not scopes or any(scope not in allowed for scope in scopes):
        raise TokenError(_("Choose what the program may do."))
    if ApiClient.objects.filter(revoked_at__isnull=True).count() >= MAX_CLIENTS:
        raise TokenError(
            _("The school has %(count)d programs registered: revoke one it no longer uses first.")
            % {"count": MAX_CLIENTS}
        )
    secret = CLIENT_SECRET_PREFIX + secrets.token_urlsafe(32)
    client = ApiClient.objects.create(
        name=name[:80],
        client_id=CLIENT_ID_PREFIX + secrets.token_hex(10),
        secret_hash=secret_hash(secret),
        scopes=sorted(set(scopes)),
        owner=by,
    )
    audit_log(actor=by, action="api_client.register", obj=client, after={"scopes": client.scopes})
    return RegisteredClient(client, secret)


@transaction.atomic
def client_revoke(*, client: ApiClient, by) -> bool:
    """Revoke a program and every access token it holds."""
    now = timezone.now()
    revoked = ApiClient.objects.filter(pk=client.pk, revoked_at__isnull=True).update(revoked_at=now)
    if revoked:
        ApiToken.objects.filter(client=client, revoked_at__isnull=True).update(revoked_at=now)
        audit_log(actor=by, action="api_client.revoke", obj=client)
    return bool(revoked)


def client_authenticate(client_id: str, secret: str) -> ApiClient | None:
    """The usable program with this id and secret, or None (compared in constant time)."""
    if not client_id or not secret or len(client_id) > 40 or len(secret) > 100:
        return None
    client = ApiClient.objects.select_related("owner").filter(client_id=client_id).first()
    if client is None or not hmac.compare_digest(client.secret_hash, secret_hash(secret)):
        return None
    return client if client.is_usable else None


@transaction.atomic
def client_token(*, client: ApiClient, scope: str | None) -> MadeToken:
    """An access token for the program, for an hour: with the scopes asked for (space-separated, each one
    of the program's), or all of the program's. Its expired tokens are deleted as it gets a new one."""
    scopes = client.scopes if not scope else sorted(set(scope.split()))
    if any(wanted not in client.scopes for wanted in scopes) or not scopes:
        raise ClientRefused("invalid_scope")
    # The owner's roles may have changed since: the token holds only what they may still hold.
    allowed = [wanted for wanted in scopes if wanted in scopes_for(client.owner)]
    if not allowed:
        raise ClientRefused("invalid_scope")
    now = timezone.now()
    ApiToken.objects.filter(client=client, expires_at__lte=now).delete()
    ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=client.owner,
        client=client,
        name=client.name,
        prefix=secret[: len(PREFIX) + 6],
        secret_hash=secret_hash(secret),
        scopes=allowed,
        expires_at=now + ACCESS_LIFETIME,
    )
    return MadeToken(token, secret)
