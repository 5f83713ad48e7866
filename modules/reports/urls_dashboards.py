"""The dashboards pages of reports."""

from __future__ import annotations

from django.urls import path

from modules.reports import views_dashboards

urlpatterns = [
    path("", views_dashboards.dashboard, name="dashboard"),
    path("children/<int:pk>/", views_dashboards.child, name="dashboard_child"),
]
