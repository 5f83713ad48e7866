"""How families pay other than online: the office sets it once (instructions, phone, hours, bank account,
the reference to quote) and families read it on their fees page, the invoice PDF and the statement; the
receipt says what is still owed after the payment."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from modules.core.models import AuditEvent
from modules.fees import ledger
from modules.fees.models import FeePolicy
from tests import factories as f
from tests.forms import form_fields

D = Decimal
pytestmark = pytest.mark.django_db
URL = reverse("fees:payment_instructions")
IBAN = "GB82 WEST 1234 5698 7654 32"  # the ISO 13616 example: valid check digits
INSTRUCTIONS = "Cash or cheque at the fees office.\nCheques payable to Greenfield School."


def _data(**overrides) -> dict:
    return {
        "payment_instructions": INSTRUCTIONS,
        "office_phone": "+44 20 7946 0000",
        "office_hours": "Monday to Friday, 8:00 to 15:30",
        "bank_account_name": "Greenfield School",
        "bank_account_number": IBAN,
        "bank_code": "40-30-20",
        "payment_reference": "invoice",
    } | overrides


def _set_instructions(**overrides) -> FeePolicy:
    policy = FeePolicy.load()
    for name, value in _data(**overrides).items():
        setattr(policy, name, value)
    policy.save()
    return policy


def _pdf_text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    # Words as a person reads them: the PDF's line breaks become spaces.
    return " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(response.content)).pages
    )


def _invoice(school, *, total: str, due_in_days: int, number: str):
    return f.InvoiceFactory(
        year=school.year,
        student=school.child,
        number=number,
        total=D(total),
        due_date=timezone.localdate() + datetime.timedelta(days=due_in_days),
    )


# --- the office sets them ----------------------------------------------------------------------------


def test_it_lets_the_bursar_save_the_instructions(as_user, bursar, school):
    client = as_user(bursar)
    page = client.get(URL)
    assert page.status_code == 200
    assert "How families pay" in page.text
    response = client.post(URL, form_fields(page.text) | _data(), follow=True)
    assert "The payment instructions were saved." in response.text
    policy = FeePolicy.objects.get()
    assert policy.payment_instructions == INSTRUCTIONS
    assert policy.office_phone == "+44 20 7946 0000"
    assert policy.bank_account_number == IBAN
    assert policy.bank_code == "40-30-20"
    assert AuditEvent.objects.filter(action="fees.payment_instructions").exists()
    assert reverse("fees:payment_instructions") in client.get(reverse("fees:setup")).text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("bank_account_number", "GB82 WEST 1234 5698 7654 33", "check digits do not match"),
        ("bank_account_number", "GB82/WEST", "only letters, digits, spaces and hyphens"),
        ("office_phone", "call us", "at least 6 digits"),
        ("bank_account_name", "", "account holder&#x27;s name"),
        ("payment_instructions", "x" * 2001, "at most 2000 characters"),
    ],
)
def test_it_explains_bad_input_and_saves_nothing(as_user, bursar, school, field, value, message):
    client = as_user(bursar)
    page = client.get(URL)
    response = client.post(URL, form_fields(page.text) | _data(**{field: value}))
    assert response.status_code == 200
    assert message in response.text
    assert "Nothing was saved" in response.text
    if value:
        assert value in response.text  # the typed value is kept where it was typed
    policy = FeePolicy.objects.get()
    assert (policy.payment_instructions, policy.bank_account_number, policy.office_phone) == ("", "", "")


def test_it_refuses_the_page_to_families_and_teachers(as_user, guardian, teacher, school):
    for user in (guardian, teacher):
        assert as_user(user).get(URL).status_code == 403
        assert as_user(user).post(URL, _data()).status_code == 403
    assert FeePolicy.objects.filter(office_phone__gt="").count() == 0


# --- families read them ------------------------------------------------------------------------------


def test_the_family_page_says_how_to_pay_without_online_payment(as_user, guardian, school, settings):
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = ""
    _set_instructions()
    invoice = _invoice(school, total="120.00", due_in_days=10, number="INV-2026-00042")
    page = as_user(guardian).get(reverse("fees:family")).text
    assert "How to pay" in page
    assert "Other ways to pay" not in page
    assert "Cash or cheque at the fees office.<br>Cheques payable to Greenfield School." in page
    assert 'href="tel:+442079460000"' in page
    assert "Monday to Friday, 8:00 to 15:30" in page
    assert IBAN in page
    assert "40-30-20" in page
    assert f'data-testid="reference-{invoice.pk}"' in page
    assert "Reference to quote:" in page
    assert "INV-2026-00042" in page


def test_the_family_page_offers_them_beside_online_payment(as_user, guardian, school, settings):
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_x", "whsec_x"
    _set_instructions(payment_reference="admission")
    _invoice(school, total="120.00", due_in_days=10, number="INV-2026-00042")
    page = as_user(guardian).get(reverse("fees:family")).text
    assert "Pay selected" in page
    assert "Other ways to pay" in page
    assert IBAN in page
    # The reference families quote is now the child's admission number, shown with the invoice.
    assert f'<span class="font-monospace fw-semibold">{school.child.admission_number}</span>' in page


def test_with_nothing_set_the_family_is_sent_to_the_office(as_user, guardian, school, settings):
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = ""
    _invoice(school, total="120.00", due_in_days=10, number="INV-2026-00042")
    page = as_user(guardian).get(reverse("fees:family")).text
    assert "Please contact the school office." in page


def test_the_invoice_pdf_says_how_to_pay_and_what_to_quote(as_user, guardian, school):
    _set_instructions()
    invoice = _invoice(school, total="120.00", due_in_days=10, number="INV-2026-00042")
    text = _pdf_text(as_user(guardian).get(reverse("fees:invoice_pdf", kwargs={"pk": invoice.pk})))
    assert "How to pay" in text
    assert "Cash or cheque at the fees office." in text
    assert "Cheques payable to Greenfield School." in text
    for expected in ("+44 20 7946 0000", "Monday to Friday, 8:00 to 15:30", IBAN, "40-30-20"):
        assert expected in text
    assert "Reference to quote" in text
    assert text.count("INV-2026-00042") >= 2


def test_a_paid_invoice_pdf_does_not_ask_for_payment(as_user, guardian, bursar, school):
    _set_instructions()
    invoice = _invoice(school, total="120.00", due_in_days=10, number="INV-2026-00042")
    ledger.record_payment(student_id=school.child.pk, amount=D("120.00"), method="cash", key="k", by=bursar)
    text = _pdf_text(as_user(guardian).get(reverse("fees:invoice_pdf", kwargs={"pk": invoice.pk})))
    assert "PAID" in text.upper()
    assert "How to pay" not in text


def test_the_office_sees_them_on_the_invoice_page(as_user, bursar, school):
    _set_instructions()
    invoice = _invoice(school, total="120.00", due_in_days=10, number="INV-2026-00042")
    page = as_user(bursar).get(reverse("fees:invoice_detail", kwargs={"pk": invoice.pk})).text
    assert "How the family is told to pay" in page
    assert IBAN in page
    assert reverse("fees:payment_instructions") in page


def test_the_statement_page_and_pdf_say_how_to_pay(as_user, guardian, school):
    _set_instructions(payment_reference="admission")
    _invoice(school, total="120.00", due_in_days=10, number="INV-2026-00042")
    client = as_user(guardian)
    page = client.get(reverse("fees:statement", kwargs={"pk": school.child.pk})).text
    assert "How to pay" in page
    assert IBAN in page
    assert "Monday to Friday, 8:00 to 15:30" in page
    assert "Change the payment instructions" not in page  # the family does not get the office's link
    text = _pdf_text(client.get(reverse("fees:statement_pdf", kwargs={"pk": school.child.pk})))
    assert "How to pay" in text
    assert IBAN in text
    assert "+44 20 7946 0000" in text
    assert "Reference to quote" in text
    assert school.child.admission_number in text


# --- the receipt -------------------------------------------------------------------------------------


def test_the_receipt_shows_what_is_still_owed_after_the_payment(as_user, guardian, bursar, school):
    """Two invoices, 100.00 and 200.00; 150.00 paid: the older is paid, 50.00 goes to the newer, and the
    account still owes 150.00. A later invoice does not change what the receipt says was owed then."""
    older = _invoice(school, total="100.00", due_in_days=5, number="INV-2026-00001")
    newer = _invoice(school, total="200.00", due_in_days=35, number="INV-2026-00002")
    payment = ledger.record_payment(
        student_id=school.child.pk, amount=D("150.00"), method="bank", key="p", by=bursar
    ).payment
    older.refresh_from_db()
    newer.refresh_from_db()
    assert (older.balance, newer.balance) == (D("0.00"), D("150.00"))

    page = as_user(bursar).get(reverse("fees:payment_detail", kwargs={"pk": payment.pk})).text
    assert "Still owed on the account after this payment:" in page
    assert "USD 150.00" in page
    text = _pdf_text(as_user(guardian).get(reverse("fees:receipt_pdf", kwargs={"pk": payment.pk})))
    assert "Still owed on the account after this payment: USD 150.00" in text
    assert "owed today" not in text

    _invoice(school, total="40.00", due_in_days=60, number="INV-2026-00003")
    text = _pdf_text(as_user(guardian).get(reverse("fees:receipt_pdf", kwargs={"pk": payment.pk})))
    assert "Still owed on the account after this payment: USD 150.00" in text
    assert "owed today USD 190.00" in text


def test_an_overpayment_receipt_says_the_account_is_in_credit(as_user, guardian, bursar, school):
    _invoice(school, total="100.00", due_in_days=5, number="INV-2026-00001")
    payment = ledger.record_payment(
        student_id=school.child.pk, amount=D("130.00"), method="cash", key="p", by=bursar
    ).payment
    text = _pdf_text(as_user(guardian).get(reverse("fees:receipt_pdf", kwargs={"pk": payment.pk})))
    assert "In credit after this payment: USD 30.00" in text
