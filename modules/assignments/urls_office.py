"""The office's homework policy page and the test of an external similarity service (views_office.py)."""

from __future__ import annotations

from django.urls import path

from modules.assignments import views_office as views

urlpatterns = [
    path("policy/", views.policy, name="policy"),
    path("policy/test-service/", views.policy_test, name="policy_test"),
]
