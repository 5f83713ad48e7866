"""Sending queued emails and SMS, the evening digest, and sweeps for deliveries whose task or worker was
lost.

Each task takes ids (or nothing) and calls a service in modules/communications/delivery.py; each is safe to
run twice, because a delivery is claimed before it is sent.
"""

from __future__ import annotations

import datetime

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from tasks.clock import school_time

# When the daily digest goes out, in the school's time zone (settings.TIME_ZONE).
DIGEST_HOUR, DIGEST_MINUTE = 17, 30


def local_crontab(*, hour: int, minute: int):
    """A crontab read in the school's time zone: Huey hands periodic checks a naive UTC time."""
    matches = crontab(hour=str(hour), minute=str(minute))

    def validate(timestamp: datetime.datetime) -> bool:
        return matches(school_time(timestamp).replace(tzinfo=None))

    return validate


@db_task()
def send_deliveries(delivery_ids: list[int]) -> None:
    from modules.communications.delivery import delivery_send

    for delivery_id in delivery_ids:
        delivery_send(delivery_id=delivery_id)


@db_periodic_task(local_crontab(hour=DIGEST_HOUR, minute=DIGEST_MINUTE))
def send_daily_digest() -> int:
    from modules.communications.delivery import digest_send

    return digest_send().emails


@db_periodic_task(crontab(minute="*"))
def send_overdue_deliveries() -> int:
    """Every minute: deliveries whose task was lost (never started), and those a killed worker left
    SENDING (Huey does not acknowledge tasks), are sent again."""
    from modules.communications.delivery import deliveries_due, deliveries_recover, enqueue

    recovered = deliveries_recover()
    ids = deliveries_due()
    enqueue(ids)
    return recovered + len(ids)
