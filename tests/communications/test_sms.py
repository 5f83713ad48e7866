"""SMS delivery: the Twilio backend through a fake HTTP client (never the network), and the console one."""

from __future__ import annotations

import logging

import pytest
from django.test import override_settings

from modules.communications.delivery import delivery_send
from modules.communications.models import Delivery, DeliveryStatus
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
    assert delivery.provider_id.startswith("SM") and len(delivery.provider_id) == 34
    assert delivery.attempt_log.get().succeeded


def test_it_fails_at_once_when_twilio_refuses_the_number():
    delivery = queue_sms(address="+1 555 0100")
    http = FakeTwilioHttpClient(refuse=(400, 21211, "The 'To' number +15550100 is not a valid phone number."))

    assert delivery_send(delivery_id=delivery.pk, sms_backend=twilio(http)) == DeliveryStatus.FAILED

    delivery.refresh_from_db()
    assert len(http.requests) == 1
    assert delivery.attempts == 1 and delivery.next_attempt_at is None  # retrying cannot fix a bad number
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


def test_it_uses_the_console_backend_by_default(caplog):
    delivery = queue_sms()
    assert isinstance(get_sms_backend(), ConsoleSmsBackend)

    with caplog.at_level(logging.INFO, logger="modules.communications.sms"):
        assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.SENT

    delivery.refresh_from_db()
    assert delivery.provider_id.startswith("console-")
    assert "SMS to +1 (555) 010-0100" in caplog.text and delivery.body_text in caplog.text


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
