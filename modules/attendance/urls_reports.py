"""Attendance reports: analytics, patterns and the monthly register downloads."""

from django.urls import path

from modules.attendance import views_reports

urlpatterns = [
    path("reports/", views_reports.reports_overview, name="reports_overview"),
    path("reports/sections/<int:pk>/", views_reports.reports_section, name="reports_section"),
    path(
        "reports/sections/<int:pk>/monthly.pdf", views_reports.reports_monthly_pdf, name="reports_monthly_pdf"
    ),
    path(
        "reports/sections/<int:pk>/monthly.xlsx",
        views_reports.reports_monthly_xlsx,
        name="reports_monthly_xlsx",
    ),
]
