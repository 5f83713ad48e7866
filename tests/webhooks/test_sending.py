"""Posting a delivery to a real server on loopback: retries with backoff after a 500 and after a timeout
(the same event id each time), giving up after the last attempt, a redirect not followed, the delivery a
killed worker left sending picked up by the sweeper, a task run twice posting once, the addresses refused
(http, loopback) at subscribe time and again at send time, an endpoint failing for days paused, and a
rolled secret's overlap."""

from __future__ import annotations

import datetime
import json
import socket

import pytest
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from modules.attendance.models import Register
from modules.attendance.services import register_submit
from modules.webhooks import sending
from modules.webhooks.checks import webhook_addresses_check
from modules.webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus, Endpoint, PauseReason
from modules.webhooks.sending import INTERRUPTED, delivery_send
from modules.webhooks.services import (
    WebhookError,
    deliveries_create,
    endpoint_create,
    endpoint_delete,
    endpoint_pause,
    endpoint_secret_roll,
)
from modules.webhooks.signing import webhook_signature_verify
from tasks.webhooks import (
    send_missed_webhook_events,
    send_overdue_webhook_deliveries,
    send_webhook_deliveries,
)
from tests import factories as f
from tests.webhooks.receiving import SLOW

pytestmark = pytest.mark.django_db


def _queue(endpoint, django_capture_on_commit_callbacks, key="payment.recorded:1") -> Delivery:
    """A payment.recorded delivery for `endpoint`, queued and posted (the queue runs at once in tests)."""
    with django_capture_on_commit_callbacks(execute=True):
        [delivery_id] = deliveries_create(
            event="payment.recorded", key=key, data={"payment": {"id": 1}}, endpoint_ids=[endpoint.pk]
        )
    return Delivery.objects.get(pk=delivery_id)


def test_it_retries_after_a_500_with_backoff_then_delivers_under_the_same_event_id(
    receiver, subscribe, time_passes, django_capture_on_commit_callbacks
):
    endpoint, secret = subscribe("payment.recorded")
    receiver.answer(500)
    delivery = _queue(endpoint, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.FAILED
    assert (delivery.attempts, delivery.last_status_code) == (1, 500)
    assert delivery.last_error == "The server answered 500 Internal Server Error."
    assert delivery.response_excerpt == "Internal error: the database is down"
    assert (delivery.next_attempt_at - delivery.last_attempt_at).total_seconds() == 60
    [retry] = HUEY.scheduled()  # the retry waits on the queue, a minute away
    assert retry.name.endswith("send_webhook_deliveries")
    assert retry.args == ([delivery.pk],)
    endpoint.refresh_from_db()
    assert endpoint.last_failure_at is not None
    assert endpoint.failing_since is not None

    # Not due yet: the task running early posts nothing.
    assert delivery_send(delivery_id=delivery.pk) is None
    assert len(receiver.requests) == 1

    time_passes(delivery)
    with django_capture_on_commit_callbacks(execute=True):
        send_webhook_deliveries([delivery.pk])
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        DeliveryStatus.SUCCEEDED,
        2,
        200,
    )
    assert delivery.last_error == ""
    assert delivery.delivered_at is not None
    first, second = receiver.requests
    assert (
        first.headers["StudentFlow-Delivery"]
        == second.headers["StudentFlow-Delivery"]
        == str(delivery.event_id)
    )
    assert first.body == second.body
    assert webhook_signature_verify(secret, second.headers["StudentFlow-Signature"], second.body)
    assert [(a.succeeded, a.status_code) for a in delivery.attempt_log.all()] == [(False, 500), (True, 200)]
    endpoint.refresh_from_db()
    assert endpoint.last_success_at is not None
    assert endpoint.failing_since is None


