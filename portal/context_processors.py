from __future__ import annotations

from django.http import HttpRequest

from modules.accounts.models import Role
from modules.accounts.roles import active_role

# Each language in its own name, so a reader finds theirs whatever the page's language.
LANGUAGE_NATIVE_NAMES = [("en", "English"), ("es", "Español"), ("fr", "Français")]


def portal(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    context = {"LANGUAGE_NATIVE_NAMES": LANGUAGE_NATIVE_NAMES}
    if user is not None and user.is_authenticated:
        context["active_role"] = active_role(request)
        context["user_roles"] = user.roles
        context["ROLE_CHOICES"] = Role.choices
    return context
