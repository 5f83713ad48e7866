"""Stripe, the only way the portal talks to it: Checkout sessions created here, events verified in
modules.fees.webhooks. No network call is made anywhere else.

`HTTP_CLIENT` is None in production (the stripe package picks its own HTTP library). Tests put a fake
`stripe.HTTPClient` here: the real stripe package still builds and parses every request, only the wire is
replaced.
"""

from __future__ import annotations

import time

import stripe
from django.conf import settings

HTTP_CLIENT: stripe.HTTPClient | None = None
# How old a signed webhook may be (seconds): Stripe's default; older ones are refused as replays.
WEBHOOK_TOLERANCE = 300


def is_enabled() -> bool:
    """Online payment is offered only when the school configured both Stripe keys: without the webhook's
    secret no payment could ever be recorded, and families would pay for nothing to show."""
    return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET)


def client() -> stripe.StripeClient:
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, http_client=HTTP_CLIENT)


def create_checkout_session(*, params: dict, idempotency_key: str):
    """A Stripe Checkout Session (API v1). The idempotency key makes a retried call return the same one."""
    return client().v1.checkout.sessions.create(params=params, options={"idempotency_key": idempotency_key})


def verify_signature(payload: bytes, header: str | None) -> None:
    """Raise stripe.SignatureVerificationError unless `payload` is signed with our secret and recent.

    Recent both ways: the stripe package refuses a timestamp older than the tolerance but accepts any
    future one, so a delivery signed "tomorrow" (a leaked secret, a skewed signer) would be replayable for a
    day. The timestamp is checked only after the signature, so it is the one Stripe signed."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        # An empty secret would accept anything signed with an empty key: nobody's events are trusted.
        raise ValueError("STRIPE_WEBHOOK_SECRET is not set")
    stripe.WebhookSignature.verify_header(
        payload, header, settings.STRIPE_WEBHOOK_SECRET, tolerance=WEBHOOK_TOLERANCE
    )
    timestamp = _signed_timestamp(header or "")
    if timestamp > time.time() + WEBHOOK_TOLERANCE:
        raise stripe.SignatureVerificationError(
            f"Timestamp in the future beyond the tolerance ({timestamp})", header, payload
        )


def _signed_timestamp(header: str) -> int:
    """The `t=` of a Stripe-Signature header, read the way stripe's own verification reads it (the first
    `t`), so both checks look at the same value."""
    for item in header.split(","):
        key, _, value = item.partition("=")
        if key == "t":
            return int(value)
    raise stripe.SignatureVerificationError("No timestamp in the signature header", header)
