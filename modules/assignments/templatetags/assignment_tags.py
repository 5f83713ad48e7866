"""{% load assignment_tags %} {{ assignment.instructions|markdown }}: a teacher's Markdown as cleaned HTML."""

from __future__ import annotations

from django import template

from modules.assignments.markdown import markdown_html

register = template.Library()


@register.filter(is_safe=True)
def markdown(value):
    """Markdown → HTML with only formatting kept (modules/assignments/markdown.py)."""
    return markdown_html(str(value) if value is not None else "")
