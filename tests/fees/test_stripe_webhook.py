"""Stripe's webhook: signed on the raw body, each event once (even replayed concurrently), out-of-order
events end right, unknown and malformed events are answered and logged, never a crash."""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from modules.core.models import AuditEvent
from modules.fees import stripe_gateway
from modules.fees.models import (
    CheckoutSession,
    CheckoutStatus,
    Invoice,
    InvoiceStatus,
    Payment,
    StripeEvent,
)
from tests.fees import stripe_fakes as fakes
from tests.fees.stripe_fakes import FakeStripeHTTP, two_children_with_invoices

D = Decimal
URL = "/fees/stripe/webhook/"


@pytest.fixture
def fake_stripe(settings, monkeypatch):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_WEBHOOK_SECRET = fakes.WEBHOOK_SECRET
    fake = FakeStripeHTTP(checkout_url="https://checkout.stripe.test/pay")
    monkeypatch.setattr(stripe_gateway, "HTTP_CLIENT", fake)
    return fake


def _checkout(school, guardian, fake_stripe, client=None):
    """The guardian starts one checkout for both children's invoices; returns (Stripe's session, invoices)."""
    client = client or Client()
    client.force_login(guardian, backend="modules.accounts.backends.PortalBackend")
    _sister, sams, mias = two_children_with_invoices(school)
    response = client.post(reverse("fees:checkout_start"), {"invoice": [sams.pk, mias.pk]})
    assert response.status_code == 303
    return fake_stripe.sessions[-1], sams, mias


def _deliver(payload, client=None, **sign):
    body, headers = fakes.signed(payload, **sign)
    return (client or Client()).post(URL, body, content_type="application/json", headers=headers)


def _state():
    return (
        list(Payment.objects.order_by("pk").values_list("student_id", "amount", "method")),
        list(Invoice.objects.order_by("pk").values_list("status", "amount_paid")),
        list(CheckoutSession.objects.values_list("status", flat=True)),
    )


