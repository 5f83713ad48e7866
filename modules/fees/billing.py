"""Billing: turning fee structures into invoices.

`generate_invoices` bills one instalment (by number: "instalment 1 for the whole school") to every actively
enrolled student of a year whose grade level's structure has it. `bill_enrolments` bills students who
enrol after an instalment was already generated for their year, in full or prorated (FeePolicy): fees
subscribes to academics' `enrollments_created` event for it (modules/fees/receivers.py).

How an invoice is built (`_lines`), in this order, each discount a negative line with its reason:
1. the instalment's charges (optional items only for students they are assigned to), prorated when asked;
2. the student's discounts on one item (percent of that item, or a fixed amount per instalment);
3. the sibling rule: FeePolicy.sibling_discount_percent off items marked for it, for every enrolled child
   after the eldest (by date of birth) among children who share a guardian;
4. the student's discounts on every item (percent of the charges, then fixed amounts).
Percentages are of the charge, not compounded. Every discount is capped at what is left, so an item never
goes below zero and neither does the invoice (a 100% discount is a waiver: the invoice is issued at zero,
already settled, so it documents the waiver and is never billed again).

Writes are bulk (invoices, lines, audit events) in one transaction that also takes the gapless numbers, so
the number of queries does not grow with the number of students.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.academics.models import AcademicYear, Enrollment, EnrollmentStatus
from modules.core.jobs import job_enqueue
from modules.core.models import AuditEvent, Job, JobStatus
from modules.core.numbers import number_text
from modules.fees import ledger
from modules.fees.events import invoices_issued
from modules.fees.models import (
    ZERO,
    Discount,
    DiscountKind,
    DocumentKind,
    FeePolicy,
    Instalment,
    InstalmentCharge,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LateEnrolment,
    OptionalItemAssignment,
    Payment,
)
from modules.fees.money import quantize
from modules.people.models import GuardianLink

HUNDRED = Decimal(100)
# A student billed late for an instalment whose due date has passed gets this many days to pay.
LATE_BILL_DAYS_TO_PAY = 14


@dataclass(frozen=True)
class GenerationResult:
    created: int
    skipped: int
    amount: Decimal


@dataclass
class Draft:
    """An invoice about to be written."""

    student_id: int
    section_id: int
    instalment: Instalment
    lines: list[tuple[int | None, str, Decimal]] = field(default_factory=list)  # (item id, text, amount)
    due_date: datetime.date | None = None

    @property
    def total(self) -> Decimal:
        return sum((amount for _item, _text, amount in self.lines), ZERO)


@dataclass(frozen=True)
class Plan:
    """What generating would do: the invoices to write and how many students are already billed."""

    drafts: list[Draft]
    skipped: int

    @property
    def amount(self) -> Decimal:
        return sum((draft.total for draft in self.drafts), ZERO)

    def by_grade(self) -> list[tuple[str, int, Decimal]]:
        """(grade level, invoices, amount) in grade order, for the preview."""
        rows: dict[str, list] = {}
        for draft in self.drafts:
            row = rows.setdefault(str(draft.instalment.structure.grade_level), [0, ZERO])
            row[0] += 1
            row[1] += draft.total
        return [(grade, count, amount) for grade, (count, amount) in rows.items()]


@dataclass(frozen=True)
class _Student:
    student_id: int
    section_id: int
    grade_level_id: int
    enrolled_on: datetime.date


def _instalments(year: AcademicYear, number: int, grade_level_ids: Iterable[int] | None) -> dict:
    """{grade level id: Instalment with its charges} for instalment `number` of the year's structures."""
    instalments = Instalment.objects.filter(structure__year=year, number=number).select_related(
        "structure__grade_level"
    )
    if grade_level_ids is not None:
        instalments = instalments.filter(structure__grade_level_id__in=list(grade_level_ids))
    instalments = instalments.prefetch_related(
        Prefetch("charges", queryset=InstalmentCharge.objects.select_related("item").order_by("item__name"))
    )
    return {instalment.structure.grade_level_id: instalment for instalment in instalments}


