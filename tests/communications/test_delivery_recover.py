"""Deliveries left SENDING by a worker killed mid-send (Huey does not acknowledge tasks): the sweep sends
them again unless a provider answer was recorded, with the same Message-ID, and logs the lost attempt."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from modules.communications.delivery import delivery_message_id
from modules.communications.models import Delivery, DeliveryStatus
from tasks.communications import send_overdue_deliveries
from tests.fakes import queue_delivery

pytestmark = pytest.mark.django_db


def _left_sending(*, seconds_ago: int = 5, **fields) -> Delivery:
    """As delivery_send leaves a row when its worker is killed after the claim: SENDING, lease run out."""
    return queue_delivery(
        status=DeliveryStatus.SENDING,
        next_attempt_at=timezone.now() - datetime.timedelta(seconds=seconds_ago),
        **fields,
    )


def test_an_email_left_sending_is_sent_again_once_with_the_same_message_id(
    django_capture_on_commit_callbacks,
):
    delivery = _left_sending()
    with django_capture_on_commit_callbacks(execute=True):
        send_overdue_deliveries.call_local()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.attempts == 2
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == delivery_message_id(delivery) == delivery.provider_id
    lost, sent = delivery.attempt_log.order_by("pk")
    assert not lost.succeeded
    assert "stopped before the provider confirmed it" in lost.error
    assert sent.succeeded
    # Run again: nothing more goes out.
    with django_capture_on_commit_callbacks(execute=True):
        send_overdue_deliveries.call_local()
    assert len(mail.outbox) == 1


def test_a_send_still_within_its_lease_or_confirmed_is_left_alone(django_capture_on_commit_callbacks):
    sending = queue_delivery(
        status=DeliveryStatus.SENDING, next_attempt_at=timezone.now() + datetime.timedelta(seconds=60)
    )
    confirmed = queue_delivery(status=DeliveryStatus.SENT, provider_id="<confirmed@school.test>")
    with django_capture_on_commit_callbacks(execute=True):
        assert send_overdue_deliveries.call_local() == 0
    sending.refresh_from_db()
    confirmed.refresh_from_db()
    assert sending.status == DeliveryStatus.SENDING
    assert confirmed.status == DeliveryStatus.SENT
    assert not mail.outbox


def test_a_delivery_left_sending_before_leases_existed_is_recovered(django_capture_on_commit_callbacks):
    delivery = queue_delivery(
        status=DeliveryStatus.SENDING, created_at=timezone.now() - datetime.timedelta(hours=2)
    )
    with django_capture_on_commit_callbacks(execute=True):
        send_overdue_deliveries.call_local()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert len(mail.outbox) == 1


def test_the_last_attempt_lost_fails_the_delivery(settings, django_capture_on_commit_callbacks):
    settings.STUDENTFLOW_DELIVERY_MAX_ATTEMPTS = 3
    delivery = _left_sending(attempts=2)
    with django_capture_on_commit_callbacks(execute=True):
        send_overdue_deliveries.call_local()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 3)
    assert "stopped before the provider confirmed it" in delivery.last_error
    assert not mail.outbox


def test_a_digest_left_sending_goes_out_again_as_one_digest(django_capture_on_commit_callbacks):
    token = "claim:0123456789abcdef"
    first = _left_sending(subject="Sam was absent", key="test:a", provider_id=token)
    second = _left_sending(subject="Fees due", key="test:b", provider_id=token)
    with django_capture_on_commit_callbacks(execute=True):
        send_overdue_deliveries.call_local()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == DeliveryStatus.SENT
    assert first.attempts == second.attempts == 2
    assert len(mail.outbox) == 1
    assert "Sam was absent" in mail.outbox[0].body
    assert "Fees due" in mail.outbox[0].body
