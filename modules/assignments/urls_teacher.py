"""Setting homework (views_teacher.py): the teacher's pages under /homework/teach/, and the download of a
file attached to an assignment."""

from __future__ import annotations

from django.urls import path

from modules.assignments import views_teacher as views

urlpatterns = [
    path("teach/", views.teacher_list, name="teacher_list"),
    path("teach/new/", views.teacher_create, name="teacher_create"),
    path("teach/copy/", views.teacher_copy_pick, name="teacher_copy_pick"),
    path("teach/load/", views.teacher_calendar_load, name="teacher_calendar_load"),
    path("teach/<int:pk>/", views.teacher_detail, name="teacher_detail"),
    path("teach/<int:pk>/edit/", views.teacher_edit, name="teacher_edit"),
    path("teach/<int:pk>/publish/", views.teacher_publish, name="teacher_publish"),
    path("teach/<int:pk>/delete/", views.teacher_delete, name="teacher_delete"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
]
