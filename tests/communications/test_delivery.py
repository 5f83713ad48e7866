"""delivery_send(): claiming, sending once, recording attempts; the office's retry; the overdue sweep."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from modules.communications.delivery import (
    backoff_seconds,
    deliveries_due,
    deliveries_retry,
    delivery_retry,
    delivery_send,
)
from modules.communications.models import Announcement, Delivery, DeliveryStatus
from modules.communications.services import notify, recipients_for_users, users_with_profiles
from tasks.communications import send_deliveries
from tests.fakes import queue_delivery

pytestmark = pytest.mark.django_db


def test_it_sends_a_queued_email_with_text_html_and_headers():
    delivery = queue_delivery()

    assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.SENT

    [email] = mail.outbox
    assert email.to == ["parent@school.test"]
    assert email.subject == "Sports day moved to Friday"
    assert email.body == delivery.body_text
    assert email.alternatives[0].content == "<p>Bring water and a hat.</p>"
    assert email.extra_headers["Auto-Submitted"] == "auto-generated"
    assert email.extra_headers["X-StudentFlow-Delivery"] == str(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.provider_id == email.extra_headers["Message-ID"]
    assert delivery.provider_id.endswith("@studentflow.local>")
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.SENT, 1, "")


def test_it_sends_once_when_the_task_runs_twice():
    delivery = queue_delivery()

    send_deliveries([delivery.pk])
    send_deliveries([delivery.pk])

    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert delivery.attempt_log.count() == 1


def test_it_leaves_a_delivery_another_worker_is_sending_alone():
    delivery = queue_delivery(status=DeliveryStatus.SENDING)

    assert delivery_send(delivery_id=delivery.pk) is None

    assert mail.outbox == []
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENDING


def test_it_ignores_an_unknown_delivery():
    assert delivery_send(delivery_id=987654) is None


def test_it_sends_nothing_new_when_the_same_event_is_notified_twice(
    admin, guardian, school, django_capture_on_commit_callbacks
):
    item = Announcement.objects.create(title="Sports day", body="Bring water.", author=admin)
    people = recipients_for_users(users_with_profiles().filter(pk=guardian.pk))

    with django_capture_on_commit_callbacks(execute=True):
        notify(people, "announcement", {"announcement": item}, obj=item)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = notify(people, "announcement", {"announcement": item}, obj=item)

    assert (again.deliveries, again.skipped_duplicates) == (0, 2)
    assert callbacks == []  # nothing new to send, nothing enqueued
    assert len(mail.outbox) == 1
    assert Delivery.objects.get().status == DeliveryStatus.SENT


def test_it_fails_an_email_without_an_address_without_trying():
    delivery = queue_delivery(address="")

    assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.FAILED

    assert mail.outbox == []
    delivery.refresh_from_db()
    assert delivery.last_error == "No email address on file."
    assert delivery.attempts == 0
    assert not delivery.attempt_log.exists()


def test_it_fails_an_invalid_address_at_once():
    delivery = queue_delivery(address="parent-at-school")

    assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.FAILED

    delivery.refresh_from_db()
    assert delivery.last_error.startswith("The email address 'parent-at-school' is not valid")
    assert delivery.attempts == 1


@override_settings(MAILERS={"default": {"BACKEND": "tests.fakes.ExplodingEmailBackend"}})
def test_it_records_an_unexpected_error_and_keeps_the_worker_alive():
    first, second = queue_delivery(), queue_delivery(key="test:second")

    send_deliveries([first.pk, second.pk])

    for delivery in (first, second):
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.RETRYING
        assert delivery.last_error == "Sending the email failed: RuntimeError: backend bug"


def test_it_waits_longer_after_each_failure(settings):
    settings.STUDENTFLOW_DELIVERY_BACKOFF = [60, 300, 1800]
    assert [backoff_seconds(n) for n in (1, 2, 3, 4, 9)] == [60, 300, 1800, 1800, 1800]


def test_it_queues_a_failed_delivery_again_to_the_persons_current_address(
    guardian, school, django_capture_on_commit_callbacks
):
    delivery = queue_delivery(
        recipient=guardian,
        guardian=guardian.guardian_profile,
        address="",
        status=DeliveryStatus.FAILED,
        attempts=5,
        last_error="No email address on file.",
    )
    # The office has meanwhile put the right address on the guardian's record.
    school.guardian_profile.email = "pat.new@school.test"
    school.guardian_profile.save()

    with django_capture_on_commit_callbacks(execute=True):
        assert delivery_retry(delivery=delivery) is True

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.address == "pat.new@school.test"
    assert delivery.attempts == 1
    assert mail.outbox[0].to == ["pat.new@school.test"]


def test_it_refuses_to_retry_a_delivery_that_has_not_failed(django_capture_on_commit_callbacks):
    sent = queue_delivery(status=DeliveryStatus.SENT, provider_id="<x@y>")

    with django_capture_on_commit_callbacks(execute=True):
        assert delivery_retry(delivery=sent) is False

    sent.refresh_from_db()
    assert (sent.status, sent.provider_id) == (DeliveryStatus.SENT, "<x@y>")
    assert mail.outbox == []


def test_it_retries_only_the_failed_ones_among_many(django_capture_on_commit_callbacks):
    failed = [queue_delivery(status=DeliveryStatus.FAILED, key=f"test:f{n}") for n in range(3)]
    queue_delivery(status=DeliveryStatus.SENT, key="test:sent")

    with django_capture_on_commit_callbacks(execute=True):
        count = deliveries_retry(deliveries=Delivery.objects.all())

    assert count == 3
    assert len(mail.outbox) == 3
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert all(d.attempt_log.count() == 1 for d in failed)


def test_it_finds_deliveries_whose_task_was_lost():
    now = timezone.now()
    stale = queue_delivery(created_at=now - datetime.timedelta(minutes=30))
    queue_delivery(key="test:fresh")  # just queued: its task is on its way
    overdue = queue_delivery(
        key="test:overdue",
        status=DeliveryStatus.RETRYING,
        next_attempt_at=now - datetime.timedelta(minutes=5),
    )
    queue_delivery(
        key="test:later", status=DeliveryStatus.RETRYING, next_attempt_at=now + datetime.timedelta(minutes=5)
    )

    assert deliveries_due(now=now) == [stale.pk, overdue.pk]
