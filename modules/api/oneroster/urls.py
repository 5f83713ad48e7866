from django.urls import path

from modules.api.oneroster import views

app_name = "api_oneroster"

urlpatterns = [
    path("", views.oneroster, name="oneroster"),
    path("packages/make/", views.package_now, name="package_now"),
    path("packages/<int:pk>/", views.package_download, name="package_download"),
]
