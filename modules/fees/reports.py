"""The bursar's figures: the dashboard, the aging of what is owed, collections over a period and the day's
cash-up. Everything is summed by the database from the documents' running totals (Invoice.total,
amount_paid, amount_credited; Payment.amount; Refund.amount), a few queries per page whatever the size of
the school: never a query per student or per invoice.

Definitions used on every page:
- billed: what invoices ask for, net of credit notes (total - credited); cancelled invoices bill nothing.
- collected: payments received, less refunds paid back, in the period.
- outstanding: what is still owed on open invoices (total - paid - credited).
- days past due: today - due date. An invoice due today is not yet due (as `Invoice.is_overdue`); the
  buckets are 1-30, 31-60, 61-90 and over 90 days past due.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from modules.academics.models import AcademicYear, Term
from modules.academics.selectors import current_term, current_year
from modules.core.audit import audit_log
from modules.fees.models import (
    INVOICE_OWED,
    PAYMENT_UNUSED,
    ZERO,
    FeeStructure,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    Refund,
)
from modules.fees.money import quantize

MONEY_FIELD = DecimalField(max_digits=14, decimal_places=2)
NET_BILLED = F("total") - F("amount_credited")


def _sum(expression, condition: Q | None = None, **filters) -> Coalesce:
    """A money sum that is 0.00 (not None) when nothing matches."""
    if filters:
        condition = Q(**filters) if condition is None else condition & Q(**filters)
    return Coalesce(
        Sum(expression, filter=condition, output_field=MONEY_FIELD), Value(ZERO), output_field=MONEY_FIELD
    )


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date
    label: str = ""


# --- the dashboard --------------------------------------------------------------------------------


@dataclass
class Figures:
    billed: Decimal = ZERO
    collected: Decimal = ZERO
    outstanding: Decimal = ZERO

    @property
    def collected_percent(self) -> int | None:
        """How much of what was billed came in (rounded down), None when nothing was billed."""
        if self.billed <= 0:
            return None
        return int(min(self.collected, self.billed) * 100 / self.billed)


@dataclass
class MethodTotal:
    method: str
    label: str
    count: int = 0
    amount: Decimal = ZERO


@dataclass
class Dashboard:
    today: datetime.date
    year: AcademicYear | None
    term: Term | None
    term_period: Period | None
    has_structures: bool
    term_figures: Figures
    year_figures: Figures
    overdue_count: int
    overdue_amount: Decimal
    today_by_method: list[MethodTotal]
    credit_held: Decimal = ZERO
    latest_payments: list[Payment] = field(default_factory=list)

    @property
    def term_collections_url(self) -> str:
        if self.term_period is None:
            return reverse("fees:collections")
        return (
            reverse("fees:collections")
            + "?"
            + urlencode(
                {"start": self.term_period.start.isoformat(), "end": self.term_period.end.isoformat()}
            )
        )

    @property
    def today_total(self) -> Decimal:
        return sum((row.amount for row in self.today_by_method), ZERO)

    @property
    def today_count(self) -> int:
        return sum(row.count for row in self.today_by_method)


def by_method(rows: Iterable[dict]) -> list[MethodTotal]:
    """Every payment method in its usual order (zeros included), from values('method') rows."""
    found = {row["method"]: row for row in rows}
    return [
        MethodTotal(
            method=method,
            label=label,
            count=found.get(method, {}).get("count", 0),
            amount=found.get(method, {}).get("amount") or ZERO,
        )
        for method, label in PaymentMethod.choices
    ]


LATEST_PAYMENTS = 8


def dashboard(today: datetime.date | None = None) -> Dashboard:
    """The bursar's dashboard: about eight queries."""
    today = today or timezone.localdate()
    year = current_year()
    term = current_term(year, today)
    term_period = None
    if term is not None:
        term_period = Period(term.start_date, term.end_date, term.name)
    elif year is not None:
        term_period = Period(year.start_date, year.end_date, year.name)
    # Without an academic year (a new school) only the overdue figures exist; aggregate() takes only sums.
    invoice_sums: dict = {
        "overdue_amount": _sum(INVOICE_OWED, status=InvoiceStatus.OPEN, due_date__lt=today),
        "overdue_count": Count("pk", filter=Q(status=InvoiceStatus.OPEN, due_date__lt=today)),
    }
    # Credit: what families paid that no invoice has used yet (nor was refunded).
    payment_sums: dict = {"credit": _sum(PAYMENT_UNUSED)}
    refund_sums: dict = {}
    if year is not None and term_period is not None:
        term_range = (term_period.start, term_period.end)
        invoice_sums |= {
            "term_billed": _sum(NET_BILLED, due_date__range=term_range),
            "term_outstanding": _sum(INVOICE_OWED, due_date__range=term_range, status=InvoiceStatus.OPEN),
            "year_billed": _sum(NET_BILLED, year=year),
            "year_outstanding": _sum(INVOICE_OWED, year=year, status=InvoiceStatus.OPEN),
        }
        payment_sums |= {
            "term": _sum("amount", received_on__range=term_range),
            "year": _sum("amount", year=year),
        }
        refund_sums = {
            "term": _sum("amount", refunded_on__range=term_range),
            "year": _sum("amount", refunded_on__range=(year.start_date, year.end_date)),
        }
    invoice_figures = Invoice.objects.exclude(status=InvoiceStatus.CANCELLED).aggregate(**invoice_sums)
    paid = Payment.objects.aggregate(**payment_sums)
    refunded = Refund.objects.aggregate(**refund_sums) if refund_sums else {}
    today_rows = (
        Payment.objects.filter(received_on=today)
        .values("method")
        .annotate(count=Count("pk"), amount=_sum("amount"))
        .order_by()
    )
    latest = list(
        Payment.objects.select_related("student", "recorded_by").order_by("-created_at", "-pk")[
            :LATEST_PAYMENTS
        ]
    )
    return Dashboard(
        today=today,
        year=year,
        term=term,
        term_period=term_period,
        has_structures=FeeStructure.objects.exists(),
        term_figures=Figures(
            billed=invoice_figures.get("term_billed", ZERO),
            collected=paid.get("term", ZERO) - refunded.get("term", ZERO),
            outstanding=invoice_figures.get("term_outstanding", ZERO),
        ),
        year_figures=Figures(
            billed=invoice_figures.get("year_billed", ZERO),
            collected=paid.get("year", ZERO) - refunded.get("year", ZERO),
            outstanding=invoice_figures.get("year_outstanding", ZERO),
        ),
        overdue_count=invoice_figures["overdue_count"],
        credit_held=paid["credit"],
        overdue_amount=invoice_figures["overdue_amount"],
        today_by_method=by_method(today_rows),
        latest_payments=latest,
    )


