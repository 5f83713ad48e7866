from django.urls import path

from modules.accounts import views, views_sso

urlpatterns = [
    path("role/", views.switch_role, name="switch_role"),
    path("language/", views.set_language, name="set_language"),
    path("sign-in/single-sign-on/", views_sso.sso_settings, name="sso_settings"),
]
