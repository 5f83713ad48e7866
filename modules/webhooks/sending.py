"""Posting deliveries: one HTTP POST per attempt, signed, retried with backoff, logged; and the sweeps for
deliveries whose task or worker was lost.

The pattern is communications' (modules/communications/delivery.py). A delivery is claimed with a
conditional UPDATE (queued, or failed and due → sending) before anything goes out, so a task that runs twice,
or two workers, never post the same row twice. The POST happens outside any database transaction (a receiver
may take 10 s to answer; SQLite must not stay locked meanwhile); the outcome is then recorded in one short
transaction. A failure is data, not a crash: it is written to the row and its attempt log in plain words.

The claim is a lease (`next_attempt_at` = when the attempt counts as lost): Huey does not acknowledge tasks,
so a worker killed mid-post leaves its delivery sending, and `deliveries_recover` (every minute) counts a
lost attempt and posts it again. The receiver may then get an event twice; it has the same event id
(StudentFlow-Delivery) both times, which is what receivers deduplicate by.

The HTTP call: the host is resolved and every address checked (addresses.py) at each attempt, then the
connection goes to the address that was checked (DNS rebinding cannot swap it), with TLS verified against the
host name. Connecting may take STUDENTFLOW_WEBHOOKS_TIMEOUT[0] seconds and the whole exchange [1]; redirects
are not followed (a 3xx is a failure: the office subscribes the final address); at most RESPONSE_READ bytes
of the answer are read and RESPONSE_EXCERPT characters kept. 2xx is delivered; anything else is retried after
STUDENTFLOW_WEBHOOKS_BACKOFF, and given up (abandoned) after STUDENTFLOW_WEBHOOKS_MAX_ATTEMPTS attempts.

An endpoint that fails every attempt for STUDENTFLOW_WEBHOOKS_PAUSE_AFTER_DAYS days (no success since its
first failure) is paused (PauseReason.FAILING): the office page says so, and its waiting deliveries are given
up as their turn comes, to be sent again by hand once it works.
"""

from __future__ import annotations

import contextlib
import datetime
import http.client
import json
import logging
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from modules.webhooks.addresses import AddressRefused, addresses_resolve, url_check
from modules.webhooks.catalogue import PING
from modules.webhooks.events import deliveries_queued, delivery_deferred
from modules.webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus, Endpoint, PauseReason
from modules.webhooks.signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signature_header

logger = logging.getLogger(__name__)

SEND_BATCH = 50
RESPONSE_READ = 4096
RESPONSE_EXCERPT = 500
# A scheduled retry may fire a moment before next_attempt_at by the worker's clock.
RETRY_TOLERANCE = datetime.timedelta(seconds=5)
USER_AGENT = "StudentFlow-Webhooks/1"
PAUSED = "Not sent: the endpoint is paused. Send it again once the endpoint is resumed."
INTERRUPTED = "The worker sending this stopped before the answer was recorded; it is sent again."


class SendFailed(Exception):
    def __init__(self, message: str, *, status: int | None = None, excerpt: str = ""):
        super().__init__(message)
        self.message = message
        self.status = status
        self.excerpt = excerpt


@dataclass(frozen=True)
class Answer:
    status: int
    excerpt: str


# ------------------------------------------------------------------------------------------------- HTTP


