"""Fees: what the school charges (items, structures per grade level and year, instalments), what each
student owes (invoices, credit notes), what came in (payments, their allocations to invoices, refunds) and
online payment through Stripe Checkout (sessions and the webhook events already processed).

Money is Decimal with two places in the school's currency (SchoolProfile.currency), never a float; Stripe
gets minor units. Documents (invoices, credit notes, receipts, refunds) are numbered per academic year
without gaps (DocumentSequence, locked while a number is taken). An issued invoice never changes: its lines
are written once; `amount_paid` and `amount_credited` are running totals kept by modules.fees.ledger under
a row lock, and the database refuses a total settled above what was invoiced.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from modules.accounts.models import Role
from modules.core.limits import NOTES_MAX_LENGTH, text_length_check

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
MONEY = {"max_digits": 12, "decimal_places": 2}
POLICY_CACHE_KEY = "fees:policy"
POLICY_CACHE_SECONDS = 60
# As query expressions: what is still owed on an invoice, and what of a payment is not used yet (credit).
INVOICE_OWED = F("total") - F("amount_paid") - F("amount_credited")
PAYMENT_UNUSED = F("amount") - F("amount_allocated") - F("amount_refunded")


def fee_staff(user) -> bool:
    """The bursar and the office manage fees."""
    return user.is_authenticated and bool({Role.BURSAR, Role.ADMINISTRATOR} & set(user.roles))


class LateEnrolment(models.TextChoices):
    FULL = "full", _("Charge the full instalment")
    PRORATED = "prorated", _("Charge the days left in the instalment (prorated)")


class PaymentReference(models.TextChoices):
    INVOICE = "invoice", _("The invoice number")
    ADMISSION = "admission", _("The student's admission number")


# Free-text columns of the payment instructions and their limits (the CHECK constraints hold them too).
PAYMENT_TEXT_LIMITS = {
    "payment_instructions": NOTES_MAX_LENGTH,
    "office_phone": 40,
    "office_hours": 200,
    "bank_account_name": 140,
    "bank_account_number": 42,
    "bank_code": 20,
}


class FeePolicy(models.Model):
    """The school's fee rules (one row), and how families pay other than online: the instructions, the fees
    office's phone and hours, the bank account and the reference to quote (shown on the family fees page,
    invoices and statements)."""

    late_enrolment = models.CharField(
        _("students who enrol after an instalment was billed"),
        max_length=10,
        choices=LateEnrolment.choices,
        default=LateEnrolment.FULL,
    )
    reminder_days_before = models.CharField(
        _("reminders before the due date (days)"),
        max_length=40,
        default="7,1",
        help_text=_("Comma-separated, e.g. 7,1. Leave empty for none."),
    )
    reminder_days_after = models.CharField(
        _("reminders after the due date (days)"),
        max_length=40,
        default="3,14",
        help_text=_("Comma-separated, e.g. 3,14. Leave empty for none."),
    )
    sibling_discount_percent = models.DecimalField(
        _("sibling discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=ZERO,
        validators=[MinValueValidator(0)],
        help_text=_("Taken off items marked for it, for each enrolled child after the eldest. 0 = none."),
    )
    students_see_balance = models.BooleanField(
        _("students see their own balance"),
        default=False,
        help_text=_("Students never see invoices or payments; with this on, their home shows what is owed."),
    )
    payment_instructions = models.TextField(
        _("how to pay"),
        max_length=PAYMENT_TEXT_LIMITS["payment_instructions"],
        blank=True,
        help_text=_("Shown on the family fees page, invoices and statements. Line breaks are kept."),
    )
    office_phone = models.CharField(
        _("fees office phone"),
        max_length=PAYMENT_TEXT_LIMITS["office_phone"],
        blank=True,
        help_text=_("Leave empty to show the school's phone number."),
    )
    office_hours = models.CharField(
        _("fees office hours"),
        max_length=PAYMENT_TEXT_LIMITS["office_hours"],
        blank=True,
        help_text=_("For example: Monday to Friday, 8:00 to 15:30."),
    )
    bank_account_name = models.CharField(
        _("account holder"), max_length=PAYMENT_TEXT_LIMITS["bank_account_name"], blank=True
    )
    bank_account_number = models.CharField(
        _("IBAN or account number"), max_length=PAYMENT_TEXT_LIMITS["bank_account_number"], blank=True
    )
    bank_code = models.CharField(
        _("sort code, BIC or routing number"), max_length=PAYMENT_TEXT_LIMITS["bank_code"], blank=True
    )
    payment_reference = models.CharField(
        _("reference families quote"),
        max_length=10,
        choices=PaymentReference.choices,
        default=PaymentReference.INVOICE,
        help_text=_("Shown with each invoice, so that the office knows what a transfer pays."),
    )

    class Meta:
        verbose_name = _("fee rules")
        verbose_name_plural = _("fee rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(sibling_discount_percent__gte=0, sibling_discount_percent__lte=100),
                name="fee_policy_sibling_percent_range",
            ),
            *(text_length_check(name, limit) for name, limit in PAYMENT_TEXT_LIMITS.items()),
        ]

    def __str__(self) -> str:
        return str(_("Fee rules"))

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        cache.delete(POLICY_CACHE_KEY)

    @classmethod
    def load(cls) -> FeePolicy:
        policy = cache.get(POLICY_CACHE_KEY)
        if policy is None:
            policy = cls.objects.order_by("pk").first() or cls.objects.create()
            cache.set(POLICY_CACHE_KEY, policy, POLICY_CACHE_SECONDS)
        return policy

    @staticmethod
    def _days(value: str) -> list[int]:
        return sorted(
            {int(part) for part in value.replace(" ", "").split(",") if part.isdigit()}, reverse=True
        )

    @property
    def days_before(self) -> list[int]:
        return self._days(self.reminder_days_before)

    @property
    def days_after(self) -> list[int]:
        return sorted(self._days(self.reminder_days_after))


class FeeCategory(models.TextChoices):
    TUITION = "tuition", _("Tuition")
    TRANSPORT = "transport", _("Transport")
    MEALS = "meals", _("Meals")
    LAB = "lab", _("Laboratory")
    ACTIVITIES = "activities", _("Activities")
    UNIFORM = "uniform", _("Uniform and books")
    OTHER = "other", _("Other")


class FeeItem(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    category = models.CharField(_("category"), max_length=20, choices=FeeCategory.choices)
    description = models.CharField(_("description"), max_length=200, blank=True)
    is_optional = models.BooleanField(
        _("optional"), default=False, help_text=_("Charged only to the students it is assigned to.")
    )
    sibling_discount = models.BooleanField(
        _("sibling discount applies"),
        default=False,
        help_text=_("The sibling discount rule reduces this item."),
    )
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("fee item")
        verbose_name_plural = _("fee items")

    def __str__(self) -> str:
        return self.name


class FeeStructure(models.Model):
    """What a grade level pays in an academic year, as a schedule of instalments."""

    year = models.ForeignKey(
        "academics.AcademicYear",
        on_delete=models.PROTECT,
        related_name="fee_structures",
        verbose_name=_("year"),
    )
    grade_level = models.ForeignKey(
        "academics.GradeLevel",
        on_delete=models.PROTECT,
        related_name="fee_structures",
        verbose_name=_("grade level"),
    )
    notes = models.CharField(_("notes"), max_length=200, blank=True)

    class Meta:
        ordering = ["-year__start_date", "grade_level__order"]
        verbose_name = _("fee structure")
        verbose_name_plural = _("fee structures")
        constraints = [
            models.UniqueConstraint(fields=["year", "grade_level"], name="fee_structure_one_per_grade_year")
        ]

    def __str__(self) -> str:
        return f"{self.grade_level} · {self.year}"


class Instalment(models.Model):
    """One due date of a structure; its charges say how much of each item falls due then. Instalments with
    the same number across grade levels are billed together ("instalment 1 for the whole school")."""

    structure = models.ForeignKey(
        FeeStructure, on_delete=models.CASCADE, related_name="instalments", verbose_name=_("fee structure")
    )
    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1)])
    label = models.CharField(_("label"), max_length=60, help_text=_("As printed on invoices, e.g. Term 1."))
    starts_on = models.DateField(
        _("covers from"), help_text=_("The first day the instalment pays for (used for prorating).")
    )
    due_date = models.DateField(_("due date"))
    ends_on = models.DateField(_("covers until"))

    class Meta:
        ordering = ["structure", "number"]
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        constraints = [
            models.UniqueConstraint(fields=["structure", "number"], name="instalment_unique_number"),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="instalment_period_order"),
        ]

    def __str__(self) -> str:
        return f"{self.label} · {self.structure}"


class InstalmentCharge(models.Model):
    instalment = models.ForeignKey(
        Instalment, on_delete=models.CASCADE, related_name="charges", verbose_name=_("instalment")
    )
    item = models.ForeignKey(
        FeeItem, on_delete=models.PROTECT, related_name="charges", verbose_name=_("fee item")
    )
    amount = models.DecimalField(_("amount"), **MONEY, validators=[MinValueValidator(CENT)])

    class Meta:
        ordering = ["item__name"]
        verbose_name = _("instalment charge")
        verbose_name_plural = _("instalment charges")
        constraints = [
            models.UniqueConstraint(fields=["instalment", "item"], name="instalment_charge_unique_item"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="instalment_charge_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.item}: {self.amount}"


class OptionalItemAssignment(models.Model):
    """An optional item (transport, meals, ...) a student takes in a year."""

    student = models.ForeignKey(
        "people.Student", on_delete=models.CASCADE, related_name="fee_items", verbose_name=_("student")
    )
    item = models.ForeignKey(
        FeeItem, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("fee item")
    )
    year = models.ForeignKey(
        "academics.AcademicYear", on_delete=models.CASCADE, related_name="+", verbose_name=_("year")
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("optional item assignment")
        verbose_name_plural = _("optional item assignments")
        constraints = [
            models.UniqueConstraint(fields=["student", "item", "year"], name="optional_item_once_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.student}: {self.item} ({self.year})"


class DiscountKind(models.TextChoices):
    PERCENT = "percent", _("Percentage")
    FIXED = "fixed", _("Fixed amount per instalment")


class Discount(models.Model):
    """A discount or waiver for one student in a year, on one item or on everything (a 100% discount is a
    full waiver). Applied when invoices are generated; recorded with its reason and who approved it."""

    student = models.ForeignKey(
        "people.Student", on_delete=models.CASCADE, related_name="discounts", verbose_name=_("student")
    )
    year = models.ForeignKey(
        "academics.AcademicYear", on_delete=models.CASCADE, related_name="+", verbose_name=_("year")
    )
    item = models.ForeignKey(
        FeeItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="discounts",
        verbose_name=_("fee item"),
        help_text=_("Leave empty for every item."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=DiscountKind.choices)
    value = models.DecimalField(_("value"), **MONEY, validators=[MinValueValidator(CENT)])
    reason = models.CharField(_("reason"), max_length=200)
    approved_by = models.CharField(_("approved by"), max_length=120)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    is_active = models.BooleanField(_("in force"), default=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("discount")
        verbose_name_plural = _("discounts and waivers")
        constraints = [
            models.CheckConstraint(condition=Q(value__gt=0), name="discount_positive"),
            models.CheckConstraint(
                condition=~Q(kind="percent") | Q(value__lte=100), name="discount_percent_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student}: {self.value} ({self.get_kind_display()})"


class DocumentKind(models.TextChoices):
    INVOICE = "INV", _("Invoice")
    CREDIT_NOTE = "CN", _("Credit note")
    RECEIPT = "RCT", _("Receipt")
    REFUND = "RF", _("Refund")


class DocumentSequence(models.Model):
    """The last number given per kind of document and academic year; locked while the next is taken, in the
    transaction that writes the document, so numbers have no gaps and no repeats."""

    kind = models.CharField(max_length=3, choices=DocumentKind.choices)
    year = models.ForeignKey("academics.AcademicYear", on_delete=models.PROTECT, related_name="+")
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "year"], name="document_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last}"


class InvoiceStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")  # fully credited


class InvoiceQuerySet(models.QuerySet):
    def visible_to(self, user) -> InvoiceQuerySet:
        """The bursar and the office all invoices; a guardian their children's. Nobody else."""
        if fee_staff(user):
            return self.all()
        if user.is_authenticated and Role.GUARDIAN in user.roles:
            return self.filter(student__guardian_links__guardian__user=user)
        return self.none()

    def open(self) -> InvoiceQuerySet:
        return self.filter(status=InvoiceStatus.OPEN)

    def overdue(self, today=None) -> InvoiceQuerySet:
        return self.open().filter(due_date__lt=today or timezone.localdate())


