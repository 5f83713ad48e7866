from django.urls import path

from modules.communications import views_deliveries as views

urlpatterns = [
    path("deliveries/", views.delivery_list, name="delivery_list"),
    path("deliveries/retry-failed/", views.delivery_retry_failed, name="delivery_retry_failed"),
    path("deliveries/<int:pk>/", views.delivery_detail, name="delivery_detail"),
    path("deliveries/<int:pk>/email.html", views.delivery_email_html, name="delivery_email_html"),
    path("deliveries/<int:pk>/retry/", views.delivery_retry_view, name="delivery_retry"),
]
