from django.urls import path

from modules.fees import views_billing

urlpatterns: list = [
    path("invoices/", views_billing.invoice_list, name="invoice_list"),
    path("invoices/<int:pk>/", views_billing.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/credit-note/", views_billing.credit_note_create, name="credit_note_create"),
    path("invoices/<int:pk>/pdf/", views_billing.invoice_pdf, name="invoice_pdf"),
    path("credit-notes/<int:pk>/pdf/", views_billing.credit_note_pdf, name="credit_note_pdf"),
]
