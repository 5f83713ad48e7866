"""The role check every page of the portal makes before its own scoping: one decorator for all of them.

`role_required(predicate)` sends visitors to log in (Django's `login_required`, with `next`) and answers 403
to anyone signed in for whom the predicate is false. The predicate is a named rule taking the user and
returning a bool, from the owning module's `rules.py` (`accounts.rules.is_administrator`,
`attendance.rules.can_take_registers`…), so the rule is written once and the view only names it.

It checks the role, not the object: the view then fetches through the scoped queryset, so an object out of
the person's reach is a 404 (no leak that it exists). A fragment endpoint carries the same decorator as its
page, so it checks exactly what the page checks.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

Predicate = Callable[[Any], bool]
View = Callable[..., Any]


def role_required(predicate: Predicate) -> Callable[[View], View]:
    """Decorate a view so that only a signed-in user for whom `predicate(user)` holds reaches it: visitors
    are sent to log in, anyone else signed in gets 403."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not predicate(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
