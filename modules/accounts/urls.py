from django.urls import path

from modules.accounts import views

urlpatterns = [
    path("role/", views.switch_role, name="switch_role"),
    path("language/", views.set_language, name="set_language"),
]
