"""The similarity check's pages (views_similarity.py): an assignment's results, checking it now, one pair
side by side."""

from __future__ import annotations

from django.urls import path

from modules.assignments import views_similarity as views

urlpatterns = [
    path("similarity/<int:pk>/", views.similarity, name="similarity"),
    path("similarity/<int:pk>/check/", views.similarity_check, name="similarity_check"),
    path("similarity/<int:pk>/pairs/<int:match>/", views.similarity_pair, name="similarity_pair"),
]
