"""ETags on the API's reads: a GET answered with a strong ETag of its body, and 304 without a body when the
caller's If-None-Match names it (Django's ConditionalGetMiddleware, limited to /api/). A sync that asks again
for an unchanged page downloads nothing."""

from __future__ import annotations

from django.middleware.http import ConditionalGetMiddleware
from django.utils.cache import patch_cache_control, patch_vary_headers


class ApiConditionalGetMiddleware(ConditionalGetMiddleware):
    def process_response(self, request, response):
        if not request.path.startswith("/api/v1/") or request.method not in ("GET", "HEAD"):
            return response
        # Each caller's answer is their own (their token's scope): never stored by a shared cache.
        patch_cache_control(response, private=True, no_cache=True)
        patch_vary_headers(response, ["Authorization"])
        return super().process_response(request, response)