def _enrolled(year: AcademicYear, student_ids: Iterable[int] | None = None) -> list[_Student]:
    """Active enrolments of the year, in class-list order (so invoice numbers follow the class lists)."""
    rows = Enrollment.objects.filter(year=year, status=EnrollmentStatus.ACTIVE, student__is_active=True)
    if student_ids is not None:
        rows = rows.filter(student_id__in=list(student_ids))
    rows = rows.order_by(
        "section__grade_level__order", "section__name", "student__last_name", "student__first_name", "pk"
    ).values_list("student_id", "section_id", "section__grade_level_id", "enrolled_on")
    return [_Student(*row) for row in rows]


def later_siblings(year: AcademicYear) -> set[int]:
    """Students the sibling rule applies to: every actively enrolled child of the year after the eldest
    (date of birth, then admission order) among children linked through shared guardians."""
    links = GuardianLink.objects.filter(
        student__enrollments__year=year,
        student__enrollments__status=EnrollmentStatus.ACTIVE,
        student__is_active=True,
    ).values_list("student_id", "guardian_id", "student__date_of_birth")
    parent: dict[int, int] = {}

    def root(node: int) -> int:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    born: dict[int, datetime.date] = {}
    for student_id, guardian_id, date_of_birth in links:
        born[student_id] = date_of_birth
        # Students and guardians share one union-find: guardian ids are negated to keep them apart.
        parent[root(student_id)] = root(-guardian_id)
    families: dict[int, list[int]] = defaultdict(list)
    for student_id in born:
        families[root(student_id)].append(student_id)
    later: set[int] = set()
    for children in families.values():
        children.sort(key=lambda pk: (born[pk], pk))
        later.update(children[1:])
    return later


def _discounts(year: AcademicYear) -> dict[int, list[Discount]]:
    found: dict[int, list[Discount]] = defaultdict(list)
    for discount in (
        Discount.objects.filter(year=year, is_active=True).select_related("item").order_by("created_at", "pk")
    ):
        found[discount.student_id].append(discount)
    return found


def _discount_text(discount: Discount, item_name: str | None) -> str:
    if discount.kind == DiscountKind.PERCENT and discount.value >= HUNDRED:
        if item_name:
            return _("Waiver of %(item)s: %(reason)s") % {"item": item_name, "reason": discount.reason}
        return _("Waiver: %(reason)s") % {"reason": discount.reason}
    if discount.kind == DiscountKind.PERCENT:
        percent = number_text(discount.value)
        if item_name:
            return _("Discount %(percent)s%% on %(item)s: %(reason)s") % {
                "percent": percent,
                "item": item_name,
                "reason": discount.reason,
            }
        return _("Discount %(percent)s%%: %(reason)s") % {"percent": percent, "reason": discount.reason}
    if item_name:
        return _("Discount on %(item)s: %(reason)s") % {"item": item_name, "reason": discount.reason}
    return _("Discount: %(reason)s") % {"reason": discount.reason}


def proration(instalment: Instalment, enrolled_on: datetime.date) -> tuple[int, int]:
    """(days left, days covered) of the instalment for a student enrolled on `enrolled_on`."""
    covered = (instalment.ends_on - instalment.starts_on).days + 1
    left = (instalment.ends_on - max(enrolled_on, instalment.starts_on)).days + 1
    return max(0, min(left, covered)), covered


class _Discounting:
    """Discount lines taken off an instalment's charges: never more than what is left of the item's charge,
    nor of the whole."""

    def __init__(self, lines: list[tuple[int | None, str, Decimal]], charged: dict[int, Decimal]):
        self.lines = lines
        self.left = dict(charged)  # item id -> what discounts may still take off it
        self.total_left = sum(charged.values(), ZERO)

    def take(self, item_id: int | None, text: str, wanted: Decimal) -> None:
        cap = self.total_left if item_id is None else min(self.left[item_id], self.total_left)
        amount = min(quantize(wanted), cap)
        if amount <= 0:
            return
        if item_id is not None:
            self.left[item_id] -= amount
        self.total_left -= amount
        self.lines.append((item_id, text, -amount))