# --- aging ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    # Days past due, inclusive; None = open-ended.
    low: int | None
    high: int | None

    def condition(self, today: datetime.date) -> Q:
        """Due dates in this bucket: days past due = today - due_date."""
        q = Q()
        if self.high is not None:
            q &= Q(due_date__gte=today - datetime.timedelta(days=self.high))
        if self.low is not None:
            q &= Q(due_date__lte=today - datetime.timedelta(days=self.low))
        return q


BUCKETS = [
    Bucket("current", gettext_lazy("Not yet due"), None, 0),
    Bucket("1-30", gettext_lazy("1–30 days"), 1, 30),
    Bucket("31-60", gettext_lazy("31–60 days"), 31, 60),
    Bucket("61-90", gettext_lazy("61–90 days"), 61, 90),
    Bucket("90+", gettext_lazy("Over 90 days"), 91, None),
]
BUCKET_KEYS = [bucket.key for bucket in BUCKETS]


def bucket_for(days_past_due: int) -> Bucket:
    for bucket in BUCKETS:
        if (bucket.low is None or days_past_due >= bucket.low) and (
            bucket.high is None or days_past_due <= bucket.high
        ):
            return bucket
    raise AssertionError(days_past_due)


@dataclass
class AgingRow:
    grade_id: int | None
    label: str
    amounts: list[Decimal]
    count: int

    @property
    def total(self) -> Decimal:
        return sum(self.amounts, ZERO)

    @property
    def cells(self) -> list[tuple[Bucket, Decimal]]:
        return list(zip(BUCKETS, self.amounts, strict=True))

    @property
    def grade_param(self) -> str:
        return str(self.grade_id) if self.grade_id else "none"


