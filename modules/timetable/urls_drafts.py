"""The timetable's drafts pages (see modules/timetable/urls.py): the timetables, generating, reviewing,
editing by hand and publishing (views_drafts.py)."""

from __future__ import annotations

from django.urls import path

from modules.timetable import views_drafts as views

urlpatterns = [
    path("timetables/", views.timetables, name="timetables"),
    path("timetables/generate/", views.generate, name="timetable_generate"),
    path("timetables/generating/<uuid:pk>/", views.generation, name="generation"),
    path("timetables/<int:pk>/", views.review, name="timetable"),
    path("timetables/<int:pk>/changes/", views.diff, name="timetable_diff"),
    path("timetables/<int:pk>/lessons/<int:lesson_pk>/move/", views.move, name="lesson_move"),
    path("timetables/<int:pk>/lessons/<int:lesson_pk>/slots/", views.slots, name="lesson_slots"),
    path("timetables/<int:pk>/lessons/<int:lesson_pk>/lock/", views.lock, name="lesson_lock"),
    path("timetables/<int:pk>/regenerate/", views.regenerate, name="timetable_regenerate"),
    path("timetables/<int:pk>/publish/", views.publish, name="timetable_publish"),
    path("timetables/<int:pk>/copy/", views.copy, name="timetable_copy"),
    path("timetables/<int:pk>/delete/", views.delete, name="timetable_delete"),
]
