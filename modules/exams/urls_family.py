"""A child's grades for the family, the child's teachers and the office."""

from django.urls import path

from modules.exams import views_family

urlpatterns = [
    path("children/<int:pk>/", views_family.child_grades, name="child_grades"),
]