class Invoice(models.Model):
    number = models.CharField(_("number"), max_length=20, unique=True)
    year = models.ForeignKey(
        "academics.AcademicYear", on_delete=models.PROTECT, related_name="invoices", verbose_name=_("year")
    )
    student = models.ForeignKey(
        "people.Student", on_delete=models.PROTECT, related_name="invoices", verbose_name=_("student")
    )
    instalment = models.ForeignKey(
        Instalment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
        verbose_name=_("instalment"),
    )
    # The student's section when billed (for lists by grade and section without a join through enrollments).
    section = models.ForeignKey(
        "academics.Section",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("section"),
    )
    issued_on = models.DateField(_("issued on"), default=timezone.localdate)
    due_date = models.DateField(_("due date"))
    total = models.DecimalField(_("total"), **MONEY)
    amount_paid = models.DecimalField(_("paid"), **MONEY, default=ZERO)
    amount_credited = models.DecimalField(_("credited"), **MONEY, default=ZERO)
    status = models.CharField(
        _("status"), max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.OPEN
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set while the family is still to be told of this new invoice (modules/fees/notices.py); the fan-out
    # sweep finds one whose task was lost.
    notice_due_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_on", "-number"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            # One invoice per student per instalment: generating twice (or the enrolment hook racing the bulk
            # action) cannot bill a student twice.
            models.UniqueConstraint(
                fields=["student", "instalment"],
                condition=Q(instalment__isnull=False),
                name="invoice_once_per_instalment",
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="invoice_total_not_negative"),
            models.CheckConstraint(
                condition=Q(amount_paid__gte=0, amount_credited__gte=0), name="invoice_settled_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(total__gte=F("amount_paid") + F("amount_credited")),
                name="invoice_not_oversettled",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_date"]),
            models.Index(fields=["student", "status"]),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def balance(self) -> Decimal:
        return self.total - self.amount_paid - self.amount_credited

    @property
    def creditable(self) -> Decimal:
        """What a credit note may still take off: invoiced and not credited yet (paid or not)."""
        return self.total - self.amount_credited

    def is_overdue(self, today=None) -> bool:
        return self.status == InvoiceStatus.OPEN and self.due_date < (today or timezone.localdate())


class InvoiceLine(models.Model):
    """A charge (positive) or a discount (negative) on an invoice. Written once, with the invoice."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(FeeItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    description = models.CharField(_("description"), max_length=200)
    amount = models.DecimalField(_("amount"), **MONEY)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["invoice", "position", "pk"]
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")

    def __str__(self) -> str:
        return f"{self.description}: {self.amount}"


class CreditNote(models.Model):
    """A correction to an issued invoice: reduces what is owed on it."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="credit_notes", verbose_name=_("invoice")
    )
    amount = models.DecimalField(_("amount"), **MONEY, validators=[MinValueValidator(CENT)])
    reason = models.CharField(_("reason"), max_length=200)
    issued_on = models.DateField(_("issued on"), default=timezone.localdate)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="credit_note_positive")]

    def __str__(self) -> str:
        return self.number


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    BANK = "bank", _("Bank transfer")
    CHEQUE = "cheque", _("Cheque")
    CARD = "card", _("Card (online)")


