"""Fees URLs, one list per area (each area's views live in views_<area>.py)."""

from modules.fees import urls_billing, urls_family, urls_payments, urls_reports, urls_setup

app_name = "fees"

urlpatterns = [
    *urls_setup.urlpatterns,
    *urls_billing.urlpatterns,
    *urls_payments.urlpatterns,
    *urls_family.urlpatterns,
    *urls_reports.urlpatterns,
]
