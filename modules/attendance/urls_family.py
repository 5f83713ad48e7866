from django.urls import path

from modules.attendance import views_family

urlpatterns: list = [
    path("children/<int:pk>/", views_family.family_child, name="family_child"),
    path("children/<int:pk>/notes/new/", views_family.note_create, name="note_create"),
    path("notes/", views_family.note_list, name="note_list"),
    path("notes/<int:pk>/", views_family.note_detail, name="note_detail"),
    path("notes/<int:pk>/decide/", views_family.note_decide, name="note_decide"),
    path("notes/<int:pk>/file/", views_family.note_file, name="note_file"),
]
