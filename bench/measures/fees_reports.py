"""The bursar's dashboard, aging and collections on the large school (3,000 students).

The large demo carries fees once the demo seeds them (instalment 1 invoiced to every enrolled student,
most paid). On a database without invoices the setup writes a minimal set itself, once: instalment 1 of
a tuition structure per grade level, invoiced to every enrolled student of the current year with due
dates spread over the last four months (every aging bucket); three in five paid in full and one in five
in part, by every method over the last 30 days (numbered through the real sequences, running totals
consistent with the allocations).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from bench.registry import measure
from modules.accounts import demo

DASHBOARD_BUDGET_MS = 150
AGING_BUDGET_MS = 300
BENCH_TOTAL = Decimal("450.00")
METHODS = ("cash", "bank", "cheque", "card")


def ensure_fee_data() -> None:
    """Invoices and payments for the current year's enrolled students, when the school has none."""
    from modules.academics.models import Enrollment
    from modules.academics.selectors import current_year
    from modules.fees.ledger import next_numbers
    from modules.fees.models import (
        Allocation,
        DocumentKind,
        Invoice,
        InvoiceLine,
        InvoiceStatus,
        Payment,
    )

    year = current_year()
    enrollments = list(
        Enrollment.objects.filter(section__year=year, status="active")
        .values_list("student_id", "section_id", "section__grade_level_id")
        .order_by("student_id")
    )
    # The demo's fees (or an earlier run's) are there when most students were billed this year; a few
    # invoices written by other measures (a family's, a webhook's) do not count.
    if Invoice.objects.filter(year=year).count() >= len(enrollments) // 2:
        return
    instalments = _first_instalments(year)
    today = timezone.localdate()
    bursar = demo_user(demo.BURSAR_EMAIL)
    billed = set(Invoice.objects.filter(year=year).values_list("student_id", flat=True))
    enrollments = [row for row in enrollments if row[0] not in billed]
    with transaction.atomic():
        numbers = next_numbers(DocumentKind.INVOICE, year, len(enrollments))
        invoices = []
        for index, ((student_id, section_id, grade_id), number) in enumerate(
            zip(enrollments, numbers, strict=True)
        ):
            share = index % 5
            paid = BENCH_TOTAL if share < 3 else (Decimal("200.00") if share == 3 else Decimal("0.00"))
            invoices.append(
                Invoice(
                    number=number,
                    year=year,
                    student_id=student_id,
                    instalment=instalments[grade_id],
                    section_id=section_id,
                    issued_on=today - datetime.timedelta(days=130),
                    due_date=today - datetime.timedelta(days=(index * 7) % 120 - 10),
                    total=BENCH_TOTAL,
                    amount_paid=paid,
                    status=InvoiceStatus.PAID if paid == BENCH_TOTAL else InvoiceStatus.OPEN,
                    note="Bench fees",
                    created_by=bursar,
                )
            )
        Invoice.objects.bulk_create(invoices, batch_size=500)
        invoices = list(Invoice.objects.filter(year=year, note="Bench fees").order_by("student_id"))
        InvoiceLine.objects.bulk_create(
            [InvoiceLine(invoice=i, description="Tuition", amount=BENCH_TOTAL) for i in invoices],
            batch_size=500,
        )
        settled = [invoice for invoice in invoices if invoice.amount_paid > 0]
        receipts = next_numbers(DocumentKind.RECEIPT, year, len(settled))
        payments = [
            Payment(
                receipt_number=receipt,
                year=year,
                student_id=invoice.student_id,
                amount=invoice.amount_paid,
                amount_allocated=invoice.amount_paid,
                method=METHODS[index % len(METHODS)],
                received_on=today - datetime.timedelta(days=index % 30),
                idempotency_key=f"bench-fees-{invoice.pk}",
                recorded_by=None if METHODS[index % len(METHODS)] == "card" else bursar,
            )
            for index, (invoice, receipt) in enumerate(zip(settled, receipts, strict=True))
        ]
        Payment.objects.bulk_create(payments, batch_size=500)
        by_key = dict(
            Payment.objects.filter(idempotency_key__startswith="bench-fees-").values_list(
                "idempotency_key", "pk"
            )
        )
        Allocation.objects.bulk_create(
            [
                Allocation(
                    payment_id=by_key[f"bench-fees-{invoice.pk}"], invoice=invoice, amount=invoice.amount_paid
                )
                for invoice in settled
            ],
            batch_size=500,
        )


def _first_instalments(year) -> dict:
    """Instalment 1 of a tuition structure per grade level with sections this year (found or created)."""
    from modules.academics.models import GradeLevel
    from modules.fees.models import FeeItem, FeeStructure, Instalment, InstalmentCharge

    tuition, _created = FeeItem.objects.get_or_create(name="Tuition", defaults={"category": "tuition"})
    found = {}
    for grade in GradeLevel.objects.filter(sections__year=year).distinct():
        structure, _created = FeeStructure.objects.get_or_create(year=year, grade_level=grade)
        instalment, _created = Instalment.objects.get_or_create(
            structure=structure,
            number=1,
            defaults={
                "label": "Term 1",
                "starts_on": year.start_date,
                "due_date": year.start_date + datetime.timedelta(days=30),
                "ends_on": year.end_date,
            },
        )
        InstalmentCharge.objects.get_or_create(
            instalment=instalment, item=tuition, defaults={"amount": BENCH_TOTAL}
        )
        found[grade.pk] = instalment
    return found


def demo_user(email: str):
    from modules.accounts.models import User

    return User.objects.filter(email=email).first()


@measure("fees: bursar dashboard", budget_ms=DASHBOARD_BUDGET_MS, budget_queries=20)
def dashboard(bench):
    ensure_fee_data()
    client = bench.client_for(demo.BURSAR_EMAIL)
    url = reverse("fees:dashboard")
    return lambda: bench.get(client, url)


@measure("fees: bursar home (dashboard summary)", budget_ms=DASHBOARD_BUDGET_MS, budget_queries=25)
def bursar_home(bench):
    ensure_fee_data()
    client = bench.client_for(demo.BURSAR_EMAIL)
    return lambda: bench.get(client, "/")


@measure("fees: aging report, first page of invoices owing", budget_ms=AGING_BUDGET_MS, budget_queries=20)
def aging(bench):
    ensure_fee_data()
    client = bench.client_for(demo.BURSAR_EMAIL)
    url = reverse("fees:aging")
    return lambda: bench.get(client, url)


@measure("fees: collections report, last 30 days", budget_ms=AGING_BUDGET_MS, budget_queries=20)
def collections(bench):
    ensure_fee_data()
    client = bench.client_for(demo.BURSAR_EMAIL)
    today = timezone.localdate()
    start = today - datetime.timedelta(days=29)
    url = f"{reverse('fees:collections')}?start={start:%Y-%m-%d}&end={today:%Y-%m-%d}"
    return lambda: bench.get(client, url)
