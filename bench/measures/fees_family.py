"""Fees for families on the large school: the guardian's fees page, and one Stripe webhook.

Until the demo seeds fees, `bench_family_fees` gives the demo parent's children invoices (two each, one of
them partly paid) if they have none: idempotent, by invoice number and payment key. The webhook measure
uses its own bench family (a guardian without a login and one child with an open invoice) and a checkout
created once; every run posts a new signed checkout.session.completed event for it inside a transaction
that is rolled back, so each run records the payment afresh (signature check, event row, lock, ledger,
receipt notification rendered and stored) and the guardian's email, queued on commit, is never sent.
"""

from __future__ import annotations

import datetime
import itertools
import json
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from bench.registry import measure
from modules.accounts import demo

WEBHOOK_STUDENT = "BENCH-WEBHOOK-1"
WEBHOOK_SECRET = "whsec_bench_only"
URL = "/fees/stripe/webhook/"


class _Rollback(Exception):
    pass


def bench_family_fees() -> None:
    """The demo parent's children each have invoices (created here only when they have none)."""
    from django.utils import timezone

    from modules.academics.selectors import current_year
    from modules.fees import ledger
    from modules.fees.models import Invoice, InvoiceLine
    from modules.people.models import Student

    year = current_year()
    children = list(Student.objects.filter(guardian_links__guardian__user__email=demo.PARENT_EMAIL))
    today = timezone.localdate()
    for child in children:
        if Invoice.objects.filter(student=child).exists():
            continue
        for n, (days, total) in enumerate([(-20, "450.00"), (40, "450.00")], start=1):
            invoice = Invoice.objects.create(
                number=f"BENCH-FAM-{child.pk}-{n}",
                year=year,
                student=child,
                due_date=today + datetime.timedelta(days=days),
                total=Decimal(total),
            )
            InvoiceLine.objects.create(invoice=invoice, description="Tuition", amount=invoice.total)
        ledger.record_payment(
            student_id=child.pk, amount=Decimal("300.00"), method="cash", key=f"bench-family-{child.pk}"
        )


@measure("fees: guardian fees page (family)", budget_ms=40, budget_queries=10)
def family_page(bench):
    bench_family_fees()
    client = bench.client_for(demo.PARENT_EMAIL)
    return lambda: bench.get(client, "/fees/family/")


def bench_checkout():
    """A bench family with one open invoice, and an open checkout for it (created once)."""
    from modules.academics.selectors import current_year
    from modules.fees.models import CheckoutItem, CheckoutSession, Invoice, InvoiceLine
    from modules.fees.money import school_currency
    from modules.people.models import Guardian, GuardianLink, Student

    student = Student.objects.filter(admission_number=WEBHOOK_STUDENT).first()
    if student is None:
        student = Student.objects.create(
            first_name="Wendy",
            last_name="Webhook",
            admission_number=WEBHOOK_STUDENT,
            date_of_birth=datetime.date(2013, 5, 1),
        )
        guardian = Guardian.objects.create(first_name="Walt", last_name="Webhook", email="walt@bench.test")
        GuardianLink.objects.create(student=student, guardian=guardian, is_primary=True)
    guardian = student.guardian_links.first().guardian
    checkout = CheckoutSession.objects.filter(stripe_id="cs_bench_webhook").first()
    if checkout is None:
        year = current_year()
        invoice = Invoice.objects.create(
            number="BENCH-WH-1",
            year=year,
            student=student,
            due_date=year.start_date + datetime.timedelta(days=30),
            total=Decimal("450.00"),
        )
        InvoiceLine.objects.create(invoice=invoice, description="Tuition", amount=invoice.total)
        checkout = CheckoutSession.objects.create(
            stripe_id="cs_bench_webhook",
            guardian=guardian,
            amount=invoice.total,
            currency=school_currency(),
        )
        CheckoutItem.objects.create(checkout=checkout, invoice=invoice, amount=invoice.total)
    return checkout


@measure(
    "fees: one Stripe webhook (checkout.session.completed)",
    budget_ms=50,
    note="A new signed event each run for the bench checkout, recorded and rolled back (see the module).",
)
def webhook(bench):
    import stripe
    from django.test import Client

    from bench.runner import BenchError
    from modules.fees.money import to_minor_units

    if not settings.STRIPE_WEBHOOK_SECRET:
        settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    checkout = bench_checkout()
    client = Client()
    numbers = itertools.count(1)
    session = {
        "id": checkout.stripe_id,
        "object": "checkout.session",
        "status": "complete",
        "payment_status": "paid",
        "payment_intent": "pi_bench",
        "amount_total": to_minor_units(checkout.amount, checkout.currency),
        "metadata": {"checkout_id": str(checkout.pk)},
    }

    def run():
        body = json.dumps(
            {
                "id": f"evt_bench_{next(numbers)}",
                "type": "checkout.session.completed",
                "data": {"object": session},
            }
        )
        header = stripe.WebhookSignature.generate_signature_header(body, settings.STRIPE_WEBHOOK_SECRET)
        try:
            with transaction.atomic():
                response = client.post(
                    URL, body, content_type="application/json", headers={"Stripe-Signature": header}
                )
                if response.status_code != 200 or b"recorded 1 payment" not in response.content:
                    raise BenchError(
                        f"POST {URL} answered {response.status_code}: {response.content[:200]!r}"
                    )
                raise _Rollback
        except _Rollback:
            pass

    return run
