"""Which role a signed-in user is acting in. A user may hold several (a teacher who is also a parent)."""

from __future__ import annotations

from django.http import HttpRequest

SESSION_KEY = "active_role"


def active_role(request: HttpRequest) -> str | None:
    roles = request.user.roles
    if not roles:
        return None
    chosen = request.session.get(SESSION_KEY)
    return chosen if chosen in roles else roles[0]


def set_active_role(request: HttpRequest, role: str) -> bool:
    if role not in request.user.roles:
        return False
    request.session[SESSION_KEY] = role
    return True
