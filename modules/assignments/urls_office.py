"""The office's homework policy page (views_office.py)."""

from __future__ import annotations

from django.urls import path

from modules.assignments import views_office as views

urlpatterns = [
    path("policy/", views.policy, name="policy"),
]
