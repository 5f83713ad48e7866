"""Fees in the browser: a guardian pays two children's invoices in one Stripe Checkout (Stripe stubbed at
the HTTP client; the signed webhook delivered to the live server), and the bursar records a cash payment
and prints its receipt."""

from __future__ import annotations

import io
import urllib.request
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import expect
from pypdf import PdfReader

from modules.fees import stripe_gateway
from modules.fees.models import CheckoutSession, CheckoutStatus, Payment
from tests import factories as f
from tests.fees import stripe_fakes as fakes


@pytest.fixture
def fake_stripe(settings, monkeypatch):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_WEBHOOK_SECRET = fakes.WEBHOOK_SECRET
    # Stripe's hosted page is skipped: the session's url is the portal's own return page (paid at once).
    fake = fakes.FakeStripeHTTP()
    monkeypatch.setattr(stripe_gateway, "HTTP_CLIENT", fake)
    return fake


def _deliver_webhook(live_server, event: dict) -> int:
    body, headers = fakes.signed(event)
    request = urllib.request.Request(
        f"{live_server.url}/fees/stripe/webhook/",
        data=body.encode(),
        headers={**headers, "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def test_a_guardian_pays_two_childrens_invoices_in_one_checkout(
    page, login, guardian, school, fake_stripe, live_server
):
    _sister, sams, mias = fakes.two_children_with_invoices(school)
    login(page, guardian)
    page.get_by_role("link", name="Fees due: USD 500.00").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fees")
    expect(page.get_by_test_id("family-due")).to_have_text("USD 800.00")
    expect(page.get_by_role("button", name="Pay selected")).to_be_disabled()
    page.get_by_label(sams.number).check()
    expect(page.get_by_role("button", name="Pay USD 500.00")).to_be_enabled()
    page.get_by_label(mias.number).check()
    page.get_by_role("button", name="Pay USD 800.00").click()

    # Back from "Stripe": the return page says the payment will show soon, and records nothing itself.
    expect(page.get_by_role("status")).to_contain_text("It will appear on the fees page in a moment")
    checkout = CheckoutSession.objects.get()
    assert checkout.amount == 800
    assert checkout.status == CheckoutStatus.OPEN
    assert not Payment.objects.exists()

    # Stripe's signed webhook arrives.
    assert _deliver_webhook(live_server, fakes.paid(fake_stripe.sessions[-1])) == 200

    # The return page notices on its own (it polls while waiting).
    expect(page.get_by_role("status")).to_contain_text("Your payment of USD 800.00 has been recorded")
    page.get_by_role("link", name="Back to fees").click()
    expect(page.get_by_test_id("family-due")).to_have_text("USD 0.00")
    expect(page.get_by_text("Nothing owed")).to_have_count(2)
    receipts = list(Payment.objects.order_by("student__first_name").values_list("receipt_number", flat=True))
    for number in receipts:
        expect(page.get_by_role("link", name=number)).to_be_visible()
    subjects = sorted(message.subject for message in mail.outbox)
    assert subjects == ["Payment received for Mia", "Payment received for Sam"]
    assert all(message.to == [guardian.email] for message in mail.outbox)


def test_the_bursar_records_a_cash_payment_and_prints_the_receipt(page, login, bursar, school):
    invoice = f.InvoiceFactory(year=school.year, student=school.child, total=200)
    login(page, bursar)
    page.goto("/fees/payments/new/")
    page.get_by_label("Student name or admission number").fill("A-0001")
    page.get_by_role("link", name="Record a payment for Sam Parent").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment for Sam Parent")
    page.get_by_label("Amount").fill("250.00")
    page.get_by_label("Paid by").fill("Pat Parent")
    page.get_by_role("button", name="Record the payment").click()

    payment = Payment.objects.get()
    expect(page.get_by_text(f"Payment recorded: receipt {payment.receipt_number}.")).to_be_visible()
    expect(page.get_by_test_id("payment-credit")).to_have_text("USD 50.00")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Receipt (PDF)").click()
    download = download_info.value
    assert download.suggested_filename == f"receipt-{payment.receipt_number}.pdf"
    text = PdfReader(io.BytesIO(Path(download.path()).read_bytes())).pages[0].extract_text()
    for expected in [
        payment.receipt_number,
        "Sam Parent",
        "USD 250.00",
        "Cash",
        invoice.number,
        "Pat Parent",
    ]:
        assert expected in text, expected
