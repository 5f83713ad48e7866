"""The office's writes on webhooks (endpoints added, changed, paused, resumed, their secret rolled, deleted, a
test event sent, a delivery sent again), each audited; and the deliveries an event makes, one per endpoint
that subscribed to it (called by receivers.py). Posting them is sending.py's, on the queue."""

from __future__ import annotations

import datetime
import json
import logging
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.core.audit import audit_log
from modules.core.fanout import FANOUT_BATCH, overdue_window
from modules.webhooks.addresses import url_refusal
from modules.webhooks.catalogue import EVENT_TYPES, PING, PING_EXAMPLE, RECOVERABLE
from modules.webhooks.events import deliveries_queued
from modules.webhooks.models import RETRYABLE, Delivery, DeliveryStatus, Endpoint, PauseReason

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"
# The school's endpoints: enough for every system a school connects, few enough that an event's fan-out
# stays one small write.
MAX_ENDPOINTS = 20
# After a roll, the old secret signs too (a second v1=) for this long, so a receiver can switch at leisure.
ROLL_OVERLAP = datetime.timedelta(hours=24)
# Event ids are derived from what happened (uuid5), so an event announced twice is the same event.
EVENT_NAMESPACE = uuid.UUID("6b0f8a52-63c2-4df3-9d0a-5f7c4a2e1b90")
AUDITED = ["url", "description", "events", "paused_at", "pause_reason"]


