"""Taking the register (views_register.py)."""

from django.urls import path

from modules.attendance import views_register as views

urlpatterns = [
    path("registers/", views.register_list, name="register_list"),
    path("registers/<int:pk>/", views.register_detail, name="register_detail"),
    path("registers/<int:pk>/mark/", views.register_mark, name="register_mark"),
    path("registers/<int:pk>/save/", views.register_save, name="register_save"),
]
