from __future__ import annotations

from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation

from modules.accounts import rules


class UserLanguageMiddleware:
    """A signed-in user's saved language wins over the browser's; visitors keep LocaleMiddleware's choice."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        response = self.get_response(request)
        if user is not None and user.is_authenticated and user.language:
            response.headers.setdefault("Content-Language", user.language)
        return response


class StaffMfaRequiredMiddleware:
    """Staff sessions reach the portal only after *this session* passed MFA.

    Having an authenticator is not enough: a password alone (a stolen one) must not open anything. allauth
    records every step a session took (`account_authentication_methods`); an "mfa" record is written when
    the session typed a code at sign-in (the `mfa_authenticate` login stage) or to `mfa_reauthenticate`,
    and by this middleware when the session enrolled a new TOTP authenticator (it typed a valid code then).
    Until then a staff session reaches only what it needs to finish: the code page (enrolled) or the
    enrolment pages (not yet enrolled), and sign-out. Sessions opened another way (the Django admin's old
    login, a session from before this rule) are sent to type their code.
    """

    open_prefixes = ("/static/", "/health/", "/i18n/", "/language/")
    # URL names a session that has not passed MFA may open, by whether the login has an authenticator.
    enrolled_urls = ("mfa_reauthenticate", "account_logout")
    enrolling_urls = ("mfa_activate_totp", "account_reauthenticate", "account_logout")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.STUDENTFLOW_REQUIRE_STAFF_MFA or request.path.startswith(self.open_prefixes):
            return self.get_response(request)
        user = request.user
        if not rules.must_enrol_mfa(user) or session_passed_mfa(request):
            return self.get_response(request)
        enrolled = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        allowed = self.enrolled_urls if enrolled else self.enrolling_urls
        if request.path not in {reverse(name) for name in allowed}:
            target = "mfa_reauthenticate" if enrolled else "mfa_activate_totp"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        response = self.get_response(request)
        if not enrolled and request.path == reverse("mfa_activate_totp") and request.method == "POST":
            authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
            if authenticator is not None:
                # The session has just proved it holds the new secret (allauth checked the code).
                record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
        return response


def session_passed_mfa(request) -> bool:
    """Whether this session (not merely the account) completed a second factor. No query: session only."""
    return any(record.get("method") == "mfa" for record in get_authentication_records(request, request.user))


class SsoFormActionMiddleware:
    """The sign-in pages' forms may lead to the identity providers the office switched on.

    A sign-in button posts to the portal, which answers with a redirect to Google, Microsoft or the school's
    SAML provider; browsers hold a form's redirects to the page's `form-action`, which is the portal's own
    origin everywhere else. On the sign-in page and allauth's provider pages, the providers' origins are
    added.
    Placed after Django's CSP middleware, so that its `_csp_config` is read when the header is written."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        on_a_sign_in_page = request.path.startswith("/accounts/") and request.path.endswith("/login/")
        if on_a_sign_in_page and "text/html" in response.get("Content-Type", ""):
            from modules.accounts.sso import sso_form_origins

            origins = sso_form_origins()
            if origins:
                config = dict(getattr(response, "_csp_config", settings.SECURE_CSP))
                config["form-action"] = [*config.get("form-action", []), *origins]
                response._csp_config = config
        return response
