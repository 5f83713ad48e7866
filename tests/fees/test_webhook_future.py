"""Stripe's webhook refuses a delivery signed too far in the future, as it refuses an old one: the stripe
package only checks the past, and a future-dated signature would otherwise stay replayable until then."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse

from modules.core.models import AuditEvent
from modules.fees import stripe_gateway
from modules.fees.models import CheckoutSession, CheckoutStatus, Invoice, Payment, StripeEvent
from tests.fees import stripe_fakes as fakes
from tests.fees.stripe_fakes import FakeStripeHTTP, two_children_with_invoices

URL = "/fees/stripe/webhook/"


@pytest.fixture
def fake_stripe(settings, monkeypatch):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_WEBHOOK_SECRET = fakes.WEBHOOK_SECRET
    fake = FakeStripeHTTP(checkout_url="https://checkout.stripe.test/pay")
    monkeypatch.setattr(stripe_gateway, "HTTP_CLIENT", fake)
    return fake


@pytest.fixture
def session(school, guardian, fake_stripe):
    """Stripe's Checkout session for the guardian's two children's invoices."""
    client = Client()
    client.force_login(guardian, backend="modules.accounts.backends.PortalBackend")
    _sister, sams, mias = two_children_with_invoices(school)
    response = client.post(reverse("fees:checkout_start"), {"invoice": [sams.pk, mias.pk]})
    assert response.status_code == 303
    return fake_stripe.sessions[-1]


def _deliver(payload, *, timestamp: int):
    body, headers = fakes.signed(payload, timestamp=timestamp)
    return Client().post(URL, body, content_type="application/json", headers=headers)


@pytest.mark.django_db
def test_it_refuses_a_delivery_signed_ten_minutes_ahead_and_records_nothing(session):
    audit_before = AuditEvent.objects.count()
    response = _deliver(fakes.paid(session), timestamp=int(time.time()) + 600)
    assert response.status_code == 400
    assert response.content == b"Bad signature"
    assert not Payment.objects.exists()
    assert not StripeEvent.objects.exists()
    assert not Invoice.objects.filter(amount_paid__gt=0).exists()
    assert CheckoutSession.objects.get().status == CheckoutStatus.OPEN
    assert AuditEvent.objects.count() == audit_before


@pytest.mark.django_db
def test_it_still_accepts_a_delivery_from_a_signer_whose_clock_is_a_little_ahead(session):
    response = _deliver(fakes.paid(session), timestamp=int(time.time()) + 60)
    assert response.status_code == 200
    assert Payment.objects.count() == 2
    assert CheckoutSession.objects.get().status == CheckoutStatus.PAID