class WebhookError(Exception):
    """A refused change, in words for the office; `field` names the form field it is about."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class MadeEndpoint:
    endpoint: Endpoint
    secret: str  # shown once


def _state(endpoint: Endpoint) -> dict[str, Any]:
    return {
        "url": endpoint.url,
        "description": endpoint.description,
        "events": list(endpoint.events),
        "paused_at": endpoint.paused_at.isoformat() if endpoint.paused_at else None,
        "pause_reason": endpoint.pause_reason,
    }


def _secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _checked(url: str, events: list[str]) -> list[str]:
    refusal = url_refusal(url)
    if refusal:
        raise WebhookError(refusal, field="url")
    unknown = sorted(set(events) - EVENT_TYPES.keys())
    if unknown:
        raise WebhookError(_("Unknown events: %(names)s.") % {"names": ", ".join(unknown)}, field="events")
    if not events:
        raise WebhookError(_("Choose at least one event."), field="events")
    return [name for name in EVENT_TYPES if name in events]


def endpoint_create(*, by, url: str, description: str, events: list[str]) -> MadeEndpoint:
    """Subscribe `url` to `events`. Its secret is returned once, to be shown to the office.

    The address is resolved before the transaction opens (a slow DNS answer holds no database lock)."""
    if Endpoint.objects.count() >= MAX_ENDPOINTS:
        raise WebhookError(
            _("The school has %(count)d endpoints, the most it may have: delete one first.")
            % {"count": MAX_ENDPOINTS}
        )
    chosen = _checked(url, events)
    secret = _secret()
    with transaction.atomic():
        endpoint = Endpoint.objects.create(
            url=url, description=description, events=chosen, secret=secret, created_by=by
        )
        audit_log(actor=by, action="webhooks.endpoint_create", obj=endpoint, after=_state(endpoint))
    return MadeEndpoint(endpoint, secret)


def endpoint_update(*, endpoint: Endpoint, by, url: str, description: str, events: list[str]) -> Endpoint:
    """Change the address, description or events (the address checked again, before the transaction)."""
    chosen = _checked(url, events)
    with transaction.atomic():
        before = _state(endpoint)
        if set(chosen) - set(endpoint.events):
            # New events count from now: the sweep of missed events must not send it older ones.
            endpoint.subscribed_since = timezone.now()
        endpoint.url, endpoint.description, endpoint.events = url, description, chosen
        endpoint.save(update_fields=["url", "description", "events", "subscribed_since"])
        audit_log(
            actor=by, action="webhooks.endpoint_update", obj=endpoint, before=before, after=_state(endpoint)
        )
    return endpoint


@transaction.atomic
def endpoint_pause(*, endpoint: Endpoint, by, reason: str = PauseReason.OFFICE) -> bool:
    """Stop sending to the endpoint: new events make no delivery for it, and the ones waiting are given up
    as their turn comes (the office can send them again after resuming). False when already paused."""
    before = _state(endpoint)
    now = timezone.now()
    if not Endpoint.objects.filter(pk=endpoint.pk, paused_at__isnull=True).update(
        paused_at=now, pause_reason=reason
    ):
        return False
    endpoint.paused_at, endpoint.pause_reason = now, reason
    audit_log(actor=by, action="webhooks.endpoint_pause", obj=endpoint, before=before, after=_state(endpoint))
    return True


@transaction.atomic
def endpoint_resume(*, endpoint: Endpoint, by) -> bool:
    """Send to the endpoint again, from the next event on; its failures so far no longer count towards an
    automatic pause. False when it was not paused."""
    before = _state(endpoint)
    now = timezone.now()
    if not Endpoint.objects.filter(pk=endpoint.pk, paused_at__isnull=False).update(
        paused_at=None, pause_reason="", failing_since=None, subscribed_since=now
    ):
        return False
    endpoint.paused_at, endpoint.pause_reason, endpoint.failing_since = None, "", None
    endpoint.subscribed_since = now
    audit_log(
        actor=by, action="webhooks.endpoint_resume", obj=endpoint, before=before, after=_state(endpoint)
    )
    return True


@transaction.atomic
def endpoint_secret_roll(*, endpoint: Endpoint, by) -> str:
    """A new secret, returned once. The old one still signs (a second signature) for ROLL_OVERLAP."""
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    secret = _secret()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = timezone.now() + ROLL_OVERLAP
    endpoint.secret = secret
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    # The secrets themselves are never written to the audit log.
    audit_log(actor=by, action="webhooks.secret_roll", obj=endpoint)
    return secret


@transaction.atomic
def endpoint_delete(*, endpoint: Endpoint, by) -> None:
    """Delete the endpoint with its delivery log; a delivery being posted at that moment still goes."""
    audit_log(actor=by, action="webhooks.endpoint_delete", obj=endpoint, before=_state(endpoint))
    endpoint.delete()


def _envelope(event: str, event_id: uuid.UUID, data: dict[str, Any]) -> dict[str, Any]:
    created = timezone.now().isoformat().replace("+00:00", "Z")
    return {"id": str(event_id), "type": event, "created_at": created, "data": data}


@transaction.atomic
def endpoint_ping(*, endpoint: Endpoint, by) -> Delivery:
    """Queue a `ping` event to the endpoint, whatever it subscribed to (it is sent even while paused: the
    office checks the endpoint before resuming it)."""
    event_id = uuid.uuid4()
    delivery = Delivery.objects.create(
        endpoint=endpoint, event=PING, event_id=event_id, payload=_envelope(PING, event_id, PING_EXAMPLE)
    )
    audit_log(actor=by, action="webhooks.ping", obj=endpoint)
    deliveries_queued.send_on_commit(delivery_ids=[delivery.pk])
    return delivery


def subscribed_endpoint_ids(event: str) -> list[int]:
    """The active endpoints subscribed to `event` (one query; JSON lists are matched here, since SQLite
    cannot look inside them)."""
    rows = Endpoint.objects.filter(paused_at__isnull=True).values_list("pk", "events")
    return [pk for pk, events in rows if event in events]


@transaction.atomic
def deliveries_create(*, event: str, key: str, data: dict[str, Any], endpoint_ids: list[int]) -> list[int]:
    """One queued delivery of `event` per endpoint of `endpoint_ids`, posted after commit. `key` says what
    happened (the same happening, the same key): its event id is derived from it, so the same event
    announced twice queues nothing the second time. Returns the ids of the new deliveries."""
    if not endpoint_ids:
        return []
    event_id = uuid.uuid5(EVENT_NAMESPACE, key)
    payload = _envelope(event, event_id, data)
    size = len(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    if size > settings.STUDENTFLOW_WEBHOOKS_MAX_PAYLOAD_BYTES:
        raise ValueError(f"The {event} payload is {size} bytes, above STUDENTFLOW_WEBHOOKS_MAX_PAYLOAD_BYTES")
    already = set(
        Delivery.objects.filter(event_id=event_id, endpoint_id__in=endpoint_ids).values_list(
            "endpoint_id", flat=True
        )
    )
    made = Delivery.objects.bulk_create(
        [
            Delivery(endpoint_id=pk, event=event, event_id=event_id, payload=payload)
            for pk in endpoint_ids
            if pk not in already
        ],
        ignore_conflicts=True,
    )
    if not made:
        return []
    ids = list(
        Delivery.objects.filter(
            event_id=event_id, endpoint_id__in=[d.endpoint_id for d in made], status=DeliveryStatus.QUEUED
        ).values_list("pk", flat=True)
    )
    deliveries_queued.send_on_commit(delivery_ids=ids)
    return ids


@transaction.atomic
def delivery_retry(*, delivery: Delivery, by) -> bool:
    """Send a failed or given-up delivery again now, with a fresh set of attempts and the same event id.
    False (and nothing changes) when it is not failed or given up, or its endpoint is paused."""
    if not delivery.endpoint.is_active:
        return False
    if not Delivery.objects.filter(pk=delivery.pk, status__in=RETRYABLE).update(
        status=DeliveryStatus.QUEUED, attempts=0, next_attempt_at=None
    ):
        return False
    audit_log(actor=by, action="webhooks.delivery_retry", obj=delivery)
    deliveries_queued.send_on_commit(delivery_ids=[delivery.pk])
    return True


def events_recover(*, now: datetime.datetime | None = None) -> int:
    """Make up the deliveries of events whose fan-out failed (webhooks' receiver raised after the sender
    committed: a database error at that moment), inside the fan-outs' overdue window
    (modules/core/fanout.py). Each recoverable event (catalogue.RECOVERABLE) that happened while an active
    endpoint was subscribed to it and has no delivery for that endpoint is queued now; its event id is the
    one the receiver would have made, so this never duplicates one. At most FANOUT_BATCH events a sweep.
    Returns how many events were made up."""
    window = overdue_window(now)
    endpoints = list(
        Endpoint.objects.filter(paused_at__isnull=True).values_list("pk", "events", "subscribed_since")
    )
    made = 0
    for event, source in RECOVERABLE.items():
        subscribed = [(pk, since) for pk, events, since in endpoints if event in events]
        if not subscribed:
            continue
        start = max(window.since, min(since for _pk, since in subscribed))
        rows = (
            source.rows()
            .filter(**{f"{source.stamp}__gt": start, f"{source.stamp}__lte": window.until})
            .order_by(source.stamp, "pk")
            .values_list("pk", source.stamp)
        )
        wanted = {uuid.uuid5(EVENT_NAMESPACE, source.key(pk, stamp)): (pk, stamp) for pk, stamp in rows}
        ids = list(wanted)
        have: set[tuple[int, uuid.UUID]] = set()
        for chunk in range(0, len(ids), 500):
            have.update(
                Delivery.objects.filter(event_id__in=ids[chunk : chunk + 500]).values_list(
                    "endpoint_id", "event_id"
                )
            )
        for event_id, (pk, stamp) in wanted.items():
            owed = [
                endpoint
                for endpoint, since in subscribed
                if since < stamp and (endpoint, event_id) not in have
            ]
            if not owed:
                continue
            built = source.build(pk)
            if built is None:
                continue
            key, data = built
            deliveries_create(event=event, key=key, data=data, endpoint_ids=owed)
            logger.warning("Webhook event %s of record %s made up (its fan-out was lost).", event, pk)
            made += 1
            if made >= FANOUT_BATCH:
                return made
    return made