def test_it_retries_after_a_timeout(
    settings, receiver, subscribe, time_passes, django_capture_on_commit_callbacks
):
    settings.STUDENTFLOW_WEBHOOKS_TIMEOUT = (1.0, 0.5)
    receiver.slow_seconds = 1.5
    endpoint, _secret = subscribe("payment.recorded")
    receiver.answer(SLOW)
    delivery = _queue(endpoint, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error == "No complete answer within 0.5 s."
    assert delivery.last_status_code is None
    time_passes(delivery)
    assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.SUCCEEDED
    assert len(receiver.requests) == 2


def test_it_gives_up_after_the_last_attempt_and_the_office_sends_it_again(
    settings, as_user, admin, receiver, subscribe, time_passes, django_capture_on_commit_callbacks
):
    settings.STUDENTFLOW_WEBHOOKS_BACKOFF = [60, 300]
    settings.STUDENTFLOW_WEBHOOKS_MAX_ATTEMPTS = 3
    endpoint, _secret = subscribe("payment.recorded")
    receiver.answer(500, 502, 503)
    delivery = _queue(endpoint, django_capture_on_commit_callbacks)
    time_passes(delivery)
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert (delivery.next_attempt_at - delivery.last_attempt_at).total_seconds() == 300
    time_passes(delivery)
    HUEY.storage.flush_schedule()
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.ABANDONED
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.next_attempt_at) == (3, None)
    assert delivery.last_error == "The server answered 503 Service Unavailable."
    assert HUEY.scheduled() == []  # nothing more is tried
    assert delivery_send(delivery_id=delivery.pk) is None

    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(admin).post(f"/webhooks/deliveries/{delivery.pk}/retry/")
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 1)
    assert len(receiver.requests) == 4
    assert len({r.headers["StudentFlow-Delivery"] for r in receiver.requests}) == 1


def test_it_does_not_follow_a_redirect(receiver, subscribe, django_capture_on_commit_callbacks):
    endpoint, _secret = subscribe("payment.recorded")
    receiver.answer(301)
    delivery = _queue(endpoint, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_status_code == 301
    assert "redirects are not followed" in delivery.last_error
    assert len(receiver.requests) == 1


def test_the_sweeper_posts_again_what_a_killed_worker_left_sending(
    receiver, subscribe, django_capture_on_commit_callbacks
):
    endpoint, secret = subscribe("payment.recorded")
    # Queued, but its task lost: the worker claimed it (status sending, the lease set) and died.
    delivery = Delivery.objects.create(
        endpoint=endpoint,
        event="payment.recorded",
        payload={"id": "x", "type": "payment.recorded", "data": {}},
        status=DeliveryStatus.SENDING,
        next_attempt_at=timezone.now() + datetime.timedelta(seconds=60),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert send_overdue_webhook_deliveries.call_local() == 0  # its lease has not run out: maybe only slow
    assert receiver.requests == []
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert send_overdue_webhook_deliveries.call_local() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 2)
    assert [(a.succeeded, a.error) for a in delivery.attempt_log.all()] == [(False, INTERRUPTED), (True, "")]
    [request] = receiver.requests
    assert request.headers["StudentFlow-Delivery"] == str(delivery.event_id)
    assert webhook_signature_verify(secret, request.headers["StudentFlow-Signature"], request.body)


def test_the_sweeper_posts_a_delivery_whose_task_was_lost(
    receiver, subscribe, django_capture_on_commit_callbacks
):
    endpoint, _secret = subscribe("payment.recorded")
    delivery = Delivery.objects.create(endpoint=endpoint, event="payment.recorded", payload={"data": {}})
    Delivery.objects.filter(pk=delivery.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=11))
    with django_capture_on_commit_callbacks(execute=True):
        assert send_overdue_webhook_deliveries.call_local() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert len(receiver.requests) == 1


def test_a_task_run_twice_posts_once(receiver, subscribe):
    endpoint, _secret = subscribe("payment.recorded")
    delivery = Delivery.objects.create(endpoint=endpoint, event="payment.recorded", payload={"data": {}})
    send_webhook_deliveries([delivery.pk])
    send_webhook_deliveries([delivery.pk])
    assert delivery_send(delivery_id=delivery.pk) is None
    assert len(receiver.requests) == 1
    assert Delivery.objects.get(pk=delivery.pk).attempts == 1


