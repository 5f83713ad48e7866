"""SMS delivery: the Twilio backend through a fake HTTP client (never the network), the console one
(development and tests), and SMS off: with no provider configured nothing is offered or reported sent."""

from __future__ import annotations

import logging

import pytest
from django.test import override_settings
from django.urls import reverse

from modules.communications.delivery import delivery_send
from modules.communications.models import Delivery, DeliveryStatus, NotificationPreference
from modules.communications.services import notify, recipients_for_guardians
from modules.communications.sms import ConsoleSmsBackend, SmsError, TwilioSmsBackend, get_sms_backend
from tests.fakes import (
    TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN,
    TWILIO_FROM,
    FakeTwilioHttpClient,
    queue_delivery,
)

pytestmark = pytest.mark.django_db

MESSAGES_URL = f"https://api.twilio.com/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages.json"


def twilio(http_client: FakeTwilioHttpClient) -> TwilioSmsBackend:
    return TwilioSmsBackend(
        account_sid=TWILIO_ACCOUNT_SID,
        auth_token=TWILIO_AUTH_TOKEN,
        from_number=TWILIO_FROM,
        http_client=http_client,
    )


def queue_sms(**fields) -> Delivery:
    values = {
        "channel": "sms",
        "kind": "absence",
        "address": "+1 (555) 010-0100",
        "subject": "",
        "body_text": "StudentFlow School: Sam was absent on 3/11. Please contact the school if you know why.",
        "body_html": "",
    }
    return queue_delivery(**{**values, **fields})


def test_it_sends_an_sms_through_twilio_and_keeps_the_sid():
    delivery = queue_sms()
    http = FakeTwilioHttpClient()

    assert delivery_send(delivery_id=delivery.pk, sms_backend=twilio(http)) == DeliveryStatus.SENT

    [request] = http.requests
    assert request["method"] == "POST"
    assert request["url"] == MESSAGES_URL
    assert request["auth"] == (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)
    assert request["data"]["To"] == "+15550100100"
    assert request["data"]["From"] == TWILIO_FROM
    assert request["data"]["Body"] == delivery.body_text
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.provider_id.startswith("SM")
    assert len(delivery.provider_id) == 34
    assert delivery.attempt_log.get().succeeded


def test_it_fails_at_once_when_twilio_refuses_the_number():
    delivery = queue_sms(address="+1 555 0100")
    http = FakeTwilioHttpClient(refuse=(400, 21211, "The 'To' number +15550100 is not a valid phone number."))

    assert delivery_send(delivery_id=delivery.pk, sms_backend=twilio(http)) == DeliveryStatus.FAILED

    delivery.refresh_from_db()
    assert len(http.requests) == 1
    assert delivery.attempts == 1
    assert delivery.next_attempt_at is None
    assert delivery.last_error == (
        "Twilio refused the number +15550100: "
        "The 'To' number +15550100 is not a valid phone number. (Twilio error 21211)"
    )
    assert delivery.attempt_log.get().error == delivery.last_error


def test_it_retries_when_twilio_has_a_server_error():
    delivery = queue_sms()
    http = FakeTwilioHttpClient(refuse=(503, 20500, "Service unavailable"))

    assert delivery_send(delivery_id=delivery.pk, sms_backend=twilio(http)) == DeliveryStatus.RETRYING

    delivery.refresh_from_db()
    assert (
        delivery.last_error
        == "Twilio had a server error (HTTP 503): Service unavailable (Twilio error 20500)"
    )


@override_settings(
    STUDENTFLOW_SMS={
        "BACKEND": "modules.communications.sms.TwilioSmsBackend",
        "TWILIO_ACCOUNT_SID": "",
        "TWILIO_AUTH_TOKEN": "",
        "TWILIO_FROM": "",
    }
)
def test_it_logs_missing_twilio_credentials_instead_of_crashing(caplog):
    delivery = queue_sms()

    with caplog.at_level(logging.ERROR, logger="modules.communications.sms"):
        assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.RETRYING

    message = (
        "Twilio is not configured: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM in the environment."
    )
    assert message in caplog.text
    delivery.refresh_from_db()
    assert delivery.last_error == message


