"""Fees in the Django admin: the setup may be edited here; money documents are read-only (they change only
through modules.fees.ledger, which keeps the totals and the audit trail)."""

from django.contrib import admin

from modules.core.admin import ReadOnlyAdmin
from modules.fees.models import (
    CheckoutSession,
    CreditNote,
    Discount,
    FeeItem,
    FeePolicy,
    FeeStructure,
    Instalment,
    InstalmentCharge,
    Invoice,
    InvoiceLine,
    Payment,
    Refund,
    StripeEvent,
)


@admin.register(FeePolicy)
class FeePolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "late_enrolment", "reminder_days_before", "reminder_days_after"]


@admin.register(FeeItem)
class FeeItemAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "is_optional", "sibling_discount", "is_active"]
    list_filter = ["category", "is_optional", "is_active"]
    search_fields = ["name"]


class InstalmentInline(admin.TabularInline):
    model = Instalment
    extra = 0


@admin.register(FeeStructure)
class FeeStructureAdmin(admin.ModelAdmin):
    list_display = ["grade_level", "year", "notes"]
    list_filter = ["year"]
    inlines = [InstalmentInline]


class InstalmentChargeInline(admin.TabularInline):
    model = InstalmentCharge
    extra = 0


@admin.register(Instalment)
class InstalmentAdmin(admin.ModelAdmin):
    list_display = ["label", "structure", "number", "due_date"]
    list_filter = ["structure__year"]
    inlines = [InstalmentChargeInline]


@admin.register(Discount)
class DiscountAdmin(ReadOnlyAdmin):
    list_display = ["student", "year", "item", "kind", "value", "reason", "approved_by", "is_active"]
    raw_id_fields = ["student"]


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["number", "student", "due_date", "total", "amount_paid", "amount_credited", "status"]
    list_filter = ["status", "year"]
    search_fields = ["number", "student__last_name", "student__admission_number"]
    inlines = [InvoiceLineInline]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["receipt_number", "student", "amount", "method", "received_on", "amount_allocated"]
    list_filter = ["method"]
    search_fields = ["receipt_number", "reference", "student__last_name"]


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdmin):
    list_display = ["number", "invoice", "amount", "reason", "issued_on"]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["number", "payment", "amount", "method", "refunded_on"]


@admin.register(CheckoutSession)
class CheckoutSessionAdmin(ReadOnlyAdmin):
    list_display = ["stripe_id", "guardian", "amount", "currency", "status", "created_at"]
    list_filter = ["status"]


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "type", "outcome", "received_at"]
    list_filter = ["type"]