def _lines(
    instalment: Instalment,
    *,
    student_id: int,
    optional: set[tuple[int, int]],
    discounts: list[Discount],
    sibling_percent: Decimal,
    days: tuple[int, int] | None = None,
) -> list[tuple[int | None, str, Decimal]]:
    factor = Decimal(days[0]) / Decimal(days[1]) if days else Decimal(1)
    lines: list[tuple[int | None, str, Decimal]] = []
    charged: dict[int, Decimal] = {}  # item id -> charge
    names: dict[int, str] = {}
    charges = instalment.charges.all()
    for charge in charges:
        item = charge.item
        if item.is_optional and (student_id, item.pk) not in optional:
            continue
        amount = quantize(charge.amount * factor)
        if amount <= 0:
            continue
        if days:
            text = _("%(item)s — %(instalment)s (prorated: %(days)s of %(covered)s days)") % {
                "item": item.name,
                "instalment": instalment.label,
                "days": days[0],
                "covered": days[1],
            }
        else:
            text = f"{item.name} — {instalment.label}"
        lines.append((item.pk, text, amount))
        charged[item.pk] = amount
        names[item.pk] = item.name
    if not lines:
        return lines

    take = _Discounting(lines, charged).take
    for discount in discounts:
        if discount.item_id is None or discount.item_id not in charged:
            continue
        wanted = (
            charged[discount.item_id] * discount.value / HUNDRED
            if discount.kind == DiscountKind.PERCENT
            else discount.value * factor
        )
        take(discount.item_id, _discount_text(discount, names[discount.item_id]), wanted)
    if sibling_percent > 0:
        for charge in charges:
            if charge.item.sibling_discount and charge.item_id in charged:
                text = _("Sibling discount %(percent)s%% on %(item)s") % {
                    "percent": number_text(sibling_percent),
                    "item": names[charge.item_id],
                }
                take(charge.item_id, text, charged[charge.item_id] * sibling_percent / HUNDRED)
    gross = sum(charged.values(), ZERO)
    for kind in (DiscountKind.PERCENT, DiscountKind.FIXED):
        for discount in discounts:
            if discount.item_id is None and discount.kind == kind:
                wanted = (
                    gross * discount.value / HUNDRED
                    if kind == DiscountKind.PERCENT
                    else discount.value * factor
                )
                take(None, _discount_text(discount, None), wanted)
    return lines


def plan_invoices(
    *,
    year: AcademicYear,
    number: int,
    grade_level_ids: Iterable[int] | None = None,
    student_ids: Iterable[int] | None = None,
    prorate: bool = False,
) -> Plan:
    """The invoices generating instalment `number` would write (nothing is written): for a preview, and
    the first step of generating. A fixed number of queries whatever the number of students."""
    instalments = _instalments(year, number, grade_level_ids)
    if not instalments:
        return Plan([], 0)
    students = [s for s in _enrolled(year, student_ids) if s.grade_level_id in instalments]
    billed = set(
        Invoice.objects.filter(instalment__in=[i.pk for i in instalments.values()]).values_list(
            "student_id", flat=True
        )
    )
    optional = set(OptionalItemAssignment.objects.filter(year=year).values_list("student_id", "item_id"))
    discounts = _discounts(year)
    policy = FeePolicy.load()
    sibling_items = any(
        charge.item.sibling_discount
        for instalment in instalments.values()
        for charge in instalment.charges.all()
    )
    siblings = later_siblings(year) if policy.sibling_discount_percent > 0 and sibling_items else set()
    drafts, skipped = [], 0
    for student in students:
        if student.student_id in billed:
            skipped += 1
            continue
        instalment = instalments[student.grade_level_id]
        days = None
        if prorate and student.enrolled_on > instalment.starts_on:
            days = proration(instalment, student.enrolled_on)
        lines = _lines(
            instalment,
            student_id=student.student_id,
            optional=optional,
            discounts=discounts.get(student.student_id, []),
            sibling_percent=policy.sibling_discount_percent if student.student_id in siblings else ZERO,
            days=days,
        )
        if lines:
            drafts.append(Draft(student.student_id, student.section_id, instalment, lines))
    return Plan(drafts, skipped)


