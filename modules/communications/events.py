"""What communications announces about announcements and deliveries (see modules/core/events.py for how
events work, and docs/events.md for the list of every module's events)."""

from __future__ import annotations

from modules.core.events import DomainEvent

announcement_published = DomainEvent(
    "communications.announcement_published",
    arguments={
        "announcement_id": "id of the Announcement that is due",
        "by": "the User who saved it",
    },
    doc="""An announcement was saved whose publication time has come and whose audience was not told yet
    (`announcements.announcement_save`: created to go out now, or edited or brought forward before its
    audience was told). An announcement scheduled for later sends nothing when its time comes: the
    periodic `publish_due_announcements` publishes it. Receivers: tasks/announcements.py queues
    `announcements.announcement_publish`, which tells the audience once.""",
)

deliveries_queued = DomainEvent(
    "communications.deliveries_queued",
    arguments={"delivery_ids": "list of Delivery ids waiting to be sent (status queued or retrying)"},
    doc="""Emails or SMS are waiting to be sent: new deliveries written by `services.notify`, failed ones
    queued again by the office (`delivery.deliveries_retry`), and ones a killed worker left sending, found
    by `delivery.deliveries_recover`. Receivers: tasks/communications.py queues `delivery.delivery_send`
    for them, in batches. A delivery whose task is lost is sent by the sweep (`delivery.deliveries_due`).""",
)

delivery_deferred = DomainEvent(
    "communications.delivery_deferred",
    arguments={
        "delivery_id": "id of the Delivery whose attempt failed",
        "delay": "seconds to wait before the next attempt (the school's backoff, "
        "STUDENTFLOW_DELIVERY_BACKOFF)",
    },
    doc="""An attempt to send a delivery failed and it will be tried again (`delivery.delivery_send`: a
    refused or unanswered send, not yet the last attempt; `next_attempt_at` is set). A failure that gives
    up sends nothing. Receivers: tasks/communications.py schedules the next attempt on the queue; if the
    queue is down, the sweep (`delivery.deliveries_due`) sends it once it is overdue.""",
)
