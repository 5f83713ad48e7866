from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from modules.fees.models import CENT, Invoice, PaymentMethod
from modules.fees.money import format_money

OFFICE_METHODS = [
    (PaymentMethod.CASH.value, PaymentMethod.CASH.label),
    (PaymentMethod.BANK.value, PaymentMethod.BANK.label),
    (PaymentMethod.CHEQUE.value, PaymentMethod.CHEQUE.label),
]
NEEDS_REFERENCE = {PaymentMethod.BANK, PaymentMethod.CHEQUE}


class StudentSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Student name or admission number"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "autofocus": True}),
    )


class InvoiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, invoice: Invoice) -> str:
        return _("%(number)s · due %(date)s · %(balance)s left") % {
            "number": invoice.number,
            "date": date_format(invoice.due_date, "SHORT_DATE_FORMAT"),
            "balance": format_money(invoice.balance),
        }


class PaymentForm(forms.Form):
    """A payment received at the office. `token` is generated when the form is shown and is the payment's
    idempotency key: the same form submitted twice records one payment."""

    amount = forms.DecimalField(
        label=_("Amount"),
        max_digits=12,
        decimal_places=2,
        min_value=CENT,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}),
        error_messages={"min_value": _("The amount must be more than zero.")},
    )
    method = forms.ChoiceField(label=_("Method"), choices=OFFICE_METHODS, initial=PaymentMethod.CASH)
    reference = forms.CharField(
        label=_("Reference"),
        max_length=100,
        required=False,
        help_text=_("Required for bank transfers and cheques (transfer reference or cheque number)."),
    )
    received_on = forms.DateField(
        label=_("Received on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    invoice = InvoiceChoiceField(
        label=_("Pay invoice"),
        queryset=Invoice.objects.none(),
        required=False,
        empty_label=_("Oldest open invoices first"),
        help_text=_("The rest goes to the oldest open invoices; anything left is kept as credit."),
    )
    payer_name = forms.CharField(label=_("Paid by"), max_length=150, required=False)
    email_receipt = forms.BooleanField(
        label=_("Email the receipt to the guardians"), required=False, initial=True
    )
    token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, student, **kwargs):
        super().__init__(*args, **kwargs)
        self.student = student
        self.fields["invoice"].queryset = (
            Invoice.objects.filter(student=student).open().order_by("due_date", "number")
        )
        if not self.is_bound:
            self.initial.setdefault("token", uuid.uuid4())
            self.initial.setdefault("received_on", timezone.localdate())

    def clean_received_on(self):
        day = self.cleaned_data["received_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("A payment cannot be dated in the future."))
        return day

    def clean(self):
        data = super().clean()
        if data.get("method") in NEEDS_REFERENCE and not (data.get("reference") or "").strip():
            self.add_error(
                "reference", _("Give the bank transfer reference or the cheque number for this payment.")
            )
        return data

    @property
    def idempotency_key(self) -> str:
        return f"office:{self.cleaned_data['token']}"


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"),
        max_digits=12,
        decimal_places=2,
        min_value=CENT,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}),
        error_messages={"min_value": _("The amount must be more than zero.")},
    )
    method = forms.ChoiceField(label=_("Paid back by"), choices=PaymentMethod.choices)
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, payment, **kwargs):
        super().__init__(*args, **kwargs)
        self.payment = payment
        if not self.is_bound:
            self.initial.setdefault("amount", payment.unallocated)
            self.initial.setdefault("method", payment.method)

    def clean_amount(self) -> Decimal:
        amount = self.cleaned_data["amount"]
        if amount > self.payment.unallocated:
            raise forms.ValidationError(
                _("At most %(credit)s of this payment is unused credit that can be refunded.")
                % {"credit": format_money(self.payment.unallocated)}
            )
        return amount


class InvoiceIdsField(forms.Field):
    """The ticked invoices (ids). Only ids: what they cost is decided on the server."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": _("Choose at least one invoice to pay."),
        "invalid": _("Choose invoices from the list."),
    }

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        if len(values) > 100 or not all(str(v).isdigit() for v in values):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return sorted({int(v) for v in values})


class CheckoutForm(forms.Form):
    invoice = InvoiceIdsField()
