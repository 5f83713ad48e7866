"""The receiving server (tests/webhooks/receiving.py) as a fixture, and an endpoint subscribed to it. The
suite allows http and loopback addresses (the settings for tests and development); the tests of the
refusals switch them off."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from huey.contrib.djhuey import HUEY

from modules.webhooks.models import Delivery
from modules.webhooks.services import endpoint_create
from tests.webhooks.receiving import Receiver, receiving_server


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.STUDENTFLOW_WEBHOOKS_ALLOW_HTTP = True
    settings.STUDENTFLOW_WEBHOOKS_ALLOW_PRIVATE = True


@pytest.fixture(autouse=True)
def _empty_schedule():
    HUEY.storage.flush_schedule()
    yield
    HUEY.storage.flush_schedule()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving_server() as recorded:
        yield recorded


@pytest.fixture
def subscribe(admin, receiver):
    """An endpoint on the receiver, subscribed to `events` (every event by default); returns (endpoint,
    secret)."""

    def make(*events: str, url: str | None = None):
        chosen = list(events) or [
            "register.submitted",
            "marks.published",
            "payment.recorded",
            "student.enrolled",
            "student.left",
        ]
        made = endpoint_create(by=admin, url=url or receiver.url, description="Library", events=chosen)
        return made.endpoint, made.secret

    return make


@pytest.fixture
def time_passes():
    """`time_passes(delivery)`: its scheduled retry is due (the row's next attempt moved into the past)."""

    def due(delivery: Delivery) -> None:
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=None)

    return due
