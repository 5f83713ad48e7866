from django.urls import path

from modules.api import views_clients

app_name = "api_clients"

urlpatterns = [
    path("", views_clients.clients, name="clients"),
    path("<int:pk>/revoke/", views_clients.client_revoke_view, name="client_revoke"),
]
