"""The timetable's week pages (see modules/timetable/urls.py): everyone's week, its PDF, the booklet and the
export (views_week.py)."""

from __future__ import annotations

from django.urls import path

from modules.timetable import views_week

urlpatterns = [
    path("week/mine/", views_week.my_week, name="my_week"),
    path("week/mine/pdf/", views_week.my_week_pdf, name="my_week_pdf"),
    path("week/children/", views_week.children_week, name="children_week"),
    path("week/children/<int:pk>/", views_week.child_week, name="child_week"),
    path("week/children/<int:pk>/pdf/", views_week.child_week_pdf, name="child_week_pdf"),
    path("week/", views_week.week_office, name="week_office"),
    path("week/sections/<int:pk>/", views_week.section_week, name="section_week"),
    path("week/sections/<int:pk>/pdf/", views_week.section_pdf, name="section_pdf"),
    path("week/teachers/<int:pk>/", views_week.teacher_week, name="teacher_week"),
    path("week/teachers/<int:pk>/pdf/", views_week.teacher_pdf, name="teacher_pdf"),
    path("week/rooms/<int:pk>/", views_week.room_week, name="room_week"),
    path("week/rooms/<int:pk>/pdf/", views_week.room_pdf, name="room_pdf"),
    path("week/booklet/<slug:kind>/", views_week.booklet, name="booklet"),
    path("week/export/", views_week.export, name="export"),
]
