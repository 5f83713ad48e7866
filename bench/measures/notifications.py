"""The notification bell (polled by every open page) and the notification list, for the demo parent."""

from __future__ import annotations

from django.utils import timezone

from bench.registry import measure
from modules.accounts import demo
from modules.accounts.models import User
from modules.communications.models import Notification
from modules.communications.notifications import bell_state

NOTIFICATIONS_FOR_PARENT = 60


def _parent_with_notifications() -> User:
    """Give the demo parent a realistic backlog once (kept between runs: the bench database is its own)."""
    parent = User.objects.get(email=demo.PARENT_EMAIL)
    missing = NOTIFICATIONS_FOR_PARENT - Notification.objects.filter(recipient=parent).count()
    now = timezone.now()
    Notification.objects.bulk_create(
        Notification(
            recipient=parent,
            kind="announcement",
            title=f"Bench announcement {number}",
            body="A short text about the school week.",
            url="/notifications/",
            key=f"bench:announcement:{number}:u{parent.pk}",
            created_at=now,
            read_at=None if number % 3 else now,
        )
        for number in range(max(missing, 0))
    )
    return parent


@measure("notifications: bell poll, nothing new (guardian)", budget_ms=5, budget_queries=2)
def bell_unchanged(bench):
    parent = _parent_with_notifications()
    client = bench.client_for(demo.PARENT_EMAIL)
    token = bell_state(parent).token
    return lambda: bench.get(client, f"/notifications/bell/?seen={token}", expect=204)


@measure("notifications: list (guardian)", budget_ms=40, budget_queries=12)
def notification_list(bench):
    _parent_with_notifications()
    client = bench.client_for(demo.PARENT_EMAIL)
    return lambda: bench.get(client, "/notifications/")
