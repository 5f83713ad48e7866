"""Who may open fee pages: the bursar and the office, or a guardian (for their own children's fees)."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from modules.accounts.models import Role
from modules.fees.models import fee_staff


def is_guardian(user) -> bool:
    return user.is_authenticated and Role.GUARDIAN in user.roles


def fee_staff_required(view):
    """Fee pages of the office: the bursar and administrators (403 for anyone else signed in; visitors go
    to log in)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not fee_staff(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def guardian_required(view):
    """The family's fee pages: guardians only (each page then fetches their own children's rows)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_guardian(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
