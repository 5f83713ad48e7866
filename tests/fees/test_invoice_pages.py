"""The bursar's invoice list (filters, totals, paging, exports) and an invoice's page (lines, payments,
credit notes, reminders; issuing a credit note)."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from modules.core.models import AuditEvent
from modules.fees import billing, ledger
from modules.fees.models import CreditNote, Invoice, ReminderStep
from tests import factories as f
from tests.reauth import reauthenticate

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def invoices(school, bursar):
    structure = f.FeeStructureFactory(year=school.year, grade_level=school.section.grade_level)
    instalment = f.InstalmentFactory(structure=structure, number=1, label="Term 1")
    f.InstalmentChargeFactory(instalment=instalment, amount=D("500"))
    billing.generate_invoices(year=school.year, number=1, by=bursar)
    return Invoice.objects.get(student=school.child), Invoice.objects.get(student=school.other_child)


def test_the_list_shows_invoices_with_totals(as_user, bursar, invoices):
    sams, olives = invoices
    ledger.record_payment(student_id=sams.student_id, amount=D("200"), method="cash", key="k", by=bursar)
    response = as_user(bursar).get(reverse("fees:invoice_list"))
    assert response.status_code == 200
    assert sams.number in response.text
    assert olives.number in response.text
    assert "USD 1,000.00" in response.text  # billed
    assert "USD 800.00" in response.text  # outstanding
    assert reverse("fees:invoice_pdf", args=[sams.pk]) in response.text


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (lambda s: {"section": s.section.pk}, {"Sam"}),
        (lambda s: {"q": "olive"}, {"Olive"}),
        (lambda s: {"q": "A-0001"}, {"Sam"}),
        (lambda s: {"q": "Sam Parent"}, {"Sam"}),
        (lambda s: {"status": "paid"}, set()),
        (lambda s: {"overdue": "on"}, {"Olive"}),
    ],
)
def test_the_filters(as_user, bursar, school, invoices, params, expected):
    today = timezone.localdate()
    Invoice.objects.filter(pk=invoices[0].pk).update(due_date=today + datetime.timedelta(days=1))
    Invoice.objects.filter(pk=invoices[1].pk).update(due_date=today - datetime.timedelta(days=1))
    response = as_user(bursar).get(reverse("fees:invoice_list"), params(school))
    shown = {name for name in ("Sam", "Olive") if f"{name} " in response.text}
    assert shown == expected


def test_the_list_pages_with_a_fixed_number_of_queries(as_user, bursar, school, invoices, queries_exactly):
    client = as_user(bursar)
    client.get(reverse("fees:invoice_list"))  # warm the session and caches
    with queries_exactly(10) as few:
        client.get(reverse("fees:invoice_list"))
    for index in range(60):
        f.InvoiceFactory(
            year=school.year, student=school.child, section=school.section, number=f"X-{index:03d}"
        )
    with queries_exactly(len(few)):
        response = client.get(reverse("fees:invoice_list"))
    assert "Page 1 of 2" in response.text
    # The next page keeps the filters.
    response = client.get(reverse("fees:invoice_list"), {"section": school.section.pk})
    assert f"?section={school.section.pk}&amp;page=2" in response.text


def test_the_exports_follow_the_filters_are_audited_and_formula_safe(as_user, bursar, school, invoices):
    school.child.last_name = "=HYPERLINK(1)"
    school.child.save()
    client = reauthenticate(as_user(bursar))
    response = client.get(reverse("fees:invoice_list"), {"section": school.section.pk, "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Invoice", "Admission number", "Last name"]
    assert len(rows) == 2
    assert rows[1][0] == invoices[0].number
    assert rows[1][2].startswith("'=")  # a formula is written as text
    response = client.get(reverse("fees:invoice_list"), {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row == 3
    events = AuditEvent.objects.filter(action="fees.invoice_export").order_by("at")
    assert [event.after["format"] for event in events] == ["csv", "xlsx"]
    assert events[0].after["filters"]["section"] == "7A"


def test_the_invoice_page_shows_payments_credit_notes_and_reminders(as_user, bursar, invoices):
    invoice = invoices[0]
    payment = ledger.record_payment(
        student_id=invoice.student_id, amount=D("100"), method="bank", key="k", by=bursar
    ).payment
    ledger.issue_credit_note(invoice_id=invoice.pk, amount=D("50"), reason="Trip cancelled", by=bursar)
    ReminderStep.objects.create(invoice=invoice, days=-7)
    response = as_user(bursar).get(reverse("fees:invoice_detail", args=[invoice.pk]))
    assert response.status_code == 200
    for text in ("Tuition — Term 1", payment.receipt_number, "Trip cancelled", "7 days before the due date"):
        assert text in response.text
    assert "USD 350.00" in response.text  # balance


def test_the_bursar_issues_a_credit_note(as_user, bursar, invoices):
    invoice = invoices[0]
    url = reverse("fees:credit_note_create", args=[invoice.pk])
    response = as_user(bursar).post(url, {"amount": "120", "reason": "Sibling joined late"}, follow=True)
    note = CreditNote.objects.get()
    assert f"Credit note {note.number} issued." in response.text
    invoice.refresh_from_db()
    assert (invoice.amount_credited, invoice.balance) == (D("120.00"), D("380.00"))


def test_a_credit_note_above_the_invoice_is_refused_and_the_values_kept(as_user, bursar, invoices):
    invoice = invoices[0]
    url = reverse("fees:credit_note_create", args=[invoice.pk])
    response = as_user(bursar).post(url, {"amount": "600", "reason": "Too much"})
    assert response.status_code == 200
    assert "at most 500.00" in response.text
    assert 'value="Too much"' in response.text
    assert not CreditNote.objects.exists()


def test_a_paid_invoice_is_corrected_by_a_credit_note_that_leaves_credit(as_user, bursar, invoices):
    invoice = invoices[0]
    ledger.record_payment(student_id=invoice.student_id, amount=D("500"), method="cash", key="k", by=bursar)
    client = as_user(bursar)
    page = client.get(reverse("fees:invoice_detail", args=[invoice.pk])).text
    assert "Issue a credit note" in page
    assert "by at most USD 500.00" in page
    url = reverse("fees:credit_note_create", args=[invoice.pk])
    response = client.post(url, {"amount": "75", "reason": "Lab closed for a month"}, follow=True)
    assert f"Credit note {CreditNote.objects.get().number} issued." in response.text
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid, invoice.amount_credited) == ("paid", D("425.00"), D("75.00"))
    account = client.get(reverse("fees:student_account", args=[invoice.student_id])).text
    assert "USD 75.00" in account  # the family's credit


def test_invoice_pages_are_for_fee_staff(as_user, guardian, teacher, invoices):
    assert as_user(guardian).get(reverse("fees:invoice_list")).status_code == 403
    assert as_user(teacher).get(reverse("fees:invoice_detail", args=[invoices[0].pk])).status_code == 403
    url = reverse("fees:credit_note_create", args=[invoices[0].pk])
    assert as_user(guardian).post(url, {"amount": "1", "reason": "x"}).status_code == 403
    assert not CreditNote.objects.exists()
