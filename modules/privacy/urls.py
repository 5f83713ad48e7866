"""The privacy pages, under /privacy/."""

from __future__ import annotations

from django.urls import URLPattern, path

from modules.privacy import views_requests, views_retention

app_name = "privacy"

urlpatterns: list[URLPattern] = [
    path("requests/", views_requests.requests, name="requests"),
    path("requests/ask/<int:pk>/", views_requests.request_create, name="request_create"),
    path("requests/<int:pk>/download/", views_requests.request_download, name="request_download"),
    path("retention/", views_retention.retention_schedule, name="retention"),
    path("retention/save/", views_retention.retention_save, name="retention_save"),
]
