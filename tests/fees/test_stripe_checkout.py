"""Starting a Stripe Checkout from the family fees page: amounts from the server, only one's own invoices,
no pay button without keys, and the return page that records nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from modules.fees import stripe_gateway
from modules.fees.models import CheckoutSession, CheckoutStatus, Payment
from tests import factories as f
from tests.fees.stripe_fakes import FakeStripeHTTP, two_children_with_invoices

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def fake_stripe(settings, monkeypatch):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_secret"
    fake = FakeStripeHTTP(checkout_url="https://checkout.stripe.test/pay/cs_test")
    monkeypatch.setattr(stripe_gateway, "HTTP_CLIENT", fake)
    return fake


def test_it_starts_one_checkout_for_two_childrens_invoices(school, guardian, as_user, fake_stripe):
    _sister, sams, mias = two_children_with_invoices(school)
    response = as_user(guardian).post(
        reverse("fees:checkout_start"), {"invoice": [sams.pk, mias.pk], "amount": "1.00"}
    )
    assert response.status_code == 303
    assert response["Location"] == "https://checkout.stripe.test/pay/cs_test"
    checkout = CheckoutSession.objects.get()
    assert (checkout.amount, checkout.currency, checkout.status) == (D("800.00"), "USD", CheckoutStatus.OPEN)
    assert checkout.stripe_id == fake_stripe.sessions[0]["id"]
    assert sorted(checkout.items.values_list("invoice_id", "amount")) == sorted(
        [(sams.pk, D("500.00")), (mias.pk, D("300.00"))]
    )
    (sent,) = fake_stripe.requests
    params = sent["params"]
    assert sent["url"].endswith("/v1/checkout/sessions")
    assert sent["headers"]["Idempotency-Key"] == f"studentflow-checkout-{checkout.pk}"
    assert params["mode"] == "payment"
    # The tampered "amount" in the POST is ignored: the amounts are the invoices' balances, in cents.
    assert sorted(
        [params["line_items[0][price_data][unit_amount]"], params["line_items[1][price_data][unit_amount]"]]
    ) == ["30000", "50000"]
    assert params["line_items[0][price_data][currency]"] == "usd"
    assert params["metadata[checkout_id]"] == str(checkout.pk)
    assert params["client_reference_id"] == str(checkout.pk)
    assert params["success_url"].endswith(f"/fees/family/checkout/{checkout.pk}/return/?result=paid")
    assert params["cancel_url"].endswith(f"/fees/family/checkout/{checkout.pk}/return/?result=cancelled")
    assert not Payment.objects.exists()


def test_it_charges_what_is_left_on_a_partly_paid_invoice(school, guardian, bursar, as_user, fake_stripe):
    from modules.fees import ledger

    _sister, sams, _mias = two_children_with_invoices(school)
    ledger.record_payment(student_id=school.child.pk, amount=D("120.50"), method="cash", key="k", by=bursar)
    as_user(guardian).post(reverse("fees:checkout_start"), {"invoice": [sams.pk]})
    assert fake_stripe.requests[0]["params"]["line_items[0][price_data][unit_amount]"] == "37950"
    assert CheckoutSession.objects.get().amount == D("379.50")


def test_it_refuses_another_familys_invoice(school, guardian, as_user, fake_stripe):
    _sister, sams, _mias = two_children_with_invoices(school)
    olives = f.InvoiceFactory(year=school.year, student=school.other_child)
    response = as_user(guardian).post(reverse("fees:checkout_start"), {"invoice": [sams.pk, olives.pk]})
    assert response.status_code == 404
    assert not CheckoutSession.objects.exists()
    assert fake_stripe.requests == []


def test_it_refuses_an_invoice_already_paid(school, guardian, bursar, as_user, fake_stripe):
    from modules.fees import ledger

    _sister, sams, _mias = two_children_with_invoices(school)
    ledger.record_payment(student_id=school.child.pk, amount=D("500"), method="cash", key="k", by=bursar)
    response = as_user(guardian).post(reverse("fees:checkout_start"), {"invoice": [sams.pk]})
    assert response.status_code == 404
    assert fake_stripe.requests == []


def test_it_asks_to_choose_an_invoice(school, guardian, as_user, fake_stripe):
    two_children_with_invoices(school)
    response = as_user(guardian).post(reverse("fees:checkout_start"), {}, follow=True)
    assert "Choose at least one invoice to pay." in response.content.decode()
    assert not CheckoutSession.objects.exists()


def test_it_tells_the_guardian_when_stripe_fails_and_nothing_is_owed(school, guardian, as_user, fake_stripe):
    _sister, sams, _mias = two_children_with_invoices(school)
    fake_stripe.fail = True
    response = as_user(guardian).post(reverse("fees:checkout_start"), {"invoice": [sams.pk]}, follow=True)
    assert "Online payment could not start just now" in response.content.decode()
    assert CheckoutSession.objects.get().status == CheckoutStatus.EXPIRED


def test_it_shows_the_pay_button_only_with_stripe_keys(school, guardian, as_user, settings, fake_stripe):
    two_children_with_invoices(school)
    page = as_user(guardian).get(reverse("fees:family")).content.decode()
    assert "Pay selected" in page
    assert 'name="invoice"' in page
    settings.STRIPE_SECRET_KEY = ""
    page = as_user(guardian).get(reverse("fees:family")).content.decode()
    assert "Pay selected" not in page
    assert 'name="invoice"' not in page
    # Nothing set on "How families pay" yet: the box sends them to the office.
    assert "How to pay" in page
    assert "Please contact the school office." in page
    # The secret key alone is not enough: without the webhook's secret no payment could be recorded.
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_x", ""
    page = as_user(guardian).get(reverse("fees:family")).content.decode()
    assert "Pay selected" not in page


def test_without_keys_checkout_does_not_start(school, guardian, as_user, settings):
    settings.STRIPE_SECRET_KEY = ""
    _sister, sams, _mias = two_children_with_invoices(school)
    response = as_user(guardian).post(reverse("fees:checkout_start"), {"invoice": [sams.pk]}, follow=True)
    assert "Online payment is not available" in response.content.decode()
    assert not CheckoutSession.objects.exists()


def test_the_return_page_records_nothing(school, guardian, as_user, fake_stripe):
    _sister, sams, _mias = two_children_with_invoices(school)
    client = as_user(guardian)
    client.post(reverse("fees:checkout_start"), {"invoice": [sams.pk]})
    checkout = CheckoutSession.objects.get()
    url = reverse("fees:checkout_return", kwargs={"pk": checkout.pk})
    page = client.get(url + "?result=paid").content.decode()
    assert "It will appear on the fees page in a moment" in page
    assert "The payment was cancelled" in client.get(url + "?result=cancelled").content.decode()
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.OPEN
    assert not Payment.objects.exists()
    # While waiting, the status fragment polls; once the webhook marked it paid, it says so and stops.
    fragment = client.get(url + "?result=paid", headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 2s"' in fragment
    assert "<html" not in fragment
    CheckoutSession.objects.filter(pk=checkout.pk).update(status=CheckoutStatus.PAID)
    fragment = client.get(url + "?result=paid", headers={"HX-Request": "true"}).content.decode()
    assert "has been recorded" in fragment
    assert "hx-trigger" not in fragment


def test_another_guardian_cannot_see_a_checkout(school, guardian, other_guardian, as_user, fake_stripe):
    _sister, sams, _mias = two_children_with_invoices(school)
    as_user(guardian).post(reverse("fees:checkout_start"), {"invoice": [sams.pk]})
    url = reverse("fees:checkout_return", kwargs={"pk": CheckoutSession.objects.get().pk})
    assert as_user(other_guardian).get(url).status_code == 404


def test_checkout_start_is_post_only(school, guardian, as_user):
    assert as_user(guardian).get(reverse("fees:checkout_start")).status_code == 405


def test_a_bursar_who_is_also_a_parent_pays_only_for_their_own_children(school, bursar, as_user, fake_stripe):
    f.GuardianFactory(user=bursar, first_name="Bea", last_name="Money", email=bursar.email)
    olives = f.InvoiceFactory(year=school.year, student=school.other_child)
    response = as_user(bursar).post(reverse("fees:checkout_start"), {"invoice": [olives.pk]})
    assert response.status_code == 404
    assert fake_stripe.requests == []