@dataclass
class Aging:
    today: datetime.date
    rows: list[AgingRow]
    total: AgingRow


NO_GRADE = pgettext_lazy("aging report", "No section")


def outstanding_invoices() -> QuerySet[Invoice]:
    return Invoice.objects.filter(
        status=InvoiceStatus.OPEN, total__gt=F("amount_paid") + F("amount_credited")
    )


def aging(today: datetime.date | None = None) -> Aging:
    """What is owed on open invoices by days past due, per grade level (the section billed): one query."""
    today = today or timezone.localdate()
    sums = {f"b{index}": _sum(INVOICE_OWED, bucket.condition(today)) for index, bucket in enumerate(BUCKETS)}
    found = (
        outstanding_invoices()
        .values("section__grade_level_id", "section__grade_level__name", "section__grade_level__order")
        .annotate(count=Count("pk"), **sums)
        .order_by("section__grade_level__order", "section__grade_level__name")
    )
    rows = [
        AgingRow(
            grade_id=row["section__grade_level_id"],
            label=row["section__grade_level__name"] or str(NO_GRADE),
            amounts=[row[f"b{index}"] for index in range(len(BUCKETS))],
            count=row["count"],
        )
        for row in found
    ]
    # Invoices without a section sort last.
    rows.sort(key=lambda row: row.grade_id is None)
    total = AgingRow(
        grade_id=None,
        label=_("Total"),
        amounts=[sum((row.amounts[index] for row in rows), ZERO) for index in range(len(BUCKETS))],
        count=sum(row.count for row in rows),
    )
    return Aging(today=today, rows=rows, total=total)


def aging_invoices(*, today: datetime.date, bucket: str = "", grade: str = "") -> QuerySet[Invoice]:
    """The open invoices behind the aging figures, narrowed to a bucket and a grade level ("none" = no
    section), oldest due first. `bucket` and `grade` are trusted to be valid (the form checked them)."""
    invoices = outstanding_invoices().select_related("student", "section__grade_level")
    if bucket:
        invoices = invoices.filter(BUCKETS[BUCKET_KEYS.index(bucket)].condition(today))
    if grade == "none":
        invoices = invoices.filter(section__isnull=True)
    elif grade:
        invoices = invoices.filter(section__grade_level_id=grade)
    return invoices.annotate(outstanding=INVOICE_OWED).order_by("due_date", "student__last_name", "number")


def aging_export_rows(invoices: Iterable[Invoice], today: datetime.date) -> tuple[list[str], list[list]]:
    headers = [
        _("Invoice"),
        _("Student"),
        _("Admission number"),
        _("Grade level"),
        _("Section"),
        _("Due date"),
        _("Days past due"),
        _("Bucket"),
        _("Total"),
        _("Outstanding"),
    ]
    rows = []
    for invoice in invoices:
        days = (today - invoice.due_date).days
        section = invoice.section
        rows.append(
            [
                invoice.number,
                invoice.student.full_name,
                invoice.student.admission_number,
                section.grade_level.name if section else "",
                section.name if section else "",
                invoice.due_date,
                max(days, 0),
                str(bucket_for(days).label),
                invoice.total,
                quantize(invoice.outstanding),
            ]
        )
    return headers, rows


# --- collections over a period --------------------------------------------------------------------


