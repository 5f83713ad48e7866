from django.urls import path

from modules.fees import views_billing

urlpatterns: list = [
    path("invoices/<int:pk>/pdf/", views_billing.invoice_pdf, name="invoice_pdf"),
    path("credit-notes/<int:pk>/pdf/", views_billing.credit_note_pdf, name="credit_note_pdf"),
]
