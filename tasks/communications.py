"""Sending queued emails and SMS, the evening digest, and sweeps for deliveries whose task or worker was
lost.

Each task takes ids (or nothing) and calls a service in modules/communications/delivery.py; each is safe to
run twice, because a delivery is claimed before it is sent. Sends are queued when communications announces
deliveries waiting (`deliveries_queued`) or a failed attempt to try again later (`delivery_deferred`):
modules/communications/events.py, sent after commit.
"""

from __future__ import annotations

import logging

from django.dispatch import receiver
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from modules.communications.delivery import (
    SEND_BATCH,
    deliveries_due,
    deliveries_recover,
    delivery_send,
    digest_send,
)
from modules.communications.events import deliveries_queued, delivery_deferred
from modules.core.clock import SchoolTime

logger = logging.getLogger(__name__)

# When the daily digest goes out, in the school's time zone (settings.TIME_ZONE).
DAILY_DIGEST = SchoolTime(hour=17, minute=30)


@db_task()
def send_deliveries(delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        delivery_send(delivery_id=delivery_id)


def queue_deliveries(delivery_ids: list[int]) -> None:
    """Queue sends for these deliveries, SEND_BATCH to a task."""
    for start in range(0, len(delivery_ids), SEND_BATCH):
        send_deliveries(delivery_ids[start : start + SEND_BATCH])


@receiver(deliveries_queued, dispatch_uid="tasks.communications.on_deliveries_queued")
def on_deliveries_queued(sender, *, delivery_ids: list[int], **kwargs) -> None:
    queue_deliveries(delivery_ids)


@receiver(delivery_deferred, dispatch_uid="tasks.communications.on_delivery_deferred")
def on_delivery_deferred(sender, *, delivery_id: int, delay: int, **kwargs) -> None:
    try:
        send_deliveries.schedule(args=([delivery_id],), delay=delay)
    except Exception:  # the queue is down: the periodic sweep (deliveries_due) picks the row up later
        logger.exception("Could not schedule the retry of delivery %s", delivery_id)


@db_periodic_task(DAILY_DIGEST)
def send_daily_digest() -> int:
    return digest_send().emails


@db_periodic_task(crontab(minute="*"))
def send_overdue_deliveries() -> int:
    """Every minute: deliveries whose task was lost (never started), and those a killed worker left
    SENDING (Huey does not acknowledge tasks), are sent again."""
    recovered = deliveries_recover()
    ids = deliveries_due()
    queue_deliveries(ids)
    return recovered + len(ids)
