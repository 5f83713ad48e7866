"""What a family sees of its fees, and paying online.

`family_fees(user)` reads a guardian's children's invoices, payments and balances in a fixed number of
queries however many children and invoices there are. `checkout_create(...)` starts a Stripe Checkout for
invoices the guardian chose: the invoices are fetched again through the guardian's scope and the amounts
are their balances computed here, never anything the browser sent. Nothing is recorded as paid here: only
the signed webhook (modules.fees.webhooks) records payments.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.accounts.rules import is_guardian
from modules.fees import ledger, stripe_gateway
from modules.fees.models import (
    ZERO,
    CheckoutItem,
    CheckoutSession,
    CheckoutStatus,
    Invoice,
    InvoiceStatus,
    Payment,
)
from modules.fees.money import school_currency, to_minor_units
from modules.people.models import Guardian, Student

logger = logging.getLogger(__name__)


class CheckoutError(Exception):
    """Online payment could not start; the message is for the guardian (translated)."""


def guardian_students(user):
    if not is_guardian(user):
        return Student.objects.none()
    return Student.objects.filter(guardian_links__guardian__user=user)


@dataclass
class ChildFees:
    student: Student
    balance: ledger.Balance
    open_invoices: list[Invoice] = field(default_factory=list)
    settled_invoices: list[Invoice] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)


@dataclass
class FamilyFees:
    children: list[ChildFees]

    @property
    def due(self) -> Decimal:
        return sum((child.balance.due for child in self.children), ZERO)

    @property
    def credit(self) -> Decimal:
        """What the school owes the family overall (credit beyond what is due), else zero."""
        return max(-self.due, ZERO)

    @property
    def open_count(self) -> int:
        return sum(len(child.open_invoices) for child in self.children)


def family_fees(user) -> FamilyFees:
    """Each child's balance, open and settled invoices and payments: five queries for the whole family."""
    students = list(guardian_students(user).order_by("first_name", "last_name", "pk"))
    ids = [student.pk for student in students]
    children = {student.pk: ChildFees(student, ledger.Balance(ZERO, ZERO)) for student in students}
    if not ids:
        return FamilyFees([])
    for pk, balance in ledger.balances(ids).items():
        children[pk].balance = balance
    for invoice in Invoice.objects.filter(student_id__in=ids).order_by("due_date", "number"):
        child = children[invoice.student_id]
        if invoice.status == InvoiceStatus.OPEN:
            child.open_invoices.append(invoice)
        else:
            child.settled_invoices.append(invoice)
    for payment in Payment.objects.filter(student_id__in=ids).order_by("-received_on", "-pk"):
        children[payment.student_id].payments.append(payment)
    for child in children.values():
        child.settled_invoices.reverse()  # latest first
    return FamilyFees(list(children.values()))


def checkout_create(*, user, invoice_ids: Sequence[int], return_url: Callable[[int], str]) -> CheckoutSession:
    """Start one Stripe Checkout for the chosen open invoices (any of the guardian's children).
    `return_url(checkout pk)` is the absolute URL Stripe sends the guardian back to (?result=paid|cancelled).

    Raises Invoice.DoesNotExist when an id is not an open invoice of the guardian's children (the caller
    answers 404), CheckoutError when Stripe is not configured or refuses.
    """
    ids = sorted({int(pk) for pk in invoice_ids})
    if not ids:
        raise CheckoutError(_("Choose at least one invoice to pay."))
    invoices = list(
        Invoice.objects.visible_to(user)
        .open()
        # Their own children only, even for a guardian who is also the bursar.
        .filter(pk__in=ids, student__in=guardian_students(user))
        .select_related("student")
        .order_by("student__first_name", "due_date", "number")
        .distinct()
    )
    if len(invoices) != len(ids):
        raise Invoice.DoesNotExist
    if not stripe_gateway.is_enabled():
        raise CheckoutError(_("Online payment is not available. Please pay at the school office."))
    guardian = Guardian.objects.get(user=user)
    currency = school_currency()
    amounts = {invoice.pk: invoice.balance for invoice in invoices}
    with transaction.atomic():
        checkout = CheckoutSession.objects.create(
            stripe_id=f"pending:{uuid.uuid4()}",
            guardian=guardian,
            started_by=user,
            amount=sum(amounts.values(), ZERO),
            currency=currency,
        )
        CheckoutItem.objects.bulk_create(
            CheckoutItem(checkout=checkout, invoice=invoice, amount=amounts[invoice.pk])
            for invoice in invoices
        )
    params = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": currency.lower(),
                    "unit_amount": to_minor_units(amounts[invoice.pk], currency),
                    "product_data": {
                        "name": _("Invoice %(number)s · %(name)s")
                        % {"number": invoice.number, "name": invoice.student.full_name}
                    },
                },
            }
            for invoice in invoices
        ],
        "client_reference_id": str(checkout.pk),
        "metadata": {"checkout_id": str(checkout.pk)},
        "payment_intent_data": {"metadata": {"checkout_id": str(checkout.pk)}},
        "success_url": return_url(checkout.pk) + "?result=paid",
        "cancel_url": return_url(checkout.pk) + "?result=cancelled",
    }
    if guardian.email or user.email:
        params["customer_email"] = guardian.email or user.email
    try:
        session = stripe_gateway.create_checkout_session(
            params=params, idempotency_key=f"studentflow-checkout-{checkout.pk}"
        )
    except Exception as error:  # any failure talking to Stripe: the guardian is told, nothing is owed
        logger.exception("Stripe Checkout could not start for checkout %s", checkout.pk)
        CheckoutSession.objects.filter(pk=checkout.pk).update(status=CheckoutStatus.EXPIRED)
        raise CheckoutError(
            _("Online payment could not start just now. Nothing was charged; please try again later.")
        ) from error
    checkout.stripe_id = session["id"]
    checkout.url = session["url"] or ""
    checkout.save(update_fields=["stripe_id", "url"])
    logger.info(
        "Checkout %s (%s) started for %s invoices at %s",
        checkout.pk,
        checkout.stripe_id,
        len(invoices),
        timezone.now().isoformat(),
    )
    return checkout