@pytest.mark.django_db
def test_a_paid_checkout_records_one_payment_per_child_and_emails_receipts(
    school, guardian, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    session, sams, mias = _checkout(school, guardian, fake_stripe)
    with django_capture_on_commit_callbacks(execute=True):
        response = _deliver(fakes.paid(session))
    assert response.status_code == 200
    payments = list(Payment.objects.order_by("student_id"))
    assert [(p.student_id, p.amount, p.method) for p in payments] == [
        (sams.student_id, D("500.00"), "card"),
        (mias.student_id, D("300.00"), "card"),
    ]
    assert all(p.reference == f"pi_{session['id']}" for p in payments)
    assert all(p.checkout_id == CheckoutSession.objects.get().pk for p in payments)
    assert {p.idempotency_key for p in payments} == {
        f"stripe:{session['id']}:{sams.student_id}",
        f"stripe:{session['id']}:{mias.student_id}",
    }
    assert set(Invoice.objects.values_list("status", flat=True)) == {InvoiceStatus.PAID}
    checkout = CheckoutSession.objects.get()
    assert (checkout.status, checkout.payment_intent) == (CheckoutStatus.PAID, f"pi_{session['id']}")
    assert checkout.completed_at is not None
    assert AuditEvent.objects.filter(action="fees.payment").count() == 2
    subjects = sorted(message.subject for message in mailoutbox)
    assert subjects == ["Payment received for Mia", "Payment received for Sam"]
    assert mailoutbox[0].to == [guardian.email]
    assert "Receipt RCT-" in mailoutbox[0].body
    assert "/fees/family/" in mailoutbox[0].body
    event = StripeEvent.objects.get()
    assert (event.type, event.outcome) == ("checkout.session.completed", "recorded 2 payment(s)")


@pytest.mark.django_db
def test_a_bad_signature_is_refused_and_changes_nothing(school, guardian, fake_stripe):
    session, *_ = _checkout(school, guardian, fake_stripe)
    before = _state()
    assert _deliver(fakes.paid(session), secret="whsec_someone_else").status_code == 400
    response = Client().post(URL, json.dumps(fakes.paid(session)), content_type="application/json")
    assert response.status_code == 400  # no signature at all
    assert _state() == before
    assert not StripeEvent.objects.exists()


@pytest.mark.django_db
def test_without_a_webhook_secret_nothing_is_trusted(school, guardian, fake_stripe, settings):
    session, *_ = _checkout(school, guardian, fake_stripe)
    settings.STRIPE_WEBHOOK_SECRET = ""
    # Signed with an empty key, which is what an unset secret would otherwise accept.
    assert _deliver(fakes.paid(session), secret="").status_code == 400
    assert not Payment.objects.exists()
    assert not StripeEvent.objects.exists()


@pytest.mark.django_db
def test_a_tampered_body_is_refused(school, guardian, fake_stripe):
    session, *_ = _checkout(school, guardian, fake_stripe)
    body, headers = fakes.signed(fakes.paid(session))
    tampered = body.replace('"paid"', '"paid" ', 1)
    response = Client().post(URL, tampered, content_type="application/json", headers=headers)
    assert response.status_code == 400
    assert not Payment.objects.exists()
    assert not StripeEvent.objects.exists()


@pytest.mark.django_db
def test_an_old_delivery_is_refused(school, guardian, fake_stripe):
    session, *_ = _checkout(school, guardian, fake_stripe)
    response = _deliver(fakes.paid(session), timestamp=int(time.time()) - 301)
    assert response.status_code == 400
    assert not Payment.objects.exists()
    assert not StripeEvent.objects.exists()


@pytest.mark.django_db
def test_the_same_event_five_times_credits_once(
    school, guardian, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    session, *_ = _checkout(school, guardian, fake_stripe)
    event = fakes.paid(session)
    with django_capture_on_commit_callbacks(execute=True):
        answers = [_deliver(event).status_code for _ in range(5)]
    assert answers == [200] * 5
    assert Payment.objects.count() == 2
    assert sum(Invoice.objects.values_list("amount_paid", flat=True)) == D("800.00")
    assert StripeEvent.objects.count() == 1
    assert len(mailoutbox) == 2


@pytest.mark.django_db
def test_two_different_events_for_one_payment_still_credit_once(school, guardian, fake_stripe):
    """completed (paid) then async_payment_succeeded for the same session: two events, one payment each."""
    session, *_ = _checkout(school, guardian, fake_stripe)
    assert _deliver(fakes.paid(session)).status_code == 200
    again = fakes.event(
        "checkout.session.async_payment_succeeded", session, payment_status="paid", payment_intent="pi_x"
    )
    assert _deliver(again).status_code == 200
    assert Payment.objects.count() == 2
    assert StripeEvent.objects.count() == 2


@pytest.mark.django_db
def test_expired_delivered_after_completed_does_not_undo_the_payment(school, guardian, fake_stripe):
    session, *_ = _checkout(school, guardian, fake_stripe)
    _deliver(fakes.paid(session))
    assert _deliver(fakes.event("checkout.session.expired", session, status="expired")).status_code == 200
    assert CheckoutSession.objects.get().status == CheckoutStatus.PAID
    assert Payment.objects.count() == 2


@pytest.mark.django_db
def test_events_in_reverse_order_end_paid(school, guardian, fake_stripe):
    """A bank debit: completed (unpaid) → async_payment_succeeded, delivered in reverse order."""
    session, *_ = _checkout(school, guardian, fake_stripe)
    waiting = fakes.event(
        "checkout.session.completed", session, payment_status="unpaid", payment_intent="pi_async"
    )
    succeeded = fakes.event(
        "checkout.session.async_payment_succeeded", session, payment_status="paid", payment_intent="pi_async"
    )
    assert _deliver(succeeded).status_code == 200
    assert _deliver(waiting).status_code == 200
    assert CheckoutSession.objects.get().status == CheckoutStatus.PAID
    assert Payment.objects.count() == 2
    assert set(Payment.objects.values_list("reference", flat=True)) == {"pi_async"}


@pytest.mark.django_db
def test_a_failed_async_payment_closes_the_checkout_and_records_nothing(school, guardian, fake_stripe):
    session, *_ = _checkout(school, guardian, fake_stripe)
    _deliver(fakes.event("checkout.session.completed", session, payment_status="unpaid"))
    _deliver(fakes.event("checkout.session.async_payment_failed", session, payment_status="unpaid"))
    assert CheckoutSession.objects.get().status == CheckoutStatus.EXPIRED
    assert not Payment.objects.exists()
    assert set(Invoice.objects.values_list("status", flat=True)) == {InvoiceStatus.OPEN}


@pytest.mark.django_db
def test_completed_after_expired_still_records_the_money(school, guardian, fake_stripe):
    session, *_ = _checkout(school, guardian, fake_stripe)
    _deliver(fakes.event("checkout.session.expired", session, status="expired"))
    assert CheckoutSession.objects.get().status == CheckoutStatus.EXPIRED
    _deliver(fakes.paid(session))
    assert CheckoutSession.objects.get().status == CheckoutStatus.PAID
    assert Payment.objects.count() == 2


@pytest.mark.django_db
def test_an_invoice_paid_at_the_office_meanwhile_leaves_credit(school, guardian, bursar, fake_stripe):
    from modules.fees import ledger

    session, sams, _mias = _checkout(school, guardian, fake_stripe)
    ledger.record_payment(student_id=sams.student_id, amount=D("500"), method="cash", key="k", by=bursar)
    _deliver(fakes.paid(session))
    card = Payment.objects.get(student_id=sams.student_id, method="card")
    assert (card.amount, card.unallocated) == (D("500.00"), D("500.00"))


@pytest.mark.django_db
def test_unknown_events_and_sessions_are_answered_and_logged(school, guardian, fake_stripe, caplog):
    session, *_ = _checkout(school, guardian, fake_stripe)
    assert _deliver(fakes.event("invoice.paid", session)).status_code == 200
    stranger = {**session, "id": "cs_test_not_ours"}
    assert _deliver(fakes.paid(stranger)).status_code == 200
    assert not Payment.objects.exists()
    assert "ignored: event type invoice.paid" in caplog.text
    assert "ignored: unknown checkout session cs_test_not_ours" in caplog.text


@pytest.mark.django_db
def test_malformed_bodies_are_a_400_never_a_500(school, fake_stripe):
    for body in [
        "not json",
        "[]",
        json.dumps({"id": "evt_1"}),
        json.dumps({"id": "e", "type": "x", "data": 3}),
    ]:
        response = _deliver(body)
        assert response.status_code == 400, body
    assert not StripeEvent.objects.exists()


@pytest.mark.django_db
def test_the_webhook_is_post_only(school):
    assert Client().get(URL).status_code == 405


@pytest.mark.django_db(transaction=True)
def test_five_concurrent_deliveries_credit_once(school, guardian, fake_stripe):
    """Five deliveries of the same event at once, each in its own thread and database connection."""
    session, *_ = _checkout(school, guardian, fake_stripe)
    body, headers = fakes.signed(fakes.paid(session))
    options = connection.settings_dict.setdefault("OPTIONS", {})
    saved = dict(options)
    if connection.vendor == "sqlite":
        # As in production (portal/settings/base.py): writers queue for the lock instead of failing at once.
        options.update(transaction_mode="IMMEDIATE", timeout=20)
    start = threading.Barrier(5)
    answers = []

    def deliver():
        try:
            start.wait()
            answers.append(
                Client().post(URL, body, content_type="application/json", headers=headers).status_code
            )
        finally:
            connections.close_all()

    try:
        threads = [threading.Thread(target=deliver) for _ in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        options.clear()
        options.update(saved)
    assert answers == [200] * 5
    assert Payment.objects.count() == 2
    assert sum(Invoice.objects.values_list("amount_paid", flat=True)) == D("800.00")
    assert StripeEvent.objects.count() == 1


@pytest.mark.django_db
def test_the_bursar_sees_an_online_payment_with_its_stripe_reference(school, guardian, bursar, fake_stripe):
    session, *_ = _checkout(school, guardian, fake_stripe)
    _deliver(fakes.paid(session))
    payment = Payment.objects.order_by("pk").first()
    client = Client()
    client.force_login(bursar, backend="modules.accounts.backends.PortalBackend")
    page = client.get(reverse("fees:payment_detail", kwargs={"pk": payment.pk})).content.decode()
    assert "Online payment (Stripe)" in page
    assert f"pi_{session['id']}" in page
    assert "Card (online)" in page
