"""The API tokens page: anyone signed in makes, lists and revokes their own personal access tokens. A new
token's secret is shown on the answer that made it, only there (it is not stored). Staff reach the page only
after the portal's second factor (accounts.middleware), like every staff page: a token is a way in."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from modules.api.forms import TokenForm
from modules.api.models import ApiToken
from modules.api.tokens import TokenError, token_create, token_revoke, tokens_of
from modules.core.ratelimits import rate_limit_hit

TOKEN_MAKE_RATE = "10/h"


def _page(request, form, secret: str = "", status: int = 200):
    context = {
        "form": form,
        "tokens": tokens_of(request.user),
        "secret": secret,
        "api_url": request.build_absolute_uri(reverse("api-v1:api-root")),
        "docs_url": reverse("api-v1:openapi-view"),
    }
    response = render(request, "api/tokens.html", context, status=status)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
@login_required
def tokens(request):
    if request.method == "GET":
        return _page(request, TokenForm(user=request.user))
    form = TokenForm(request.POST, user=request.user)
    if not form.is_valid():
        return _page(request, form, status=400)
    if hit := rate_limit_hit(request, action="api_token_make", rate=TOKEN_MAKE_RATE):
        form.add_error(None, hit.message)
        return _page(request, form, status=429)
    try:
        made = token_create(
            user=request.user,
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            days=form.cleaned_data["days"],
        )
    except TokenError as refusal:
        form.add_error(None, refusal.message)
        return _page(request, form, status=400)
    return _page(request, TokenForm(user=request.user), secret=made.secret)


@require_POST
@login_required
def token_revoke_view(request, pk: int):
    token = ApiToken.objects.filter(pk=pk, user=request.user).first()
    if token is None:
        raise Http404
    if token_revoke(token=token, by=request.user):
        messages.success(request, _("“%(name)s” no longer works.") % {"name": token.name})
    return redirect("api:tokens")