class PaymentQuerySet(models.QuerySet):
    def with_credit(self) -> PaymentQuerySet:
        """Payments not wholly used by invoices or refunds: the students' credit."""
        return self.filter(amount__gt=F("amount_allocated") + F("amount_refunded"))

    def visible_to(self, user) -> PaymentQuerySet:
        if fee_staff(user):
            return self.all()
        if user.is_authenticated and Role.GUARDIAN in user.roles:
            return self.filter(student__guardian_links__guardian__user=user)
        return self.none()


class Payment(models.Model):
    """Money received for one student. Allocated to invoices; what is not allocated is the student's credit
    (used by the next invoice, or refunded)."""

    receipt_number = models.CharField(_("receipt number"), max_length=20, unique=True)
    year = models.ForeignKey(
        "academics.AcademicYear", on_delete=models.PROTECT, related_name="+", verbose_name=_("year")
    )
    student = models.ForeignKey(
        "people.Student", on_delete=models.PROTECT, related_name="payments", verbose_name=_("student")
    )
    amount = models.DecimalField(_("amount"), **MONEY, validators=[MinValueValidator(CENT)])
    method = models.CharField(_("method"), max_length=10, choices=PaymentMethod.choices)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    received_on = models.DateField(_("received on"), default=timezone.localdate)
    payer_name = models.CharField(_("paid by"), max_length=150, blank=True)
    amount_allocated = models.DecimalField(_("allocated"), **MONEY, default=ZERO)
    amount_refunded = models.DecimalField(_("refunded"), **MONEY, default=ZERO)
    # A form's one-time token (or the Stripe Checkout session and student): the same submission twice
    # records one payment.
    idempotency_key = models.CharField(max_length=120, unique=True)
    checkout = models.ForeignKey(
        "fees.CheckoutSession", on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        ordering = ["-received_on", "-created_at"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive"),
            models.CheckConstraint(
                condition=Q(amount_allocated__gte=0, amount_refunded__gte=0), name="payment_used_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=F("amount_allocated") + F("amount_refunded")),
                name="payment_not_overused",
            ),
        ]
        indexes = [models.Index(fields=["received_on", "method"])]

    def __str__(self) -> str:
        return self.receipt_number

    @property
    def unallocated(self) -> Decimal:
        return self.amount - self.amount_allocated - self.amount_refunded


class Allocation(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(_("amount"), **MONEY)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["payment", "invoice"], name="allocation_once_per_invoice"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.invoice_id}: {self.amount}"


class Refund(models.Model):
    """Money paid back from a payment's unallocated part (a student's credit)."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("payment")
    )
    amount = models.DecimalField(_("amount"), **MONEY, validators=[MinValueValidator(CENT)])
    method = models.CharField(_("method"), max_length=10, choices=PaymentMethod.choices)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    reason = models.CharField(_("reason"), max_length=200)
    refunded_on = models.DateField(_("refunded on"), default=timezone.localdate)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_positive")]

    def __str__(self) -> str:
        return self.number


class CheckoutStatus(models.TextChoices):
    OPEN = "open", _("Waiting for payment")
    PAID = "paid", _("Paid")
    EXPIRED = "expired", _("Expired")


class CheckoutSession(models.Model):
    """A Stripe Checkout a guardian started for one or more invoices. Amounts are fixed here, on the server,
    when the session is created; the webhook records the payments against them."""

    stripe_id = models.CharField(max_length=255, unique=True)
    guardian = models.ForeignKey("people.Guardian", on_delete=models.PROTECT, related_name="checkouts")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=CheckoutStatus.choices, default=CheckoutStatus.OPEN)
    url = models.URLField(max_length=2000, blank=True)
    payment_intent = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="checkout_positive")]

    def __str__(self) -> str:
        return self.stripe_id


class CheckoutItem(models.Model):
    checkout = models.ForeignKey(CheckoutSession, on_delete=models.CASCADE, related_name="items")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(**MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["checkout", "invoice"], name="checkout_item_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="checkout_item_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.checkout_id} · {self.invoice_id}: {self.amount}"


class StripeEvent(models.Model):
    """Each Stripe event id, stored in the transaction that acts on it: the unique id is what makes a
    replayed or concurrent delivery a no-op."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    outcome = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"


class ReminderStep(models.Model):
    """A reminder sent for an invoice at one step of the schedule (-7 = seven days before the due date,
    3 = three days after). The unique pair is what stops the same reminder going out twice."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="reminders")
    days = models.SmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["invoice", "days"], name="reminder_once_per_step")]

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.days:+d}"