@dataclass
class DayTotal:
    day: datetime.date
    received: Decimal = ZERO
    refunded: Decimal = ZERO
    count: int = 0

    @property
    def net(self) -> Decimal:
        return self.received - self.refunded


@dataclass
class Collections:
    period: Period
    methods: list[MethodTotal]  # payments received
    refunds_by_method: list[MethodTotal]
    days: list[DayTotal]
    received: Decimal
    refunded: Decimal
    payment_count: int
    refund_count: int

    @property
    def net(self) -> Decimal:
        return self.received - self.refunded

    @property
    def method_rows(self) -> list[tuple[MethodTotal, MethodTotal]]:
        return list(zip(self.methods, self.refunds_by_method, strict=True))


def payments_between(start: datetime.date, end: datetime.date, method: str = "") -> QuerySet[Payment]:
    payments = Payment.objects.filter(received_on__range=(start, end))
    return payments.filter(method=method) if method else payments


def refunds_between(start: datetime.date, end: datetime.date, method: str = "") -> QuerySet[Refund]:
    refunds = Refund.objects.filter(refunded_on__range=(start, end))
    return refunds.filter(method=method) if method else refunds


def collections(period: Period, method: str = "") -> Collections:
    """Payments and refunds in a period, by method and by day: four queries."""
    payments = payments_between(period.start, period.end, method)
    refunds = refunds_between(period.start, period.end, method)
    methods = by_method(
        payments.values("method").annotate(count=Count("pk"), amount=_sum("amount")).order_by()
    )
    refund_methods = by_method(
        refunds.values("method").annotate(count=Count("pk"), amount=_sum("amount")).order_by()
    )
    days: dict[datetime.date, DayTotal] = {}
    for row in payments.values("received_on").annotate(count=Count("pk"), amount=_sum("amount")).order_by():
        days[row["received_on"]] = DayTotal(row["received_on"], received=row["amount"], count=row["count"])
    for row in refunds.values("refunded_on").annotate(amount=_sum("amount")).order_by():
        days.setdefault(row["refunded_on"], DayTotal(row["refunded_on"])).refunded = row["amount"]
    if method:
        shown = [(m, r) for m, r in zip(methods, refund_methods, strict=True) if m.method == method]
        methods, refund_methods = [m for m, _r in shown], [r for _m, r in shown]
    return Collections(
        period=period,
        methods=methods,
        refunds_by_method=refund_methods,
        days=[days[day] for day in sorted(days)],
        received=sum((row.amount for row in methods), ZERO),
        refunded=sum((row.amount for row in refund_methods), ZERO),
        payment_count=sum(row.count for row in methods),
        refund_count=sum(row.count for row in refund_methods),
    )


def collections_export_rows(
    payments: Iterable[Payment], refunds: Iterable[Refund]
) -> tuple[list[str], list[list]]:
    """Payments, then refunds as negative amounts (so the column sums to what was collected)."""
    headers = [
        _("Date"),
        pgettext_lazy("collections export", "Kind"),
        _("Number"),
        _("Student"),
        _("Admission number"),
        _("Method"),
        _("Reference"),
        _("Amount"),
        _("Recorded by"),
    ]
    headers = [str(header) for header in headers]
    rows: list[list] = []
    for payment in payments:
        rows.append(
            [
                payment.received_on,
                _("Payment"),
                payment.receipt_number,
                payment.student.full_name,
                payment.student.admission_number,
                payment.get_method_display(),
                payment.reference,
                payment.amount,
                _recorder(payment.recorded_by, payment.method),
            ]
        )
    for refund in refunds:
        rows.append(
            [
                refund.refunded_on,
                _("Refund"),
                refund.number,
                refund.payment.student.full_name,
                refund.payment.student.admission_number,
                refund.get_method_display(),
                refund.reference,
                -refund.amount,
                _recorder(refund.recorded_by, refund.method),
            ]
        )
    return headers, rows


