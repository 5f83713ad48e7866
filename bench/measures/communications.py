"""Queueing a school-wide announcement: notify() for every guardian of the large school, in one pass."""

from __future__ import annotations

from django.db import transaction

from bench.registry import measure
from modules.accounts import demo


class _Rollback(Exception):
    pass


@measure(
    "communications: queue a school-wide announcement to 3,000 families",
    budget_ms=5_000,
    runs=5,
    warmup=1,
    note=(
        "5 timed runs after 1 warm-up: each creates an announcement and calls notify() for every guardian "
        "of the large school (in-app notifications and emails, rendered per language, bulk-inserted), then "
        "rolls back, so nothing is sent and every run starts from the same database."
    ),
)
def announcement_queue(bench):
    from bench.runner import BenchError
    from modules.communications.models import Announcement
    from modules.communications.services import notify, recipients_for_guardians
    from modules.people.models import Guardian

    admin = bench.user(demo.ADMIN_EMAIL)
    families = Guardian.objects.count()

    def run():
        try:
            with transaction.atomic():
                item = Announcement.objects.create(
                    title="School closed on Friday",
                    body="The school is closed on Friday for staff training. Classes resume on Monday.",
                    author=admin,
                )
                result = notify(
                    recipients_for_guardians(Guardian.objects.select_related("user")),
                    "announcement",
                    {"announcement": item},
                    obj=item,
                    url=f"/announcements/{item.pk}/",
                )
                queued = result.notifications + result.deliveries + len(result.unreachable)
                if queued < families:
                    raise BenchError(f"notify() queued {queued} items for {families} guardians")
                raise _Rollback
        except _Rollback:
            pass

    return run
