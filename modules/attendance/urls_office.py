from django.urls import path

from modules.attendance import views_office

urlpatterns: list = [
    path("office/today/", views_office.office_today, name="office_today"),
    path("office/registers/<int:pk>/nudge/", views_office.office_nudge, name="office_nudge"),
    path("office/settings/", views_office.office_policy, name="office_policy"),
]
