from django.urls import path

from modules.fees import views_payments, webhooks

urlpatterns: list = [
    path("students/<int:pk>/account/", views_payments.student_account, name="student_account"),
    path("payments/new/", views_payments.payment_create, name="payment_create"),
    path("payments/<int:pk>/", views_payments.payment_detail, name="payment_detail"),
    path("payments/<int:pk>/receipt.pdf", views_payments.receipt_pdf, name="receipt_pdf"),
    path("payments/<int:pk>/refund/", views_payments.refund_create, name="refund_create"),
    path("stripe/webhook/", webhooks.stripe_webhook, name="stripe_webhook"),
]