def test_it_refuses_http_and_private_addresses_unless_allowed(settings, admin, receiver):
    settings.STUDENTFLOW_WEBHOOKS_ALLOW_HTTP = False
    with pytest.raises(WebhookError, match="must start with https://"):
        endpoint_create(by=admin, url=receiver.url, description="", events=["ping.x"])
    settings.STUDENTFLOW_WEBHOOKS_ALLOW_HTTP = True
    settings.STUDENTFLOW_WEBHOOKS_ALLOW_PRIVATE = False
    for url in (
        receiver.url,
        "http://localhost:8000/hook",
        "https://10.0.0.8/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://192.168.1.1/",
    ):
        with pytest.raises(WebhookError, match="address inside a private network or this server") as refusal:
            endpoint_create(by=admin, url=url, description="", events=["payment.recorded"])
        assert refusal.value.field == "url"
    with pytest.raises(WebhookError, match="no user name or password"):
        endpoint_create(
            by=admin, url="https://me:secret@hooks.example.org/", description="", events=["payment.recorded"]
        )
    assert not Endpoint.objects.exists()


def test_it_checks_the_address_again_when_sending(
    settings, receiver, subscribe, django_capture_on_commit_callbacks
):
    endpoint, _secret = subscribe("payment.recorded")
    # The host now resolves to a private address (DNS rebinding), or the setting was switched off.
    settings.STUDENTFLOW_WEBHOOKS_ALLOW_PRIVATE = False
    delivery = _queue(endpoint, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.FAILED
    assert "an address inside a private network or this server" in delivery.last_error
    assert delivery.last_status_code is None
    assert receiver.requests == []


def test_it_pauses_an_endpoint_that_failed_every_delivery_for_three_days(
    as_user, admin, receiver, subscribe, django_capture_on_commit_callbacks
):
    endpoint, _secret = subscribe("payment.recorded")
    Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - datetime.timedelta(days=2))
    receiver.answer(500, 500)
    _queue(endpoint, django_capture_on_commit_callbacks, key="payment.recorded:1")
    endpoint.refresh_from_db()
    assert endpoint.is_active  # two days: not yet
    Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - datetime.timedelta(days=3))
    failed = _queue(endpoint, django_capture_on_commit_callbacks, key="payment.recorded:2")
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert endpoint.pause_reason == PauseReason.FAILING
    page = as_user(admin).get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert "Paused automatically: every delivery to this endpoint failed for 3 days." in page
    # Its waiting retry is given up when its turn comes, without a request.
    Delivery.objects.filter(pk=failed.pk).update(next_attempt_at=None)
    assert delivery_send(delivery_id=failed.pk) == DeliveryStatus.ABANDONED
    assert len(receiver.requests) == 2
    assert Delivery.objects.get(pk=failed.pk).last_error.startswith("Not sent: the endpoint is paused.")


def test_a_rolled_secret_signs_beside_the_new_one_for_a_day(
    admin, receiver, subscribe, django_capture_on_commit_callbacks
):
    endpoint, old = subscribe("payment.recorded")
    new = endpoint_secret_roll(endpoint=endpoint, by=admin)
    assert new.startswith("whsec_")
    assert new != old
    _queue(endpoint, django_capture_on_commit_callbacks, key="payment.recorded:1")
    request = receiver.requests[-1]
    header = request.headers["StudentFlow-Signature"]
    assert header.count("v1=") == 2
    assert webhook_signature_verify(new, header, request.body)
    assert webhook_signature_verify(old, header, request.body)
    Endpoint.objects.filter(pk=endpoint.pk).update(previous_secret_expires_at=timezone.now())
    _queue(endpoint, django_capture_on_commit_callbacks, key="payment.recorded:2")
    request = receiver.requests[-1]
    assert webhook_signature_verify(new, request.headers["StudentFlow-Signature"], request.body)
    assert not webhook_signature_verify(old, request.headers["StudentFlow-Signature"], request.body)
    assert json.loads(request.body)["type"] == "payment.recorded"


