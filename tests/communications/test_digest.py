"""The daily digest: emails waiting as DIGEST go out as one email per address and language, once."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.test import override_settings

from modules.communications.delivery import digest_send
from modules.communications.models import Delivery, DeliveryStatus, NotificationPreference
from modules.communications.services import notify, recipients_for_users, users_with_profiles
from tasks.communications import send_daily_digest
from tests.clock import huey_time
from tests.fakes import RefusingSmtpHandler, queue_delivery, smtp_mailers, smtp_server

pytestmark = pytest.mark.django_db

PORTAL = "http://localhost:8000/x/"


def waiting(subject: str, body: str, **fields) -> Delivery:
    return queue_delivery(
        status=DeliveryStatus.DIGEST,
        subject=subject,
        body_text=f"{subject}\n\n{body}\n\nOpen in the portal: {PORTAL}\n-- \nStudentFlow School\n",
        key=f"test:{subject}:{fields.get('address', 'parent')}",
        **fields,
    )


def test_it_groups_the_days_emails_into_one_per_address():
    first = waiting("Sam was absent on 3 Nov", "Sam was marked absent without an excuse.")
    second = waiting("Sports day moved to Friday", "Bring water and a hat.", address="PARENT@school.test")
    other = waiting(
        "Fees due", "Term 2 fees are due.", address="other.parent@school.test", recipient_name="Otto"
    )

    result = digest_send()

    assert (result.emails, result.deliveries, result.failures) == (2, 3, [])
    by_address = {email.to[0]: email for email in mail.outbox}
    digest = by_address["parent@school.test"]
    assert digest.subject == "StudentFlow School: 2 updates today"
    assert digest.extra_headers["Auto-Submitted"] == "auto-generated"
    assert digest.extra_headers["X-StudentFlow-Delivery"] == f"{first.pk}, {second.pk}"
    assert "1. Sam was absent on 3 Nov\nSam was marked absent without an excuse." in digest.body
    assert "2. Sports day moved to Friday\nBring water and a hat." in digest.body
    assert digest.body.count("-- \n") == 1  # one signature, not one per item
    html = digest.alternatives[0].content
    assert "<h2" in html
    assert "Bring water and a hat." in html
    assert by_address["other.parent@school.test"].subject == "StudentFlow School: 1 update today"
    for delivery in (first, second, other):
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.SENT
        assert delivery.attempt_log.get().succeeded
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.provider_id == second.provider_id == f"digest:{digest.extra_headers['Message-ID']}"


def test_it_writes_each_digest_in_its_language():
    waiting("Sports day", "Bring water.")
    waiting("Journée sportive", "Apportez de l'eau.", language="fr")

    digest_send()

    assert len(mail.outbox) == 2  # same address, two languages: two digests
    by_language = {
        "fr" if 'lang="fr"' in email.alternatives[0].content else "en": email.body for email in mail.outbox
    }
    assert "Journée sportive" in by_language["fr"]
    assert "Sports day" not in by_language["fr"]
    assert "Sports day" in by_language["en"]


def test_it_sends_nothing_twice_when_run_again():
    waiting("Sports day", "Bring water.")

    assert send_daily_digest.call_local() == 1
    assert send_daily_digest.call_local() == 0

    assert len(mail.outbox) == 1


def test_it_leaves_at_once_emails_and_sms_out_of_the_digest():
    queue_delivery(key="test:now")  # QUEUED: sent on its own, not in the digest
    queue_delivery(key="test:sms", channel="sms", status=DeliveryStatus.DIGEST, address="+1 555 0100")

    assert digest_send().emails == 0
    assert mail.outbox == []


def test_it_collects_emails_of_people_who_chose_the_digest(
    guardian, school, django_capture_on_commit_callbacks
):
    NotificationPreference.objects.create(user=guardian, kind="absence", email=True, email_digest=True)
    people = recipients_for_users(users_with_profiles().filter(pk=guardian.pk))
    with django_capture_on_commit_callbacks(execute=True):
        for day in (3, 4):
            notify(
                people,
                "absence",
                {"student": school.child, "date": datetime.date(2025, 11, day)},
                event=f"absence:{day}",
            )
    assert mail.outbox == []  # nothing goes at once

    digest_send()

    [digest] = mail.outbox
    assert "Sam was absent on Monday 3 November 2025" in digest.body  # the house long date (portal/formats)
    assert "Sam was absent on Tuesday 4 November 2025" in digest.body
    assert set(Delivery.objects.filter(channel="email").values_list("status", flat=True)) == {"sent"}


def test_it_keeps_a_refused_digest_for_the_next_run(settings):
    settings.STUDENTFLOW_DELIVERY_MAX_ATTEMPTS = 2
    delivery = waiting("Sports day", "Bring water.")
    handler = RefusingSmtpHandler("554 5.7.1 Relay access denied")

    with smtp_server(handler) as (host, port), override_settings(MAILERS=smtp_mailers(host, port)):
        first = digest_send()
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.DIGEST  # waits for the next digest
        assert delivery.last_error == "The mail server refused the message: 554 5.7.1 Relay access denied"
        assert first.failures == [
            "parent@school.test: The mail server refused the message: 554 5.7.1 Relay access denied"
        ]
        digest_send()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.provider_id) == (DeliveryStatus.FAILED, 2, "")
    assert delivery.attempt_log.count() == 2


@override_settings(TIME_ZONE="America/New_York")
def test_it_goes_out_at_half_past_five_in_the_schools_time_zone():
    at_half_past_five = send_daily_digest.task_class().validate_datetime
    # Huey checks periodic tasks with naive UTC times; New York is UTC-5 in winter, UTC-4 in summer.
    assert at_half_past_five(huey_time(2025, 1, 15, 22, 30))
    assert at_half_past_five(huey_time(2025, 7, 15, 21, 30))
    assert not at_half_past_five(huey_time(2025, 1, 15, 17, 30))
