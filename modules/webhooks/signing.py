"""Signing a delivery, and checking a signature as a receiver would (the office page shows the same check).

The scheme is Stripe's: `StudentFlow-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`,
keyed with the endpoint's secret (the whole `whsec_…` text, as UTF-8). The time is signed with the body, so
a captured delivery cannot be replayed later than the receiver's tolerance. While a rolled secret's old
value still counts, a second `v1=` is signed with it."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable

SIGNATURE_HEADER = "StudentFlow-Signature"
EVENT_HEADER = "StudentFlow-Event"
DELIVERY_HEADER = "StudentFlow-Delivery"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets: Iterable[str], body: bytes, *, timestamp: int | None = None) -> str:
    moment = int(time.time()) if timestamp is None else timestamp
    return ",".join([f"t={moment}", *(f"v1={signature(secret, moment, body)}" for secret in secrets)])


def webhook_signature_verify(
    secret: str, header: str, body: bytes, tolerance: int = 300, *, now: float | None = None
) -> bool:
    """True when `header` (StudentFlow-Signature) signs `body` with `secret` at a time within `tolerance`
    seconds of now. The body is the raw bytes received, before any JSON parsing."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)


# The check a receiver writes, shown on the office's page as it is (tests/webhooks run the page's copy against
# real deliveries).
VERIFY_SNIPPET = '''import hashlib
import hmac
import time


def webhook_signature_verify(secret, header, body, tolerance=300):
    """secret: the endpoint's whsec_… secret; header: the StudentFlow-Signature header;
    body: the request's raw bytes, before any JSON parsing."""
    fields = [part.strip().partition("=") for part in header.split(",")]
    stamps = [value for key, _, value in fields if key == "t"]
    if not stamps or not stamps[0].isdigit() or abs(time.time() - int(stamps[0])) > tolerance:
        return False
    message = stamps[0].encode() + b"." + body
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, value) for key, _, value in fields if key == "v1")
'''