def test_a_signature_too_old_does_not_verify(receiver, subscribe, django_capture_on_commit_callbacks):
    endpoint, secret = subscribe("payment.recorded")
    _queue(endpoint, django_capture_on_commit_callbacks)
    [request] = receiver.requests
    header = request.headers["StudentFlow-Signature"]
    sent = int(header.split(",")[0][2:])
    assert webhook_signature_verify(secret, header, request.body, now=sent + 300)
    assert not webhook_signature_verify(secret, header, request.body, now=sent + 301)
    assert not webhook_signature_verify(secret, header, request.body + b" ")


def test_the_deploy_check_refuses_private_addresses_and_warns_of_http(settings):
    assert {message.id for message in webhook_addresses_check()} == {"webhooks.E001", "webhooks.W001"}
    settings.STUDENTFLOW_WEBHOOKS_ALLOW_HTTP = False
    settings.STUDENTFLOW_WEBHOOKS_ALLOW_PRIVATE = False
    assert webhook_addresses_check() == []


def test_an_endpoint_deleted_while_its_delivery_is_posted_records_nothing(
    monkeypatch, admin, receiver, subscribe, django_capture_on_commit_callbacks
):
    endpoint, _secret = subscribe("payment.recorded")
    real_post = sending.http_post

    def deleted_meanwhile(url, body, headers):
        endpoint_delete(endpoint=Endpoint.objects.get(pk=endpoint.pk), by=admin)
        return real_post(url, body, headers)

    monkeypatch.setattr(sending, "http_post", deleted_meanwhile)
    delivery = Delivery.objects.create(endpoint=endpoint, event="payment.recorded", payload={"data": {}})
    assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.SUCCEEDED
    assert len(receiver.requests) == 1  # it went
    assert not Delivery.objects.exists()
    assert not DeliveryAttempt.objects.exists()


def test_the_sweep_makes_up_an_event_whose_fan_out_was_lost_once(
    admin, teacher, school, receiver, subscribe, django_capture_on_commit_callbacks
):
    endpoint, secret = subscribe("register.submitted")
    paused, _paused_secret = subscribe("register.submitted")
    endpoint_pause(endpoint=paused, by=admin)
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    Endpoint.objects.update(subscribed_since=an_hour_ago)
    lost = f.RegisterFactory(section=school.section)
    # Submitted, but its event never reached webhooks (its on-commit callbacks are not run here).
    register_submit(register=lost, by=teacher)
    Register.objects.filter(pk=lost.pk).update(submitted_at=timezone.now() - datetime.timedelta(minutes=10))
    # One submitted a moment ago is left to its own fan-out; one from before the subscription is not owed.
    recent = f.RegisterFactory(section=school.other_section)
    register_submit(register=recent, by=admin)
    before = f.RegisterFactory(section=school.section, date=timezone.localdate() - datetime.timedelta(days=1))
    register_submit(register=before, by=admin)
    Register.objects.filter(pk=before.pk).update(submitted_at=an_hour_ago - datetime.timedelta(minutes=1))
    assert not Delivery.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert send_missed_webhook_events.call_local() == 1
    [request] = receiver.requests
    body = json.loads(request.body)
    assert body["data"]["register"]["id"] == lost.pk
    assert webhook_signature_verify(secret, request.headers["StudentFlow-Signature"], request.body)
    assert Delivery.objects.get().endpoint == endpoint
    with django_capture_on_commit_callbacks(execute=True):
        assert send_missed_webhook_events.call_local() == 0
    assert len(receiver.requests) == 1


def test_it_says_when_nothing_listens(admin, django_capture_on_commit_callbacks):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = endpoint_create(
        by=admin, url=f"http://127.0.0.1:{port}/hooks", description="", events=["payment.recorded"]
    ).endpoint
    delivery = _queue(endpoint, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error == f"127.0.0.1 refused the connection (nothing listens on port {port})."