def _write(
    year: AcademicYear, drafts: list[Draft], *, by, issued_on: datetime.date, notify: bool = True
) -> list[Invoice]:
    """Number and write the drafts with their lines and audit events. Inside the caller's transaction.
    Once it commits, the new invoices are announced (`invoices_issued`, unless `notify` is False) and the
    families are told about them on the queue."""
    numbers = ledger.next_numbers(DocumentKind.INVOICE, year, len(drafts))
    actor = by if by is not None and by.is_authenticated else None
    now = timezone.now()
    invoices = [
        Invoice(
            number=number,
            year=year,
            student_id=draft.student_id,
            instalment_id=draft.instalment.pk,
            section_id=draft.section_id,
            issued_on=issued_on,
            due_date=draft.due_date or draft.instalment.due_date,
            total=draft.total,
            # A fully waived invoice owes nothing: settled from the start.
            status=InvoiceStatus.OPEN if draft.total > 0 else InvoiceStatus.PAID,
            created_by=actor,
            notice_due_at=now if notify and draft.total > 0 else None,
        )
        for number, draft in zip(numbers, drafts, strict=True)
    ]
    Invoice.objects.bulk_create(invoices)
    if any(invoice.pk is None for invoice in invoices):  # a backend that does not return ids
        ids = dict(Invoice.objects.filter(number__in=numbers).values_list("number", "pk"))
        for invoice in invoices:
            invoice.pk = ids[invoice.number]
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice_id=invoice.pk, item_id=item_id, description=text[:200], amount=amount, position=position
        )
        for invoice, draft in zip(invoices, drafts, strict=True)
        for position, (item_id, text, amount) in enumerate(draft.lines)
    )
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor=actor,
            action="fees.invoice",
            object_type=Invoice._meta.label_lower,
            object_id=str(invoice.pk),
            object_repr=invoice.number,
            after={
                "student": invoice.student_id,
                "instalment": draft.instalment.number,
                "due_date": invoice.due_date.isoformat(),
                "total": str(invoice.total),
                "lines": [[text, str(amount)] for _item, text, amount in draft.lines],
            },
        )
        for invoice, draft in zip(invoices, drafts, strict=True)
    )
    with_credit = set(
        Payment.objects.with_credit()
        .filter(student_id__in=[invoice.student_id for invoice in invoices])
        .values_list("student_id", flat=True)
    )
    if with_credit:
        ledger.apply_credit(with_credit, by=by)
    owed_notice = [invoice.pk for invoice in invoices if invoice.notice_due_at is not None]
    if owed_notice:
        invoices_issued.send_on_commit(invoice_ids=owed_notice, by=actor)
    return invoices


def generate_invoices(
    *,
    year: AcademicYear,
    number: int,
    by,
    grade_level_ids: Iterable[int] | None = None,
    issued_on: datetime.date | None = None,
    notify: bool = True,
) -> GenerationResult:
    """Bill instalment `number` to every actively enrolled student of `year` not yet billed for it. Safe to
    run twice (and concurrently): the invoice number sequence is locked first, so a second run sees what
    the first wrote and skips those students; the database refuses a second invoice for the same
    instalment anyway."""
    try:
        with transaction.atomic():
            ledger.next_numbers(DocumentKind.INVOICE, year, 0)  # lock the sequence before reading
            plan = plan_invoices(year=year, number=number, grade_level_ids=grade_level_ids)
            if plan.drafts:
                _write(year, plan.drafts, by=by, issued_on=issued_on or timezone.localdate(), notify=notify)
    except IntegrityError as error:
        raise ledger.LedgerError(
            _("Some of these invoices were generated by someone else at the same moment. Try again.")
        ) from error
    return GenerationResult(created=len(plan.drafts), skipped=plan.skipped, amount=plan.amount)


