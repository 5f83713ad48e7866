"""Homework for students and guardians, and the hand-in and feedback files (views_family.py)."""

from __future__ import annotations

from django.urls import path

from modules.assignments import views_family

urlpatterns = [
    path("mine/", views_family.student_list, name="student_list"),
    path("mine/week/", views_family.student_week, name="student_week"),
    path("mine/<int:pk>/", views_family.student_assignment, name="student_assignment"),
    path("mine/<int:pk>/hand-in/", views_family.hand_in, name="hand_in"),
    path("children/", views_family.children, name="children"),
    path("children/<int:pk>/", views_family.child_list, name="child_list"),
    path("children/<int:pk>/<int:assignment_pk>/", views_family.child_assignment, name="child_assignment"),
    path("files/<int:pk>/", views_family.submission_file, name="submission_file"),
    path("feedback/<int:pk>/", views_family.feedback_file, name="feedback_file"),
]
