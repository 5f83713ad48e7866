"""Stripe, the only way the portal talks to it: Checkout sessions created here, events verified in
modules.fees.webhooks. No network call is made anywhere else.

`HTTP_CLIENT` is None in production (the stripe package picks its own HTTP library). Tests put a fake
`stripe.HTTPClient` here: the real stripe package still builds and parses every request, only the wire is
replaced.
"""

from __future__ import annotations

import stripe
from django.conf import settings

HTTP_CLIENT: stripe.HTTPClient | None = None
# How old a signed webhook may be (seconds): Stripe's default; older ones are refused as replays.
WEBHOOK_TOLERANCE = 300


def is_enabled() -> bool:
    """Online payment is offered only when the school configured its Stripe keys."""
    return bool(settings.STRIPE_SECRET_KEY)


def client() -> stripe.StripeClient:
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, http_client=HTTP_CLIENT)


def create_checkout_session(*, params: dict, idempotency_key: str):
    """A Stripe Checkout Session (API v1). The idempotency key makes a retried call return the same one."""
    return client().v1.checkout.sessions.create(params=params, options={"idempotency_key": idempotency_key})


def verify_signature(payload: bytes, header: str | None) -> None:
    """Raise stripe.SignatureVerificationError unless `payload` is signed with our secret and recent."""
    stripe.WebhookSignature.verify_header(
        payload, header, settings.STRIPE_WEBHOOK_SECRET, tolerance=WEBHOOK_TOLERANCE
    )
