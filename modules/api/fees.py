"""Fees (scope `fees:read`): invoices and payments as the caller sees them on the pages (the bursar and the
office all, a guardian their children's). Amounts are decimal strings in the school's currency, never
floats."""

# No `from __future__ import annotations` here: django-ninja reads the endpoints' annotations as types.

import datetime
from decimal import Decimal
from typing import Literal

from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from modules.api.auth import TokenAuth
from modules.api.lists import PAGE, Day, Id, Pages, PathId, narrowed
from modules.api.scopes import FEES_READ
from modules.fees.models import Invoice, Payment

router = Router(auth=TokenAuth(FEES_READ), tags=["fees"])


class InvoiceOut(Schema):
    id: int
    number: str
    student_id: int
    year_id: int
    issued_on: datetime.date
    due_date: datetime.date
    total: Decimal
    amount_paid: Decimal
    amount_credited: Decimal
    balance: Decimal
    status: str
    note: str


class LineOut(Schema):
    description: str
    amount: Decimal


class InvoiceDetailOut(InvoiceOut):
    lines: list[LineOut]


class PaymentOut(Schema):
    id: int
    receipt_number: str
    student_id: int
    year_id: int
    amount: Decimal
    method: str
    reference: str
    received_on: datetime.date
    payer_name: str
    amount_allocated: Decimal
    amount_refunded: Decimal


class InvoiceFilter(Schema):
    student: Id | None = None
    year: Id | None = None
    status: Literal["open", "paid", "cancelled"] | None = None
    issued_from: Day | None = None


class PaymentFilter(Schema):
    student: Id | None = None
    year: Id | None = None
    received_from: Day | None = None


@router.get("/invoices", response=list[InvoiceOut], summary="Invoices")
@paginate(Pages, **PAGE)
def invoices(request, filters: Query[InvoiceFilter]):
    return narrowed(
        Invoice.objects.visible_to(request.auth.user).distinct(),
        student_id=filters.student,
        year_id=filters.year,
        status=filters.status,
        issued_on__gte=filters.issued_from,
    )


@router.get("/invoices/{invoice_id}", response=InvoiceDetailOut, summary="An invoice, with its lines")
def invoice(request, invoice_id: PathId):
    found = get_object_or_404(Invoice.objects.visible_to(request.auth.user).distinct(), pk=invoice_id)
    return {**InvoiceOut.from_orm(found).dict(), "lines": list(found.lines.all())}


@router.get("/payments", response=list[PaymentOut], summary="Payments")
@paginate(Pages, **PAGE)
def payments(request, filters: Query[PaymentFilter]):
    return narrowed(
        Payment.objects.visible_to(request.auth.user).distinct(),
        student_id=filters.student,
        year_id=filters.year,
        received_on__gte=filters.received_from,
    )
