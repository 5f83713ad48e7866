"""The teacher's inbox: an assignment's hand-ins, marking, returning, extensions, paper work, the zip."""

from __future__ import annotations

from django.urls import path

from modules.assignments import views_inbox as views

urlpatterns = [
    path("inbox/<int:pk>/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/return/", views.inbox_return, name="inbox_return"),
    path("inbox/<int:pk>/hand-ins.zip", views.inbox_zip, name="inbox_zip"),
    path("inbox/<int:pk>/students/<int:student>/", views.inbox_mark, name="inbox_mark"),
    path("inbox/<int:pk>/students/<int:student>/return/", views.inbox_return_one, name="inbox_return_one"),
    path("inbox/<int:pk>/students/<int:student>/extend/", views.inbox_extend, name="inbox_extend"),
    path("inbox/<int:pk>/students/<int:student>/received/", views.inbox_received, name="inbox_received"),
]
