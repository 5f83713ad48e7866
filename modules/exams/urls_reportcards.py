from django.urls import path

from modules.exams import views_reportcards

urlpatterns = [
    path(
        "report-cards/<int:student_pk>/<int:term_pk>.pdf",
        views_reportcards.report_card,
        name="report_card",
    ),
    path("report-cards/", views_reportcards.report_card_batch, name="report_card_batch"),
    path("report-cards/email/", views_reportcards.report_card_email, name="report_card_email"),
]
