"""A student's statement: every invoice, credit note, payment and refund in date order with a running
balance (what the family owes; negative = the school holds their credit).

Invoices are debits. Credit notes and payments are credits. A refund is a debit: it pays the family's
credit back, so after a refund of an overpayment the balance returns to zero. The closing balance equals
`ledger.balances()`' `due` (open invoices' outstanding less unused credit). Five queries.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from modules.accounts.models import Role
from modules.core.models import SchoolProfile
from modules.fees import ledger
from modules.fees.models import ZERO, CreditNote, Invoice, Payment, Refund, fee_staff
from modules.people.models import Student

# Order of entries on the same day: what was billed first, then what reduced it.
INVOICE, CREDIT_NOTE, PAYMENT, REFUND = range(4)


@dataclass
class Entry:
    date: datetime.date
    order: int
    created_at: datetime.datetime
    number: str
    description: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    balance: Decimal = ZERO

    @property
    def kind(self) -> str:
        return {
            INVOICE: _("Invoice"),
            CREDIT_NOTE: _("Credit note"),
            PAYMENT: _("Payment"),
            REFUND: _("Refund"),
        }[self.order]


@dataclass
class Statement:
    school: SchoolProfile
    student: Student
    entries: list[Entry]
    balance: ledger.Balance
    generated_at: datetime.datetime

    @property
    def total_debit(self) -> Decimal:
        return sum((entry.debit for entry in self.entries), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((entry.credit for entry in self.entries), ZERO)

    @property
    def closing_balance(self) -> Decimal:
        return self.entries[-1].balance if self.entries else ZERO


def student_for_statement(user, pk: int) -> Student:
    """The bursar and the office see every student's statement; a guardian their own children's. Anyone
    else (and anything out of scope) gets a 404."""
    if fee_staff(user):
        students = Student.objects.all()
    elif user.is_authenticated and Role.GUARDIAN in user.roles:
        students = Student.objects.filter(guardian_links__guardian__user=user)
    else:
        raise Http404
    student = students.filter(pk=pk).first()
    if student is None:
        raise Http404
    return student


def statement(student: Student) -> Statement:
    entries: list[Entry] = []
    for invoice in Invoice.objects.filter(student=student).select_related("instalment"):
        label = invoice.instalment.label if invoice.instalment_id else invoice.note
        due = date_format(invoice.due_date, "SHORT_DATE_FORMAT")
        entries.append(
            Entry(
                date=invoice.issued_on,
                order=INVOICE,
                created_at=invoice.created_at,
                number=invoice.number,
                description=(
                    _("%(label)s, due %(date)s") % {"label": label, "date": due}
                    if label
                    else _("Due %(date)s") % {"date": due}
                ),
                debit=invoice.total,
            )
        )
    for note in CreditNote.objects.filter(invoice__student=student).select_related("invoice"):
        entries.append(
            Entry(
                date=note.issued_on,
                order=CREDIT_NOTE,
                created_at=note.created_at,
                number=note.number,
                description=_("Credit note on %(invoice)s: %(reason)s")
                % {"invoice": note.invoice.number, "reason": note.reason},
                credit=note.amount,
            )
        )
    for payment in Payment.objects.filter(student=student):
        description = payment.get_method_display()
        if payment.reference:
            description = f"{description} · {payment.reference}"
        entries.append(
            Entry(
                date=payment.received_on,
                order=PAYMENT,
                created_at=payment.created_at,
                number=payment.receipt_number,
                description=description,
                credit=payment.amount,
            )
        )
    for refund in Refund.objects.filter(payment__student=student).select_related("payment"):
        entries.append(
            Entry(
                date=refund.refunded_on,
                order=REFUND,
                created_at=refund.created_at,
                number=refund.number,
                description=_("Refund from %(receipt)s: %(reason)s")
                % {"receipt": refund.payment.receipt_number, "reason": refund.reason},
                debit=refund.amount,
            )
        )
    entries.sort(key=lambda entry: (entry.date, entry.order, entry.created_at, entry.number))
    running = ZERO
    for entry in entries:
        running += entry.debit - entry.credit
        entry.balance = running
    return Statement(
        school=SchoolProfile.load(),
        student=student,
        entries=entries,
        balance=ledger.balances([student.pk])[student.pk],
        generated_at=timezone.now(),
    )