def test_it_uses_the_console_backend_in_development_and_tests(caplog):
    delivery = queue_sms()
    assert isinstance(get_sms_backend(), ConsoleSmsBackend)

    with caplog.at_level(logging.INFO, logger="modules.communications.sms"):
        assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.SENT

    delivery.refresh_from_db()
    assert delivery.provider_id.startswith("console-")
    assert "SMS to +1 (555) 010-0100" in caplog.text
    assert delivery.body_text in caplog.text


@override_settings(STUDENTFLOW_SMS={"BACKEND": "modules.communications.sms.NoSuchBackend"})
def test_it_names_an_sms_backend_that_cannot_be_loaded():
    with pytest.raises(SmsError, match="NoSuchBackend"):
        get_sms_backend()
    delivery = queue_sms()
    assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.RETRYING
    delivery.refresh_from_db()
    assert (
        "The SMS backend 'modules.communications.sms.NoSuchBackend' in STUDENTFLOW_SMS" in delivery.last_error
    )


def test_it_fails_an_sms_without_a_phone_number_without_trying():
    delivery = queue_sms(address="")
    http = FakeTwilioHttpClient()

    assert delivery_send(delivery_id=delivery.pk, sms_backend=twilio(http)) == DeliveryStatus.FAILED

    delivery.refresh_from_db()
    assert http.requests == []
    assert delivery.last_error == "No phone number on file."
    assert not delivery.attempt_log.exists()


# ------------------------------------------------------------------------------------------------- SMS off

SMS_OFF = override_settings(STUDENTFLOW_SMS={"BACKEND": ""})


@SMS_OFF
def test_it_records_an_sms_as_not_configured_when_sms_is_off(
    admin, guardian, school, as_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the queue sends what notify() queued
        notify(
            recipients_for_guardians([school.guardian_profile]),
            "absence",
            {"student": school.child, "date": "2026-03-11"},
            event="absence:sms-off",
        )
    sms = Delivery.objects.get(channel="sms")
    assert sms.address  # the guardian has a phone: only the provider is missing
    assert sms.status == DeliveryStatus.FAILED
    assert sms.status != DeliveryStatus.SENT
    assert sms.last_error == "SMS not configured"
    assert sms.provider_id == ""
    assert sms.sent_at is None
    assert not sms.attempt_log.exists()  # nothing was tried
    assert Delivery.objects.get(channel="email").status == DeliveryStatus.SENT  # email still goes

    office = as_user(admin)
    log = office.get(reverse("communications:delivery_list"), {"channel": "sms"}).content.decode()
    assert "SMS not configured" in log
    assert ">Failed<" in log
    detail = office.get(reverse("communications:delivery_detail", args=[sms.pk])).content.decode()
    assert "SMS not configured" in detail


@SMS_OFF
def test_it_does_not_use_the_console_backend_when_no_backend_is_configured():
    with pytest.raises(SmsError, match="SMS not configured"):
        get_sms_backend()
    delivery = queue_sms()
    assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert delivery.last_error == "SMS not configured"
    assert delivery.attempts == 0


@SMS_OFF
def test_it_does_not_offer_text_messages_when_sms_is_off(guardian, school, as_user):
    client = as_user(guardian)
    page = client.get(reverse("communications:notification_preferences")).content.decode()
    assert "Text message (SMS)" not in page
    assert "-sms" not in page
    assert 'name="absence-email"' in page  # the other channels are still there

    # Saving the page keeps each kind's text-message choice for the day SMS is configured.
    NotificationPreference.objects.create(user=guardian, kind="grades_published", sms=True)
    client.post(
        reverse("communications:notification_preferences"),
        {"absence-in_app": "on", "absence-email": "on", "grades_published-email": "on"},
    )
    assert NotificationPreference.objects.get(user=guardian, kind="absence").sms is True  # the default
    grades = NotificationPreference.objects.get(user=guardian, kind="grades_published")
    assert (grades.in_app, grades.email, grades.sms) == (False, True, True)


def test_it_offers_text_messages_when_a_provider_is_configured(guardian, school, as_user):
    page = as_user(guardian).get(reverse("communications:notification_preferences")).content.decode()
    assert "Text message (SMS)" in page
    assert 'name="absence-sms"' in page
