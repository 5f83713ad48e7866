from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from modules.accounts import rules


def administrator_required(view):
    """Office pages: signed in, and holding the administrator position (403 otherwise)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not rules.is_administrator(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def staff_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not rules.is_staff_member(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
