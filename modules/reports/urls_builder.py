"""The builder pages of reports."""

from __future__ import annotations

from django.urls import URLPattern, path

from modules.reports import views_builder

urlpatterns: list[URLPattern] = [
    path("builder/", views_builder.builder_list, name="builder_list"),
    path("builder/new/", views_builder.builder_new, name="builder_new"),
    path("builder/new/save/", views_builder.builder_create, name="builder_create"),
    path("builder/<int:pk>/", views_builder.builder_run, name="builder_run"),
    path("builder/<int:pk>/edit/", views_builder.builder_edit, name="builder_edit"),
    path("builder/<int:pk>/edit/save/", views_builder.builder_update, name="builder_update"),
    path("builder/<int:pk>/delete/", views_builder.builder_delete, name="builder_delete"),
    path("builder/<int:pk>/schedule/", views_builder.builder_schedule, name="builder_schedule"),
    path(
        "builder/<int:pk>/schedule/<int:schedule_pk>/delete/",
        views_builder.builder_schedule_delete,
        name="builder_schedule_delete",
    ),
    path("builder/<int:pk>/export/<slug:fmt>/", views_builder.builder_export, name="builder_export"),
    path(
        "builder/<int:pk>/export/<slug:fmt>/background/",
        views_builder.builder_export_start,
        name="builder_export_start",
    ),
]
