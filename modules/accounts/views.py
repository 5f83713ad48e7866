from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from modules.accounts.models import Role
from modules.accounts.roles import set_active_role


@require_POST
@login_required
def switch_role(request):
    role = request.POST.get("role", "")
    if set_active_role(request, role):
        messages.success(
            request, _("You are now using the portal as: %(role)s.") % {"role": Role(role).label}
        )
    else:
        messages.error(request, _("You do not hold that role."))
    return redirect("home")


@require_POST
def set_language(request):
    """Language switcher for everyone; a signed-in user's choice is saved to their account."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language not in dict(settings.LANGUAGES):
        messages.error(request, _("That language is not available."))
        return response
    if request.user.is_authenticated:
        request.user.language = language
        request.user.save(update_fields=["language"])
    translation.activate(language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


def _safe_next(request, default: str) -> str:
    next_url = request.GET.get("next") or request.POST.get("next") or default
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return default
    return next_url


def admin_login(request, extra_context=None):
    """Replaces the Django admin's own login form: there is one way in, allauth's, with its MFA stage and
    its failed-login throttle. A signed-in user without admin access gets a 403 (sending them back to the
    sign-in page would loop: it forwards signed-in users to `next`)."""
    next_url = _safe_next(request, reverse("admin:index"))
    if request.user.is_authenticated:
        if request.user.is_active and request.user.is_staff:
            return redirect(next_url)
        raise PermissionDenied
    return redirect(f"{reverse('account_login')}?{urlencode({'next': next_url})}")


def admin_logout(request, extra_context=None):
    """The Django admin's sign-out goes through allauth's (which asks to confirm on GET)."""
    return redirect("account_logout")


def admin_password_change(request, extra_context=None):
    """The Django admin's own password form would be a second, unthrottled and unaudited way to change a
    password: it goes to allauth's."""
    return redirect("account_change_password")


@require_GET
@login_required
def email_address(request):
    """Replaces allauth's email management page: the address a person signs in with is shown, not changed.

    Letting people add addresses is how one account took over another's (add their address, make it
    primary, and their password resets came here). The office changes a login's address in the people
    pages (accounts.services.login_email_change), where it cannot collide with another login's.
    """
    return render(request, "account/email.html")