class _PinnedConnection(http.client.HTTPConnection):
    """Plain HTTP to one checked address (tests and development only: STUDENTFLOW_WEBHOOKS_ALLOW_HTTP)."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedTLSConnection(http.client.HTTPSConnection):
    """HTTPS to one checked address, the certificate verified against the URL's host name."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _shut(sock: socket.socket | None) -> None:
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def http_post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to `url` under the rules of the module docstring. Returns the answer whatever its status,
    or raises SendFailed saying in plain words what went wrong."""
    try:
        host, port = url_check(url)
        address = addresses_resolve(host, port)[0]
    except AddressRefused as refusal:
        raise SendFailed(refusal.message) from refusal
    connect_timeout, total_timeout = settings.STUDENTFLOW_WEBHOOKS_TIMEOUT
    parts = urlsplit(url)
    kind = _PinnedTLSConnection if parts.scheme == "https" else _PinnedConnection
    connection = kind(host, port, address=address, timeout=connect_timeout)
    started = time.monotonic()
    expired = threading.Event()
    watchdog: threading.Timer | None = None
    try:
        try:
            connection.connect()
        except TimeoutError as error:
            raise SendFailed(f"Could not connect to {host} within {connect_timeout:g} s.") from error
        remaining = max(total_timeout - (time.monotonic() - started), 0.01)
        connection.sock.settimeout(remaining)

        # A server answering a byte at a time would keep each read under the socket's timeout: the watchdog
        # closes the connection when the whole exchange has taken its time.
        def expire() -> None:
            expired.set()
            _shut(connection.sock)

        watchdog = threading.Timer(remaining, expire)
        watchdog.daemon = True
        watchdog.start()
        connection.request("POST", _path(url), body, headers)
        response = connection.getresponse()
        raw = response.read(RESPONSE_READ)
    except SendFailed:
        raise
    except (OSError, http.client.HTTPException) as error:
        raise SendFailed(_failure_words(error, host=host, port=port, expired=expired.is_set())) from error
    finally:
        if watchdog is not None:
            watchdog.cancel()
        connection.close()
    return Answer(response.status, raw.decode("utf-8", "replace")[:RESPONSE_EXCERPT])


def _failure_words(error: Exception, *, host: str, port: int, expired: bool) -> str:
    """What went wrong, in plain words for the delivery log. The watchdog's close shows up as whatever the
    interrupted read raised, so it is asked first."""
    total = settings.STUDENTFLOW_WEBHOOKS_TIMEOUT[1]
    if expired or isinstance(error, TimeoutError):
        return f"No complete answer within {total:g} s."
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"The server's certificate could not be trusted: {error.verify_message}."
    if isinstance(error, ssl.SSLError):
        return f"The secure connection failed: {error.reason or error}."
    if isinstance(error, ConnectionRefusedError):
        return f"{host} refused the connection (nothing listens on port {port})."
    if isinstance(error, http.client.HTTPException):
        return f"The answer was not valid HTTP ({type(error).__name__})."
    return f"The connection to {host} failed: {getattr(error, 'strerror', None) or error}."


def _path(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


# ------------------------------------------------------------------------------------------- one delivery


def _lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.STUDENTFLOW_JOB_LEASE_SECONDS)


def backoff_seconds(attempts: int) -> int:
    """The wait before the next try after `attempts` failed ones (the last step repeats)."""
    steps = settings.STUDENTFLOW_WEBHOOKS_BACKOFF or [60]
    return int(steps[min(attempts, len(steps)) - 1])


def delivery_body(delivery: Delivery) -> bytes:
    return json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()


def delivery_headers(delivery: Delivery, body: bytes, *, now: datetime.datetime) -> dict[str, str]:
    endpoint = delivery.endpoint
    keys = [endpoint.secret]
    overlap = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and overlap is not None and overlap > now:
        keys.append(endpoint.previous_secret)
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.event_id),
        SIGNATURE_HEADER: signature_header(keys, body, timestamp=int(now.timestamp())),
    }


def delivery_send(*, delivery_id: int) -> str | None:
    """Post one delivery. Returns its new status, or None when there was nothing to claim (delivered, being
    posted by another worker, not due yet, or unknown). Never raises for a failed post.

    Deliberately not one transaction: the claim commits first, the POST runs with no lock held, and the
    outcome is recorded atomically afterwards (see the module docstring)."""
    now = timezone.now()
    due = Q(status=DeliveryStatus.QUEUED) | Q(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + RETRY_TOLERANCE),
        status=DeliveryStatus.FAILED,
    )
    if not Delivery.objects.filter(due, pk=delivery_id).update(
        status=DeliveryStatus.SENDING, next_attempt_at=now + _lease()
    ):
        logger.info("Webhook delivery %s not sent: delivered, in progress, not due or unknown.", delivery_id)
        return None
    delivery = Delivery.objects.select_related("endpoint").get(pk=delivery_id)
    if not delivery.endpoint.is_active and delivery.event != PING:
        _store(delivery, status=DeliveryStatus.ABANDONED, last_error=PAUSED, next_attempt_at=None)
        return DeliveryStatus.ABANDONED
    body = delivery_body(delivery)
    started = time.monotonic()
    try:
        answer = http_post(delivery.endpoint.url, body, delivery_headers(delivery, body, now=timezone.now()))
    except SendFailed as failure:
        return _record(delivery, started=started, error=failure.message)
    except Exception as error:  # an unforeseen failure is logged with its traceback, and the worker goes on
        logger.exception("Webhook delivery %s: unexpected error while sending", delivery.pk)
        return _record(delivery, started=started, error=f"Unexpected error: {type(error).__name__}: {error}")
    if 200 <= answer.status < 300:
        return _record(delivery, started=started, status_code=answer.status, excerpt=answer.excerpt)
    if 300 <= answer.status < 400:
        error = (
            f"The server answered {answer.status} (a redirect): redirects are not followed; "
            "subscribe the final address."
        )
    else:
        error = f"The server answered {answer.status} {_reason(answer.status)}".rstrip() + "."
    return _record(delivery, started=started, status_code=answer.status, excerpt=answer.excerpt, error=error)


def _reason(status: int) -> str:
    try:
        return http.client.responses[status]
    except KeyError:
        return ""


def _store(delivery: Delivery, **fields) -> bool:
    updated = Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(**fields)
    for name, value in fields.items():
        setattr(delivery, name, value)
    return bool(updated)


@transaction.atomic
def _record(
    delivery: Delivery,
    *,
    started: float,
    status_code: int | None = None,
    excerpt: str = "",
    error: str = "",
) -> str:
    """Write the attempt's outcome, if the row is still this worker's: an endpoint deleted meanwhile took its
    deliveries with it, and a delivery the sweeper took over (the lease ran out) keeps the sweeper's state."""
    now = timezone.now()
    duration = int((time.monotonic() - started) * 1000)
    attempts = delivery.attempts + 1
    fields = {
        "attempts": attempts,
        "last_attempt_at": now,
        "last_status_code": status_code,
        "last_error": error,
        "response_excerpt": excerpt,
        "last_duration_ms": duration,
    }
    delay = None
    if not error:
        status = DeliveryStatus.SUCCEEDED
        fields.update(delivered_at=now, next_attempt_at=None)
    elif attempts >= settings.STUDENTFLOW_WEBHOOKS_MAX_ATTEMPTS or delivery.event == PING:
        # A test event is not retried: the office is looking at the answer now.
        status = DeliveryStatus.ABANDONED
        fields.update(next_attempt_at=None)
    else:
        status = DeliveryStatus.FAILED
        delay = backoff_seconds(attempts)
        fields.update(next_attempt_at=now + datetime.timedelta(seconds=delay))
    if not _store(delivery, status=status, **fields):
        logger.info("Webhook delivery %s: outcome not recorded (deleted or taken over).", delivery.pk)
        return status
    DeliveryAttempt.objects.create(
        delivery=delivery,
        at=now,
        succeeded=not error,
        status_code=status_code,
        error=error,
        duration_ms=duration,
    )
    endpoint = Endpoint.objects.filter(pk=delivery.endpoint_id)
    if not error:
        endpoint.update(last_success_at=now, failing_since=None)
        return status
    logger.warning("Webhook delivery %s, attempt %s failed: %s", delivery.pk, attempts, error)
    endpoint.update(last_failure_at=now)
    endpoint.filter(failing_since__isnull=True).update(failing_since=now)
    _pause_if_failing(delivery.endpoint_id, now=now)
    if delay is not None:
        delivery_deferred.send_on_commit(delivery_id=delivery.pk, delay=delay)
    return status


