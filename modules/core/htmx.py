"""The page or its fragment: one helper for every view whose URL answers htmx with a part of its page.

A page is one template; its fragments are `{% partialdef name inline %}` blocks of it. For an htmx request
the view sends only the fragment (`template#name`), otherwise the whole page, from the same URL and the same
context. Because one URL then has two answers, both carry `Vary: HX-Request`, so that no cache (the
browser's back button included) serves the fragment as the page or the page into the fragment's place.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def render_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    partial: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """`template` for a plain request; only its `partial` for an htmx request (when a partial is named).
    Either way the response says it varies with the HX-Request header."""
    name = f"{template}#{partial}" if partial and getattr(request, "htmx", False) else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response
