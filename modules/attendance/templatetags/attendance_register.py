"""The register page's row, drawn by RowView.html (modules/attendance/views_register.py says why)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.simple_tag
def register_row(row, can_edit: bool) -> str:
    return row.html(can_edit=bool(can_edit))
