"""Filled in by the area's views."""

from __future__ import annotations

urlpatterns: list = []
