from django.urls import path

from modules.attendance import views_devices, views_office

urlpatterns: list = [
    path("office/today/", views_office.office_today, name="office_today"),
    path("office/registers/<int:pk>/nudge/", views_office.office_nudge, name="office_nudge"),
    path("office/settings/", views_office.office_policy, name="office_policy"),
    path("office/readers/", views_devices.devices, name="office_devices"),
    path("office/readers/<int:pk>/revoke/", views_devices.device_revoke_view, name="office_device_revoke"),
    path("office/readers/check-ins/", views_devices.device_events, name="office_device_events"),
]
