"""{% load similarity_tags %}: what the inbox's similarity cell needs (templates/assignments/
_similarity_cell.html)."""

from __future__ import annotations

from django import template

from modules.assignments.models import HomeworkPolicy

register = template.Library()


@register.simple_tag(takes_context=True)
def similarity_threshold(context) -> int:
    """The school's flag threshold (%), read once per request however many cells the page draws."""
    request = context.get("request")
    cached = getattr(request, "_similarity_threshold", None) if request is not None else None
    if cached is None:
        cached = context.get("similarity_threshold") or HomeworkPolicy.current().similarity_flag_percent
        if request is not None:
            request._similarity_threshold = cached
    return cached