def _recorder(user, method: str) -> str:
    if user is not None:
        return user.get_full_name() or user.email
    return _("Online (Stripe)") if method == PaymentMethod.CARD else _("Unknown")


# --- the day's cash-up -----------------------------------------------------------------------------------


@dataclass
class RecorderTotal:
    user_id: int | None
    name: str
    methods: list[MethodTotal]

    @property
    def amount(self) -> Decimal:
        return sum((row.amount for row in self.methods), ZERO)

    @property
    def count(self) -> int:
        return sum(row.count for row in self.methods)


@dataclass
class Cashup:
    day: datetime.date
    methods: list[MethodTotal]
    recorders: list[RecorderTotal]
    cash_refunded: Decimal
    refunded: Decimal

    @property
    def received(self) -> Decimal:
        return sum((row.amount for row in self.methods), ZERO)

    @property
    def count(self) -> int:
        return sum(row.count for row in self.methods)

    @property
    def cash_received(self) -> Decimal:
        return next(row.amount for row in self.methods if row.method == PaymentMethod.CASH)

    @property
    def cash_to_hand_over(self) -> Decimal:
        """Cash taken in, less cash paid back over the counter the same day."""
        return self.cash_received - self.cash_refunded


def cashup(day: datetime.date) -> Cashup:
    """One day's payments per method and per person who recorded them: three queries."""
    payments = Payment.objects.filter(received_on=day)
    methods = by_method(
        payments.values("method").annotate(count=Count("pk"), amount=_sum("amount")).order_by()
    )
    per_person: dict[int | None, list[dict]] = {}
    names: dict[int | None, str] = {}
    rows = (
        payments.values(
            "recorded_by_id",
            "recorded_by__first_name",
            "recorded_by__last_name",
            "recorded_by__email",
            "method",
        )
        .annotate(count=Count("pk"), amount=_sum("amount"))
        .order_by()
    )
    for row in rows:
        person = row["recorded_by_id"]
        per_person.setdefault(person, []).append(row)
        if person is None:
            names[person] = _("Online (Stripe) and unknown")
        else:
            full = f"{row['recorded_by__first_name']} {row['recorded_by__last_name']}".strip()
            names[person] = full or row["recorded_by__email"]
    recorders = sorted(
        (RecorderTotal(person, names[person], by_method(found)) for person, found in per_person.items()),
        key=lambda recorder: (recorder.user_id is None, recorder.name.lower()),
    )
    refunds = Refund.objects.filter(refunded_on=day).aggregate(
        cash=_sum("amount", method=PaymentMethod.CASH), total=_sum("amount")
    )
    return Cashup(
        day=day,
        methods=methods,
        recorders=recorders,
        cash_refunded=refunds["cash"],
        refunded=refunds["total"],
    )


def cashup_export_rows(day_payments: Iterable[Payment]) -> tuple[list[str], list[list]]:
    headers = [
        _("Receipt"),
        _("Time recorded"),
        _("Student"),
        _("Admission number"),
        _("Method"),
        _("Reference"),
        _("Paid by"),
        _("Amount"),
        _("Recorded by"),
    ]
    rows = [
        [
            payment.receipt_number,
            payment.created_at,
            payment.student.full_name,
            payment.student.admission_number,
            payment.get_method_display(),
            payment.reference,
            payment.payer_name,
            payment.amount,
            _recorder(payment.recorded_by, payment.method),
        ]
        for payment in day_payments
    ]
    return headers, rows


# --- exports --------------------------------------------------------------------------------------


def report_export_audit(*, by, report: str, file_format: str, rows: int, filters: dict) -> None:
    """Who took which figures (exports of student data are audited)."""
    audit_log(
        actor=by,
        action="fees.report_export",
        model=Invoice if report == "aging" else Payment,
        description=f"{report} ({file_format})",
        after={"report": report, "format": file_format, "rows": rows, "filters": filters},
    )
