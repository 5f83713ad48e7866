"""Email delivery through a real SMTP server on loopback (aiosmtpd): what arrives, refusals, silence."""

from __future__ import annotations

import pytest
from django.test import override_settings
from huey.contrib.djhuey import HUEY

from modules.communications.delivery import delivery_send
from modules.communications.models import Announcement, Delivery, DeliveryStatus
from modules.communications.services import notify, recipients_for_users, users_with_profiles
from tests.fakes import (
    RecordingSmtpHandler,
    RefusingSmtpHandler,
    queue_delivery,
    silent_server,
    smtp_mailers,
    smtp_server,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_schedule():
    HUEY.storage.flush_schedule()
    yield
    HUEY.storage.flush_schedule()


def _time_passes(delivery: Delivery) -> None:
    """The scheduled retry is due: move the row's next attempt into the past."""
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=None)


def test_it_sends_the_queued_email_through_smtp_with_both_parts_and_headers(
    admin, guardian, school, django_capture_on_commit_callbacks
):
    handler = RecordingSmtpHandler()
    item = Announcement.objects.create(title="Sports day moved to Friday", body="Bring water.", author=admin)
    with (
        smtp_server(handler) as (host, port),
        override_settings(MAILERS=smtp_mailers(host, port)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notify(
            recipients_for_users(users_with_profiles().filter(pk=guardian.pk)),
            "announcement",
            {"announcement": item},
            obj=item,
            url="/announcements/",
        )

    delivery = Delivery.objects.get(channel="email", recipient=guardian)
    assert delivery.status == DeliveryStatus.SENT
    assert len(handler.messages) == 1
    message = handler.messages[0]
    assert handler.envelopes[0][1] == ["parent@school.test"]
    assert message["To"] == "parent@school.test"
    assert message["Subject"] == "Sports day moved to Friday"
    assert message["From"] == "StudentFlow <no-reply@studentflow.local>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-StudentFlow-Delivery"] == str(delivery.pk)
    assert message["Message-ID"] == delivery.provider_id
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Bring water." in text
    assert "http://localhost:8000/announcements/" in text
    assert "<h1" in html
    assert "Bring water." in html
    assert delivery.sent_at is not None
    attempt = delivery.attempt_log.get()
    assert attempt.succeeded
    assert attempt.error == ""


def test_it_retries_a_refused_message_then_gives_up_with_the_servers_words(
    settings, django_capture_on_commit_callbacks
):
    settings.STUDENTFLOW_DELIVERY_MAX_ATTEMPTS = 3
    settings.STUDENTFLOW_DELIVERY_BACKOFF = [60, 300]
    delivery = queue_delivery()
    handler = RefusingSmtpHandler("550 5.7.1 Message rejected as spam")
    with smtp_server(handler) as (host, port), override_settings(MAILERS=smtp_mailers(host, port)):
        with django_capture_on_commit_callbacks(execute=True):
            assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.RETRYING
        delivery.refresh_from_db()
        assert delivery.attempts == 1
        assert (
            delivery.last_error == "The mail server refused the message: 550 5.7.1 Message rejected as spam"
        )
        assert delivery.next_attempt_at is not None
        [retry] = HUEY.scheduled()  # the retry waits on the queue, 60 s away
        assert retry.name.endswith("send_deliveries")
        assert retry.args == ([delivery.pk],)

        # Not due yet: running the task again early sends nothing.
        assert delivery_send(delivery_id=delivery.pk) is None
        assert handler.refused == 1

        _time_passes(delivery)
        assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.RETRYING
        delivery.refresh_from_db()
        wait = (delivery.next_attempt_at - delivery.attempt_log.last().at).total_seconds()
        assert 299 <= wait <= 301  # the second step of the backoff

        _time_passes(delivery)
        assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.FAILED

    delivery.refresh_from_db()
    assert handler.refused == 3
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.FAILED, 3, None)
    errors = list(delivery.attempt_log.values_list("succeeded", "error"))
    assert errors == [(False, "The mail server refused the message: 550 5.7.1 Message rejected as spam")] * 3


def test_it_records_a_server_that_does_not_answer_and_carries_on():
    stuck = queue_delivery()
    after = queue_delivery(key="test:after", address="second@school.test")
    with silent_server() as (host, port), override_settings(MAILERS=smtp_mailers(host, port, timeout=0.5)):
        from tasks.communications import send_deliveries

        send_deliveries([stuck.pk, after.pk])  # the worker's task, run inline: it must not raise

    stuck.refresh_from_db()
    after.refresh_from_db()
    assert stuck.status == after.status == DeliveryStatus.RETRYING
    assert stuck.last_error == f"The mail server at {host}:{port} did not answer within 0.5 s."
    assert after.attempts == 1  # the next delivery was still tried


def test_it_records_a_refused_connection(settings):
    delivery = queue_delivery()
    with silent_server() as (host, port):
        pass  # closed again: nothing listens on that port now
    with override_settings(MAILERS=smtp_mailers(host, port)):
        assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.RETRYING
    delivery.refresh_from_db()
    assert delivery.last_error == f"The mail server at {host}:{port} refused the connection (is it running?)."
