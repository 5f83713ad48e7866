from django.urls import path

from modules.fees import views_setup as views

urlpatterns: list = [
    path("setup/", views.setup_hub, name="setup"),
    path("setup/items/", views.item_list, name="item_list"),
    path("setup/items/new/", views.item_form, name="item_create"),
    path("setup/items/<int:pk>/", views.item_form, name="item_edit"),
    path("setup/items/<int:pk>/delete/", views.item_delete, name="item_delete"),
    path("setup/rules/", views.policy, name="policy"),
    path("setup/payment-instructions/", views.payment_instructions, name="payment_instructions"),
    path("setup/structures/", views.structure_list, name="structure_list"),
    path("setup/structures/new/", views.structure_create, name="structure_create"),
    path("setup/structures/copy/", views.structure_copy, name="structure_copy"),
    path("setup/structures/<int:pk>/", views.structure_detail, name="structure_detail"),
    path("setup/structures/<int:pk>/charges/", views.structure_charges, name="structure_charges"),
    path("setup/structures/<int:pk>/notes/", views.structure_notes, name="structure_notes"),
    path("setup/structures/<int:pk>/instalments/new/", views.instalment_create, name="instalment_create"),
    path("setup/instalments/<int:pk>/", views.instalment_edit, name="instalment_edit"),
    path("setup/instalments/<int:pk>/delete/", views.instalment_delete, name="instalment_delete"),
    path("setup/optional-items/", views.optional_items, name="optional_items"),
    path("setup/discounts/", views.discount_list, name="discount_list"),
    path("setup/discounts/new/", views.discount_create, name="discount_create"),
    path("setup/discounts/<int:pk>/revoke/", views.discount_revoke, name="discount_revoke"),
    path("setup/generate/", views.generate, name="generate"),
]
