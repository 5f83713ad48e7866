"""The timetable's requirements pages (see modules/timetable/urls.py): what the office states before
generating, under /timetable/requirements/ (views_requirements.py)."""

from __future__ import annotations

from django.urls import path

from modules.timetable import views_requirements as views

P = "requirements/"

urlpatterns = [
    path(P, views.requirements, name="requirements"),
    path(P + "sections/<int:pk>/", views.requirements_section, name="requirements_section"),
    path(P + "classes/<int:pk>/", views.requirement_edit, name="requirement_edit"),
    path(P + "classes/<int:pk>/quick/", views.requirement_quick, name="requirement_quick"),
    path(P + "classes/<int:pk>/delete/", views.requirement_delete, name="requirement_delete"),
    path(P + "teachers/", views.teachers, name="teachers"),
    path(P + "teachers/<int:pk>/", views.teacher_edit, name="teacher_edit"),
    path(P + "rooms/", views.rooms, name="rooms"),
    path(P + "rooms/<int:pk>/", views.room_edit, name="room_edit"),
    path(P + "room-kinds/", views.room_types, name="room_types"),
    path(P + "room-kinds/<int:pk>/", views.room_type_edit, name="room_type_edit"),
    path(P + "room-kinds/<int:pk>/delete/", views.room_type_delete, name="room_type_delete"),
    path(P + "joint/", views.joints, name="joints"),
    path(P + "joint/<int:pk>/", views.joint_edit, name="joint_edit"),
    path(P + "joint/<int:pk>/delete/", views.joint_delete, name="joint_delete"),
    path(P + "fixed/", views.pins, name="pins"),
    path(P + "fixed/<int:pk>/delete/", views.pin_delete, name="pin_delete"),
    path(P + "settings/", views.timetable_settings, name="settings"),
    path(P + "import/", views.requirements_import, name="requirements_import"),
    path(P + "import/template/", views.requirements_import_template, name="requirements_import_template"),
    path(P + "import/confirm/", views.requirements_import_confirm, name="requirements_import_confirm"),
]
