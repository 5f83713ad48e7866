"""Bulk exports of student data (the student list, invoices, fee reports, attendance registers, marksheets):
one guard for all of them.

A file of the whole school's records is what an attacker holding a stolen session, or a laptop left signed
in, would take first. So an export needs the person to have proved who they are recently (allauth's
re-authentication: the password, or for a login with an authenticator app its current code), and it counts
against the "export" rate limit. The export itself stays audited by the module that builds it.

`export_refusal(request)` is for views that export only for some requests (a list page with ?format=xlsx);
`export_guarded` decorates a view that is an export on every request.
"""

from __future__ import annotations

import time
from functools import wraps
from urllib.parse import urlencode

from allauth.account import app_settings as account_settings
from allauth.account.adapter import get_adapter
from allauth.account.authentication import get_authentication_records
from allauth.mfa.utils import is_mfa_enabled
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django_htmx.http import HttpResponseClientRedirect

from modules.core.ratelimits import rate_limit_hit, rate_limit_response

MFA_REAUTHENTICATE = "mfa_reauthenticate"


def export_refusal(request) -> HttpResponse | None:
    """None when this export may go ahead (it is then counted against the limit); otherwise what to answer:
    the way to re-authenticate (coming back to this very URL afterwards), or the rate limit's page."""
    mfa = is_mfa_enabled(request.user)
    if not recently_authenticated(request, mfa=mfa):
        return _reauthenticate(request, mfa=mfa)
    if hit := rate_limit_hit(request, action="export"):
        return rate_limit_response(request, hit)
    return None


def export_guarded(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        refusal = export_refusal(request)
        return refusal if refusal is not None else view(request, *args, **kwargs)

    return wrapper


def recently_authenticated(request, *, mfa: bool) -> bool:
    """Whether this session proved its identity within ACCOUNT_REAUTHENTICATION_TIMEOUT: signing in counts
    as much as re-authenticating (the person has just typed their credentials either way). With an
    authenticator app only a code counts, so that a password alone (a stolen one) never exports."""
    records = get_authentication_records(request, request.user)
    if mfa:
        records = [record for record in records if record.get("method") == "mfa"]
    if not records:
        return False
    return time.time() - records[-1]["at"] < account_settings.REAUTHENTICATION_TIMEOUT


def _reauthenticate(request, *, mfa: bool) -> HttpResponse:
    methods = get_adapter(request).get_reauthentication_methods(request.user)
    chosen = next((m for m in methods if m["id"] == MFA_REAUTHENTICATE), None) if mfa else None
    chosen = chosen or (methods[0] if methods else None)
    if chosen is None:
        # No way to prove it (no password and no authenticator: an invited login never activated).
        raise PermissionDenied
    target = f"{chosen['url']}?{urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})}"
    if getattr(request, "htmx", False):
        # An export asked for from a swapped fragment: the whole page goes to the prompt.
        return HttpResponseClientRedirect(target)
    return HttpResponseRedirect(target)
