"""Stripe's webhook: the only place an online payment is recorded.

- The signature is verified on the raw body with STRIPE_WEBHOOK_SECRET (and the timestamp must be recent);
  anything else is a 400 and changes nothing.
- Each event id is stored (StripeEvent, unique) in the same transaction as its effect: a replay, even one
  delivered concurrently, either finds it stored or fails on the unique id and is answered 200 as done.
- The checkout row is locked while an event acts on it, so events for the same checkout run one after the
  other. Recording is idempotent as well (one payment per checkout and student, by key), and an "expired"
  or "failed" event only closes a checkout still waiting: delivered late or out of order, it never undoes a
  payment.
- Unknown event types, unknown sessions and events without what we need are answered 200 and logged (Stripe
  would otherwise retry them for days); a body that is not JSON is a 400. A real failure (the database)
  is a 500, so that Stripe retries later.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from decimal import Decimal

import stripe
from django.db import IntegrityError, connection, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from modules.fees import ledger, stripe_gateway
from modules.fees.models import ZERO, CheckoutSession, CheckoutStatus, PaymentMethod, StripeEvent
from modules.fees.money import to_minor_units
from modules.fees.receipts import receipt_notify

logger = logging.getLogger(__name__)

COMPLETED = "checkout.session.completed"
ASYNC_SUCCEEDED = "checkout.session.async_payment_succeeded"
ASYNC_FAILED = "checkout.session.async_payment_failed"
EXPIRED = "checkout.session.expired"
HANDLED = {COMPLETED, ASYNC_SUCCEEDED, ASYNC_FAILED, EXPIRED}


@csrf_exempt
@require_POST
def stripe_webhook(request):
    payload = request.body
    try:
        stripe_gateway.verify_signature(payload, request.headers.get("Stripe-Signature"))
    except (stripe.SignatureVerificationError, ValueError) as error:
        logger.warning("Stripe webhook refused: %s", str(error)[:200])
        return HttpResponse("Bad signature", status=400, content_type="text/plain")
    try:
        event = json.loads(payload)
        event_id, kind = str(event["id"]), str(event["type"])
        session = event.get("data", {}).get("object", {})
        if not isinstance(session, dict):
            raise TypeError("data.object is not an object")
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        logger.warning("Stripe webhook with an unreadable body: %s", error)
        return HttpResponse("Unreadable event", status=400, content_type="text/plain")
    outcome = event_process(event_id=event_id, kind=kind, session=session)
    return HttpResponse(outcome, status=200, content_type="text/plain")


def event_process(*, event_id: str, kind: str, session: dict) -> str:
    """Act on one verified event once. Returns what happened (for the log and the response body)."""
    if StripeEvent.objects.filter(event_id=event_id).exists():
        return "already processed"
    try:
        with transaction.atomic():
            # First, so that a concurrent delivery of the same event waits here or fails on the unique id.
            stored = StripeEvent.objects.create(event_id=event_id, type=kind[:100])
            outcome, payments = _act(kind, session)
            stored.outcome = outcome[:200]
            stored.save(update_fields=["outcome"])
            if payments:
                receipt_notify(payments)
    except IntegrityError:
        if StripeEvent.objects.filter(event_id=event_id).exists():
            return "already processed"
        raise
    log = logger.warning if outcome.startswith("ignored") else logger.info
    log("Stripe event %s (%s): %s", event_id, kind, outcome)
    return outcome


def _lock_checkout(session: dict) -> CheckoutSession | None:
    queryset = CheckoutSession.objects.all()
    if connection.features.has_select_for_update_of:
        queryset = queryset.select_for_update(of=("self",))
    else:
        queryset = queryset.select_for_update()
    return queryset.filter(stripe_id=str(session.get("id", ""))).first()


def _act(kind: str, session: dict):
    if kind not in HANDLED:
        return f"ignored: event type {kind}", []
    checkout = _lock_checkout(session)
    if checkout is None:
        return f"ignored: unknown checkout session {str(session.get('id', ''))[:80]}", []
    metadata = session.get("metadata") or {}
    if metadata.get("checkout_id") not in (None, str(checkout.pk)):
        return f"ignored: metadata names checkout {metadata.get('checkout_id')}, not {checkout.pk}", []
    if kind in (COMPLETED, ASYNC_SUCCEEDED):
        if kind == COMPLETED and session.get("payment_status") not in ("paid", "no_payment_required"):
            # Bank debits and the like: paid later (async_payment_succeeded) or not at all.
            if session.get("payment_intent"):
                checkout.payment_intent = str(session["payment_intent"])[:255]
                checkout.save(update_fields=["payment_intent"])
            return "waiting for an asynchronous payment", []
        return _record(checkout, session)
    if checkout.status == CheckoutStatus.OPEN:
        checkout.status = CheckoutStatus.EXPIRED
        checkout.save(update_fields=["status"])
        return "checkout closed without payment", []
    return f"nothing to change: checkout already {checkout.status}", []


def _record(checkout: CheckoutSession, session: dict):
    """One payment per student of the checkout, for the amounts fixed when it was created."""
    if session.get("payment_intent"):
        checkout.payment_intent = str(session["payment_intent"])[:255]
    expected = to_minor_units(checkout.amount, checkout.currency)
    if session.get("amount_total") not in (None, expected):
        logger.error(
            "Checkout %s: Stripe reports %s minor units paid, %s expected",
            checkout.pk,
            session.get("amount_total"),
            expected,
        )
    per_student: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for item in checkout.items.select_related("invoice"):
        per_student[item.invoice.student_id][item.invoice_id] = item.amount
    payments = []
    for student_id, limits in sorted(per_student.items()):
        result = ledger.record_payment(
            student_id=student_id,
            amount=sum(limits.values(), ZERO),
            method=PaymentMethod.CARD,
            key=f"stripe:{checkout.stripe_id}:{student_id}",
            reference=checkout.payment_intent or checkout.stripe_id,
            invoice_ids=list(limits),
            limits=limits,
            checkout=checkout,
        )
        if result.created:
            payments.append(result.payment)
    checkout.status = CheckoutStatus.PAID
    checkout.completed_at = checkout.completed_at or timezone.now()
    checkout.save(update_fields=["status", "completed_at", "payment_intent"])
    return f"recorded {len(payments)} payment(s)", payments
