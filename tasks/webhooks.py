"""Posting webhook deliveries, and the sweep for deliveries whose task or worker was lost.

Each task takes ids (or nothing) and calls modules/webhooks/sending.py; each is safe to run twice, because a
delivery is claimed before it is posted. Posts are queued when webhooks announces deliveries waiting
(`deliveries_queued`) or a failed attempt to try again later (`delivery_deferred`):
modules/webhooks/events.py, sent after commit.
"""

from __future__ import annotations

import logging

from django.dispatch import receiver
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from modules.webhooks.events import deliveries_queued, delivery_deferred
from modules.webhooks.sending import SEND_BATCH, deliveries_due, deliveries_recover, delivery_send
from modules.webhooks.services import events_recover

logger = logging.getLogger(__name__)


@db_task()
def send_webhook_deliveries(delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        delivery_send(delivery_id=delivery_id)


def queue_webhook_deliveries(delivery_ids: list[int]) -> None:
    """Queue posts for these deliveries, SEND_BATCH to a task."""
    for start in range(0, len(delivery_ids), SEND_BATCH):
        send_webhook_deliveries(delivery_ids[start : start + SEND_BATCH])


@receiver(deliveries_queued, dispatch_uid="tasks.webhooks.on_deliveries_queued")
def on_deliveries_queued(sender, *, delivery_ids: list[int], **kwargs) -> None:
    queue_webhook_deliveries(delivery_ids)


@receiver(delivery_deferred, dispatch_uid="tasks.webhooks.on_delivery_deferred")
def on_delivery_deferred(sender, *, delivery_id: int, delay: int, **kwargs) -> None:
    try:
        send_webhook_deliveries.schedule(args=([delivery_id],), delay=delay)
    except Exception:  # the queue is down: the periodic sweep (deliveries_due) picks the row up later
        logger.exception("Could not schedule the retry of webhook delivery %s", delivery_id)


@db_periodic_task(crontab(minute="*"))
def send_overdue_webhook_deliveries() -> int:
    """Every minute: deliveries whose task was lost (never started), and those a killed worker left sending
    (Huey does not acknowledge tasks), are posted again."""
    recovered = deliveries_recover()
    ids = deliveries_due()
    queue_webhook_deliveries(ids)
    return recovered + len(ids)


@db_periodic_task(crontab(minute="*/10"))
def send_missed_webhook_events() -> int:
    """Every ten minutes: events whose fan-out to the endpoints failed (after their sender committed) are
    queued for the endpoints that had subscribed to them, as the receiver would have
    (webhooks.services.events_recover)."""
    return events_recover()
