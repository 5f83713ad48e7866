"""The office's programs page (OAuth2 clients: registered, listed, revoked; the secret shown once, on the
answer that made it) and the token endpoint programs call, /api/oauth/token (RFC 6749 §4.4: client
credentials, by HTTP Basic or in the form; errors as §5.2). Wrong credentials are counted per address with
the API's wrong tokens (STUDENTFLOW_RATE_LIMITS["api_sign_in"])."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from modules.accounts import rules as account_rules
from modules.api.clients import (
    ACCESS_LIFETIME,
    ClientRefused,
    client_authenticate,
    client_register,
    client_revoke,
    client_token,
)
from modules.api.forms import ClientForm
from modules.api.models import ApiClient
from modules.api.tokens import TokenError
from modules.core.access import role_required
from modules.core.ratelimits import client_ip, rate_limit_hit


def _page(request, form, made=None, status: int = 200):
    context = {
        "form": form,
        "clients": list(ApiClient.objects.select_related("owner")),
        "made": made,
        "token_url": request.build_absolute_uri(reverse("oauth_token")),
    }
    response = render(request, "api/clients.html", context, status=status)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
@role_required(account_rules.is_administrator)
def clients(request):
    if request.method == "GET":
        return _page(request, ClientForm(user=request.user))
    form = ClientForm(request.POST, user=request.user)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        made = client_register(
            by=request.user, name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"]
        )
    except TokenError as refusal:
        form.add_error(None, refusal.message)
        return _page(request, form, status=400)
    return _page(request, ClientForm(user=request.user), made=made)


@require_POST
@role_required(account_rules.is_administrator)
def client_revoke_view(request, pk: int):
    client = ApiClient.objects.filter(pk=pk).first()
    if client is None:
        raise Http404
    if client_revoke(client=client, by=request.user):
        messages.success(request, _("“%(name)s” no longer works.") % {"name": client.name})
    return redirect("api_clients:clients")


def _oauth_error(code: str, status: int, *, basic: bool = False, retry_after: int | None = None):
    response = JsonResponse({"error": code}, status=status)
    response.headers["Cache-Control"] = "no-store"
    if basic and status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="StudentFlow API"'
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _credentials(request) -> tuple[str, str, bool] | None:
    """The client's id and secret, from HTTP Basic (form-encoded, §2.3.1) or the form; and whether Basic."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        client_id, separator, secret = decoded.partition(":")
        return (unquote(client_id), unquote(secret), True) if separator else None
    return request.POST.get("client_id", ""), request.POST.get("client_secret", ""), False


@csrf_exempt  # a program's call with its own credentials, never a browser's with a cookie
@require_POST
def oauth_token(request):
    found = _credentials(request)
    if found is None:
        return _oauth_error("invalid_request", 400)
    client_id, secret, basic = found
    client = client_authenticate(client_id, secret)
    if client is None:
        if hit := rate_limit_hit(request, action="api_sign_in", who=f"ip{client_ip(request)}"):
            return _oauth_error("slow_down", 429, retry_after=hit.retry_after)
        return _oauth_error("invalid_client", 401, basic=basic)
    if request.POST.get("grant_type") != "client_credentials":
        return _oauth_error("unsupported_grant_type", 400)
    if hit := rate_limit_hit(request, action="api", who=f"client{client.pk}"):
        return _oauth_error("slow_down", 429, retry_after=hit.retry_after)
    try:
        made = client_token(client=client, scope=request.POST.get("scope"))
    except ClientRefused as refusal:
        return _oauth_error(refusal.code, refusal.status)
    response = JsonResponse(
        {
            "access_token": made.secret,
            "token_type": "Bearer",
            "expires_in": int(ACCESS_LIFETIME.total_seconds()),
            "scope": " ".join(made.token.scopes),
        }
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response