def _pause_if_failing(endpoint_id: int, *, now: datetime.datetime) -> None:
    """Pause an endpoint that has failed every attempt since STUDENTFLOW_WEBHOOKS_PAUSE_AFTER_DAYS ago."""
    since = now - datetime.timedelta(days=settings.STUDENTFLOW_WEBHOOKS_PAUSE_AFTER_DAYS)
    if Endpoint.objects.filter(pk=endpoint_id, paused_at__isnull=True, failing_since__lte=since).update(
        paused_at=now, pause_reason=PauseReason.FAILING
    ):
        logger.warning("Webhook endpoint %s paused: every delivery failed since %s.", endpoint_id, since)


# ---------------------------------------------------------------------------------------- lost deliveries


def deliveries_recover(*, now: datetime.datetime | None = None) -> int:
    """Deliveries left sending by a worker that was killed (the claim's lease ran out, no outcome recorded):
    each counts a lost attempt and is posted again at once, or given up after the last attempt. Returns how
    many were recovered."""
    now = now or timezone.now()
    lost = Delivery.objects.filter(status=DeliveryStatus.SENDING, next_attempt_at__lt=now)
    retry_ids: list[int] = []
    recovered = 0
    for delivery in lost.order_by("pk")[: SEND_BATCH * 20]:
        attempts = delivery.attempts + 1
        last = attempts >= settings.STUDENTFLOW_WEBHOOKS_MAX_ATTEMPTS
        with transaction.atomic():
            # Conditional on the row as read: a worker that was only slow and recorded its outcome keeps it.
            if not Delivery.objects.filter(
                pk=delivery.pk, status=DeliveryStatus.SENDING, attempts=delivery.attempts
            ).update(
                status=DeliveryStatus.ABANDONED if last else DeliveryStatus.FAILED,
                attempts=attempts,
                last_attempt_at=now,
                last_error=INTERRUPTED,
                last_status_code=None,
                response_excerpt="",
                next_attempt_at=None if last else now,
            ):
                continue
            DeliveryAttempt.objects.create(delivery=delivery, at=now, succeeded=False, error=INTERRUPTED)
        logger.warning(
            "Webhook delivery %s left sending by a lost worker (attempt %s)", delivery.pk, attempts
        )
        recovered += 1
        if not last:
            retry_ids.append(delivery.pk)
    if retry_ids:
        deliveries_queued.send_on_commit(delivery_ids=retry_ids)
    return recovered


def deliveries_due(*, now: datetime.datetime | None = None) -> list[int]:
    """Deliveries whose task was lost (queue flushed, worker restarted before an on-commit enqueue): queued
    for over ten minutes, or a retry more than a minute overdue. Claiming makes posting them again safe."""
    now = now or timezone.now()
    return list(
        Delivery.objects.filter(
            Q(status=DeliveryStatus.QUEUED, created_at__lte=now - datetime.timedelta(minutes=10))
            | Q(status=DeliveryStatus.FAILED, next_attempt_at__lte=now - datetime.timedelta(minutes=1))
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:5000]
    )
