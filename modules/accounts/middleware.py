from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation

from modules.accounts import rules

MFA_SESSION_KEY = "mfa_enrolled"


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
    """Until a staff member has an authenticator, every page (Django admin included) sends them to enrol."""

    allowed_prefixes = ("/accounts/", "/static/", "/health/", "/i18n/", "/language/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._must_enrol(request):
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)

    def _must_enrol(self, request) -> bool:
        if not settings.STUDENTFLOW_REQUIRE_STAFF_MFA:
            return False
        if request.path.startswith(self.allowed_prefixes):
            return False
        user = request.user
        if not rules.must_enrol_mfa(user):
            return False
        if request.session.get(MFA_SESSION_KEY):
            return False
        enrolled = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        if enrolled:
            request.session[MFA_SESSION_KEY] = True
        return not enrolled
