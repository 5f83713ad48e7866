"""Attendance URLs, one list per area (each area's views live in views_<area>.py)."""

from modules.attendance import urls_family, urls_office, urls_register, urls_reports

app_name = "attendance"

urlpatterns = [
    *urls_register.urlpatterns,
    *urls_office.urlpatterns,
    *urls_family.urlpatterns,
    *urls_reports.urlpatterns,
]
