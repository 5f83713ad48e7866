"""The timetable's cover pages (views_cover.py; see modules/timetable/urls.py)."""

from __future__ import annotations

from django.urls import path

from modules.timetable import views_cover as views

urlpatterns = [
    path("cover/", views.cover_board, name="cover_board"),
    path("cover/absences/new/", views.absence_new, name="cover_absence_new"),
    path("cover/absences/<int:pk>/remove/", views.absence_remove, name="cover_absence_remove"),
    path("cover/assign/", views.cover_assign, name="cover_assign"),
    path("cover/<int:pk>/remove/", views.cover_remove, name="cover_remove"),
    path("cover/mine/", views.my_cover, name="my_cover"),
]
