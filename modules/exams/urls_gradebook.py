"""The teacher's gradebook (views_gradebook.py)."""

from django.urls import path

from modules.exams import views_gradebook as views

urlpatterns = [
    path("", views.gradebook_list, name="gradebook_list"),
    path("classes/<int:pk>/", views.gradebook, name="gradebook"),
    path("classes/<int:pk>/cell/", views.gradebook_cell, name="gradebook_cell"),
    path("classes/<int:pk>/save/", views.gradebook_save, name="gradebook_save"),
    path("classes/<int:pk>/categories/", views.gradebook_categories, name="gradebook_categories"),
    path(
        "classes/<int:pk>/assessments/new/",
        views.gradebook_assessment_create,
        name="gradebook_assessment_create",
    ),
    path("assessments/<int:pk>/edit/", views.gradebook_assessment_edit, name="gradebook_assessment_edit"),
    path(
        "assessments/<int:pk>/delete/", views.gradebook_assessment_delete, name="gradebook_assessment_delete"
    ),
    path(
        "assessments/<int:pk>/publish/",
        views.gradebook_assessment_publish,
        name="gradebook_assessment_publish",
    ),
]
