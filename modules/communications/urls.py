"""Communications URLs, one list per area (each area's views live in views_<area>.py)."""

from modules.communications import urls_announcements, urls_deliveries, urls_messages, urls_notifications

app_name = "communications"

urlpatterns = [
    *urls_notifications.urlpatterns,
    *urls_announcements.urlpatterns,
    *urls_messages.urlpatterns,
    *urls_deliveries.urlpatterns,
]
