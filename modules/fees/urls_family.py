from django.urls import path

from modules.fees import views_family

urlpatterns: list = [
    path("family/", views_family.family_fees, name="family"),
    path("family/checkout/", views_family.checkout_start, name="checkout_start"),
    path("family/checkout/<int:pk>/return/", views_family.checkout_return, name="checkout_return"),
]
