"""Exam schedule (office, staff, families) and offline marksheets."""

from django.urls import path

from modules.exams import views_schedule as views

urlpatterns: list = [
    path("exams/", views.schedule_periods, name="schedule_periods"),
    path("exams/new/", views.schedule_period_form, name="schedule_period_create"),
    path("exams/<int:pk>/", views.schedule_period, name="schedule_period"),
    path("exams/<int:pk>/edit/", views.schedule_period_form, name="schedule_period_edit"),
    path("exams/<int:pk>/print/", views.schedule_period_pdf, name="schedule_period_pdf"),
    path("exams/<int:period_pk>/add/", views.schedule_slot_form, name="schedule_slot_create"),
    path("exams/slots/<int:pk>/edit/", views.schedule_slot_form, name="schedule_slot_edit"),
    path("exams/slots/<int:pk>/delete/", views.schedule_slot_delete, name="schedule_slot_delete"),
    path("exam-timetable/", views.exam_timetable, name="exam_timetable"),
    path("exam-timetable/print/", views.exam_timetable_pdf, name="exam_timetable_pdf"),
    path("classes/<int:pk>/marksheet/", views.marksheet, name="marksheet"),
    path("classes/<int:pk>/marksheet/download/", views.marksheet_export, name="marksheet_export"),
    path("classes/<int:pk>/marksheet/preview/", views.marksheet_preview, name="marksheet_preview"),
    path("classes/<int:pk>/marksheet/confirm/", views.marksheet_confirm, name="marksheet_confirm"),
]