def bill_late_enrolments(*, year_id: int, student_ids: Iterable[int], by=None) -> list[Invoice]:
    """Bill students enrolled after some instalments of their year were generated (invoices exist for
    that instalment number in that year): in full, or prorated by the days left between the enrolment
    date and the instalment's end (FeePolicy). Students already billed for an instalment are skipped, so
    billing the same students twice (or concurrently: the number sequence is locked before reading, and
    the database refuses a second invoice per student and instalment) writes nothing the second time."""
    ids = list(student_ids)
    if not ids:
        return []
    billed_numbers = set(
        Invoice.objects.filter(year_id=year_id, instalment__isnull=False)
        .values_list("instalment__number", flat=True)
        .distinct()
    )
    if not billed_numbers:
        return []
    year = AcademicYear.objects.get(pk=year_id)
    prorate = FeePolicy.load().late_enrolment == LateEnrolment.PRORATED
    today = timezone.localdate()
    written: list[Invoice] = []
    with transaction.atomic():
        ledger.next_numbers(DocumentKind.INVOICE, year, 0)  # lock the sequence before reading
        for number in sorted(billed_numbers):
            plan = plan_invoices(year=year, number=number, student_ids=ids, prorate=prorate)
            for draft in plan.drafts:
                if draft.instalment.due_date < today:
                    draft.due_date = today + datetime.timedelta(days=LATE_BILL_DAYS_TO_PAY)
            if plan.drafts:
                written += _write(year, plan.drafts, by=by, issued_on=today)
    return written


def bill_enrolments(*, enrollment_ids: Iterable[int], by=None) -> list[Invoice]:
    """`bill_late_enrolments` for these enrolments, year by year; ones no longer active (withdrawn before
    the bill was written) are not billed. Fees calls it when academics announces new enrolments
    (modules/fees/receivers.py), after they are committed."""
    students: dict[int, list[int]] = defaultdict(list)
    rows = Enrollment.objects.filter(pk__in=list(enrollment_ids), status=EnrollmentStatus.ACTIVE)
    for year_id, student_id in rows.values_list("year_id", "student_id").order_by("year_id", "pk"):
        students[year_id].append(student_id)
    written: list[Invoice] = []
    for year_id, student_ids in students.items():
        written += bill_late_enrolments(year_id=year_id, student_ids=student_ids, by=by)
    return written


# --- generating on the queue -------------------------------------------------------------------------

JOB_KIND = "fees.generate"
# Above this many students the bulk action runs on the queue with a progress page; below, in the request.
QUEUE_ABOVE = 200


def generation_start(*, year: AcademicYear, number: int, grade_level_ids: list[int] | None, by) -> Job:
    """A job that generates instalment `number` on the queue (enqueued when the transaction commits)."""
    job = Job.objects.create(
        kind=JOB_KIND,
        owner=by,
        payload={"year": year.pk, "number": number, "grade_levels": grade_level_ids},
        result={
            "title": _("Invoices for instalment %(number)s · %(year)s") % {"number": number, "year": year}
        },
    )
    # Queued after commit, with a lease: a run whose worker is killed is started again (modules/core/jobs.py).
    return job_enqueue(job=job)


def generation_run(*, job: Job) -> Job:
    """Run a generation job. Safe to run twice: the second run finds everyone billed."""
    job.set_progress(0, 1)
    year = AcademicYear.objects.get(pk=job.payload["year"])
    result = generate_invoices(
        year=year, number=job.payload["number"], by=job.owner, grade_level_ids=job.payload.get("grade_levels")
    )
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.SUCCEEDED,
        done=1,
        total=1,
        message=generation_message(result),
        result={
            **job.result,
            "created": result.created,
            "skipped": result.skipped,
            "amount": str(result.amount),
        },
        finished_at=timezone.now(),
    )
    job.refresh_from_db()
    return job


def generation_fail(*, job: Job, error: Exception) -> None:
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED,
        message=_("The invoices could not be generated: %(error)s") % {"error": error},
        finished_at=timezone.now(),
    )


def generation_message(result: GenerationResult) -> str:
    from modules.fees.money import format_money

    return _("%(created)s invoices generated for %(amount)s; %(skipped)s students were already billed.") % {
        "created": result.created,
        "amount": format_money(result.amount),
        "skipped": result.skipped,
    }
