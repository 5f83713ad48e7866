"""The bursar's dashboard and reports, and student statements (modules/fees/views_reports.py)."""

from django.urls import path

from modules.fees import views_reports

urlpatterns = [
    path("dashboard/", views_reports.dashboard, name="dashboard"),
    path("reports/aging/", views_reports.aging, name="aging"),
    path("reports/collections/", views_reports.collections, name="collections"),
    path("reports/cashup/", views_reports.cashup, name="cashup"),
    path("reports/statements/<int:pk>/", views_reports.student_statement, name="statement"),
    path(
        "reports/statements/<int:pk>/statement.pdf", views_reports.student_statement_pdf, name="statement_pdf"
    ),
]
