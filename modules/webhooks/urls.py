from django.urls import path

from modules.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.endpoints, name="endpoints"),
    path("<int:pk>/", views.endpoint, name="endpoint"),
    path("<int:pk>/edit/", views.endpoint_edit, name="endpoint_edit"),
    path("<int:pk>/pause/", views.endpoint_pause_view, name="endpoint_pause"),
    path("<int:pk>/resume/", views.endpoint_resume_view, name="endpoint_resume"),
    path("<int:pk>/roll-secret/", views.endpoint_roll_view, name="endpoint_roll"),
    path("<int:pk>/test/", views.endpoint_ping_view, name="endpoint_ping"),
    path("<int:pk>/delete/", views.endpoint_delete_view, name="endpoint_delete"),
    path("deliveries/<int:pk>/retry/", views.delivery_retry_view, name="delivery_retry"),
]
