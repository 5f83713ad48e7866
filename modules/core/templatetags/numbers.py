"""{% load numbers %} {{ mark.display|number }} → "5,5" in Spanish and French, "5.5" in English."""

from __future__ import annotations

from django import template

from modules.core.numbers import number_text

register = template.Library()


@register.filter
def number(value, decimal_places=None):
    """A number (or the text of one, as Mark.display gives it) in the reader's language; a mark code or any
    other text is shown as it is."""
    return number_text(value, None if decimal_places in (None, "") else int(decimal_places))
