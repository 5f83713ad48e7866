"""Request checks every page shares."""

from __future__ import annotations

from django.core.exceptions import BadRequest

API_PREFIX = "/api/v1/"


class NulCharacterMiddleware:
    """A NUL character in the query string is answered 400, before any view reads it.

    No person types one, and PostgreSQL refuses to store or even compare text holding it (a DataError: a 500
    on any page that filters by a parameter). Forms already refuse NUL in what they clean; this covers the
    parameters that views read directly (filters, search boxes, sort keys). The REST API (under /api/v1/)
    refuses it itself, in its own error format (modules/api/v1.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # request.GET decodes %00 too: one look at the parameters covers both spellings.
        if not request.path.startswith(API_PREFIX) and any(
            "\x00" in key or "\x00" in "".join(values) for key, values in request.GET.lists()
        ):
            raise BadRequest("NUL character in the query string")
        return self.get_response(request)
