"""Stripe at the HTTP boundary: the real stripe package builds each request and parses each answer; this
fake HTTP client only stands in for the network. And signed webhook deliveries, as Stripe sends them."""

from __future__ import annotations

import itertools
import json
import time
from urllib.parse import parse_qsl

import stripe

WEBHOOK_SECRET = "whsec_test_secret"
_ids = itertools.count(1)


class FakeStripeHTTP(stripe.HTTPClient):
    """Answers POST /v1/checkout/sessions with a session whose `url` is `checkout_url` (or the success URL
    the portal asked for, like a card paid at once). Records every request."""

    name = "fake"

    def __init__(self, *, checkout_url: str | None = None, fail: bool = False):
        super().__init__()
        self.checkout_url = checkout_url
        self.fail = fail
        self.requests: list[dict] = []
        self.sessions: list[dict] = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        params = dict(parse_qsl(post_data or "", keep_blank_values=True))
        self.requests.append({"method": method, "url": url, "headers": dict(headers or {}), "params": params})
        if self.fail:
            body = {"error": {"type": "api_error", "message": "Stripe is having a bad day"}}
            return json.dumps(body), 500, {}
        if method == "post" and url.endswith("/v1/checkout/sessions"):
            session_id = f"cs_test_{next(_ids):06d}"
            session = {
                "id": session_id,
                "object": "checkout.session",
                "mode": "payment",
                "status": "open",
                "payment_status": "unpaid",
                "currency": params.get("line_items[0][price_data][currency]"),
                "amount_total": sum(
                    int(value) for key, value in params.items() if key.endswith("[unit_amount]")
                ),
                "client_reference_id": params.get("client_reference_id"),
                "metadata": {"checkout_id": params.get("metadata[checkout_id]")},
                "url": self.checkout_url or params["success_url"],
            }
            self.sessions.append(session)
            return json.dumps(session), 200, {"request-id": f"req_{session_id}"}
        return json.dumps({"error": {"type": "invalid_request_error", "message": "not faked"}}), 404, {}

    def request_stream(self, method, url, headers, post_data=None, *, _usage=None):
        raise NotImplementedError

    def close(self):
        pass


def event(kind: str, session: dict, *, event_id: str | None = None, **changes) -> dict:
    """A Stripe event about a Checkout session (as the fake created it), with `changes` to the session."""
    return {
        "id": event_id or f"evt_test_{next(_ids):06d}",
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "data": {"object": {**session, **changes}},
    }


def paid(session: dict, **kw) -> dict:
    return event(
        "checkout.session.completed",
        session,
        status="complete",
        payment_status="paid",
        payment_intent=f"pi_{session['id']}",
        **kw,
    )


def signed(payload: dict | str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None):
    """(body, headers) of a webhook delivery signed the way Stripe signs it."""
    body = payload if isinstance(payload, str) else json.dumps(payload)
    header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=timestamp)
    return body, {"Stripe-Signature": header}


def two_children_with_invoices(school, amounts=("500.00", "300.00")):
    """The guardian's two children (Sam and his sister Mia), each with one open invoice."""
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from tests import factories as f

    sister = f.StudentFactory(first_name="Mia", last_name="Parent", admission_number="A-0003")
    f.EnrollmentFactory(student=sister, section=school.section)
    f.GuardianLinkFactory(student=sister, guardian=school.guardian_profile, relationship="mother")
    due = timezone.localdate() + datetime.timedelta(days=10)
    sams = f.InvoiceFactory(year=school.year, student=school.child, total=Decimal(amounts[0]), due_date=due)
    mias = f.InvoiceFactory(year=school.year, student=sister, total=Decimal(amounts[1]), due_date=due)
    return sister, sams, mias
