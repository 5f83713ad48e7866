"""Generating one instalment's invoices for every enrolled student of the large school (3,000)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction

from bench.registry import measure
from modules.accounts import demo

BENCH_LABEL = "Bench instalment"


class _Rollback(Exception):
    pass


def _unbilled_instalment_number(year) -> int:
    """An instalment number of the current year's structures that has no invoices yet, creating fee
    structures (one per grade level with sections) or a further instalment when there is none.
    Idempotent: a second run finds what the first created."""
    from modules.academics.models import GradeLevel
    from modules.fees.models import FeeItem, FeeStructure, Instalment, InstalmentCharge, Invoice

    # Invoices without an instalment (written by other measures) have no number to skip.
    with_instalment = Invoice.objects.filter(year=year, instalment__isnull=False)
    billed = set(with_instalment.values_list("instalment__number", flat=True))
    numbers = set(Instalment.objects.filter(structure__year=year).values_list("number", flat=True))
    free = sorted(numbers - billed)
    if free:
        return free[0]
    tuition, _created = FeeItem.objects.get_or_create(
        name="Tuition", defaults={"category": "tuition", "sibling_discount": True}
    )
    number = max(numbers | billed | {0}) + 1
    for grade in GradeLevel.objects.filter(sections__year=year).distinct():
        structure, _created = FeeStructure.objects.get_or_create(year=year, grade_level=grade)
        instalment, _created = Instalment.objects.get_or_create(
            structure=structure,
            number=number,
            defaults={
                "label": f"{BENCH_LABEL} {number}",
                "starts_on": year.start_date,
                "due_date": year.start_date + datetime.timedelta(days=30),
                "ends_on": year.end_date,
            },
        )
        InstalmentCharge.objects.get_or_create(
            instalment=instalment, item=tuition, defaults={"amount": Decimal("450.00")}
        )
    return number


@measure(
    "fees: generate one instalment's invoices (3,000 students)",
    budget_ms=10_000,
    budget_queries=40,  # a fixed number whatever the school's size (29 on the large demo school)
    runs=3,
    warmup=0,
    note=(
        "3 timed runs, no warm-up: each bills an instalment nobody was billed for yet to every enrolled "
        "student (lines, discounts, sibling rule, numbers, audit), rolled back afterwards."
    ),
)
def generate_invoices(bench):
    from modules.academics.selectors import current_year
    from modules.fees.billing import generate_invoices as generate

    bursar = bench.user(demo.BURSAR_EMAIL)
    year = current_year()
    number = _unbilled_instalment_number(year)

    def run():
        try:
            with transaction.atomic():
                result = generate(year=year, number=number, by=bursar)
                if result.created < 1000:
                    raise RuntimeError(f"only {result.created} invoices generated ({result.skipped} skipped)")
                raise _Rollback
        except _Rollback:
            pass

    return run


@measure(
    "fees: generate preview (3,000 students)",
    budget_ms=1_000,
    budget_queries=40,
    note="The bursar's preview before confirming: students, amount, who is skipped (nothing written).",
)
def generate_preview(bench):
    from django.urls import reverse

    from bench.runner import BenchError
    from modules.academics.selectors import current_year

    client = bench.client_for(demo.BURSAR_EMAIL)
    year = current_year()
    data = {"year": year.pk, "number": _unbilled_instalment_number(year)}
    url = reverse("fees:generate")

    def run():
        response = client.post(url, data)
        if response.status_code != 200 or b"Students to bill" not in response.content:
            raise BenchError(f"POST {url} answered {response.status_code} without a preview")

    return run
