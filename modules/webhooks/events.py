"""What webhooks announces to the queue about its deliveries (see modules/core/events.py for how events work,
and docs/events.md for the list of every module's events)."""

from __future__ import annotations

from modules.core.events import DomainEvent

deliveries_queued = DomainEvent(
    "webhooks.deliveries_queued",
    arguments={"delivery_ids": "list of webhooks Delivery ids waiting to be posted (queued, or failed)"},
    doc="""Webhook deliveries wait to be posted: new ones for an event (`services.deliveries_create`), a
    test event (`services.endpoint_ping`), ones the office sends again (`services.delivery_retry`) and ones
    a killed worker left sending (`sending.deliveries_recover`). Receivers: tasks/webhooks.py queues
    `sending.delivery_send` for them. A delivery whose task is lost is sent by the sweep
    (`sending.deliveries_due`).""",
)

delivery_deferred = DomainEvent(
    "webhooks.delivery_deferred",
    arguments={
        "delivery_id": "id of the webhooks Delivery whose attempt failed",
        "delay": "seconds to wait before the next attempt (STUDENTFLOW_WEBHOOKS_BACKOFF)",
    },
    doc="""An attempt to post a delivery failed and it will be tried again (`sending.delivery_send`;
    `next_attempt_at` is set). The last failed attempt gives up (status abandoned) and sends nothing.
    Receivers: tasks/webhooks.py schedules the next attempt; if the queue is down, the sweep
    (`sending.deliveries_due`) posts it once it is overdue.""",
)
