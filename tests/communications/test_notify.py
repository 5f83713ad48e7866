"""notify(): the one delivery service every module uses."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from modules.communications.kinds import UnknownNotificationKind
from modules.communications.models import Delivery, DeliveryStatus, Notification, NotificationPreference
from modules.communications.services import (
    notify,
    recipients_for_guardians,
    recipients_for_users,
    users_with_profiles,
)
from modules.people.models import Guardian
from tests import factories as f

pytestmark = pytest.mark.django_db


def announcement(author, title="Sports day moved to Friday"):
    from modules.communications.models import Announcement

    return Announcement.objects.create(title=title, body="Bring water and a hat.", author=author)


def test_it_records_an_in_app_notification_and_queues_an_email_by_default(admin, guardian, school):
    item = announcement(admin)
    result = notify(
        recipients_for_users(users_with_profiles().filter(pk=guardian.pk)),
        "announcement",
        {"announcement": item},
        obj=item,
        url="/announcements/1/",
    )
    notification = Notification.objects.get(recipient=guardian)
    assert notification.title == "Sports day moved to Friday"
    assert notification.body == "Bring water and a hat."
    email = Delivery.objects.get(recipient=guardian, channel="email")
    assert email.address == "parent@school.test"
    assert email.subject == "Sports day moved to Friday"
    assert "Bring water and a hat." in email.body_text
    assert "Bring water and a hat." in email.body_html
    assert "http://localhost:8000/announcements/1/" in email.body_text
    assert not Delivery.objects.filter(channel="sms").exists()  # announcements: no SMS unless chosen
    assert (result.notifications, result.deliveries) == (1, 1)


def test_it_never_notifies_the_same_event_twice(admin, guardian, school):
    item = announcement(admin)
    people = recipients_for_users(users_with_profiles().filter(pk=guardian.pk))
    notify(people, "announcement", {"announcement": item}, obj=item)
    again = notify(people, "announcement", {"announcement": item}, obj=item)
    assert (again.notifications, again.deliveries, again.skipped_duplicates) == (0, 0, 2)
    assert Notification.objects.count() == 1
    assert Delivery.objects.count() == 1


def test_it_follows_each_persons_channel_choices(admin, guardian, school):
    NotificationPreference.objects.create(
        user=guardian, kind="announcement", in_app=False, email=True, sms=True, email_digest=True
    )
    item = announcement(admin)
    notify(
        recipients_for_users(users_with_profiles().filter(pk=guardian.pk)),
        "announcement",
        {"announcement": item},
        obj=item,
    )
    assert not Notification.objects.exists()
    assert Delivery.objects.get(channel="email").status == DeliveryStatus.DIGEST
    sms = Delivery.objects.get(channel="sms")
    assert sms.address == "+1 555 0100"
    assert sms.status == DeliveryStatus.QUEUED
    assert "Sports day moved to Friday" in sms.body_text
    assert len(sms.body_text) < 160


def test_it_writes_in_each_recipients_language(admin, guardian, other_guardian, school):
    guardian.language = "es"
    guardian.save()
    item = announcement(admin)
    notify(
        recipients_for_users(users_with_profiles().filter(pk__in=[guardian.pk, other_guardian.pk])),
        "announcement",
        {"announcement": item},
        obj=item,
        url="/announcements/",
    )
    spanish = Delivery.objects.get(recipient=guardian).body_text
    english = Delivery.objects.get(recipient=other_guardian).body_text
    assert "Abrir en el portal" in spanish
    assert "Open in the portal" in english


def test_it_falls_back_to_english_for_an_unknown_language(admin, guardian, school):
    guardian.language = "xx"
    guardian.save()
    item = announcement(admin)
    notify(
        recipients_for_users(users_with_profiles().filter(pk=guardian.pk)),
        "announcement",
        {"announcement": item},
        obj=item,
        url="/announcements/",
    )
    delivery = Delivery.objects.get(recipient=guardian)
    assert delivery.language == "en"
    assert "Open in the portal" in delivery.body_text


def test_it_reaches_a_guardian_without_a_login_by_email_and_logs_a_missing_phone(admin, school):
    contact = f.GuardianFactory(first_name="Nora", last_name="Nologin", email="nora@example.test", phone="")
    item = announcement(admin)
    result = notify(
        recipients_for_guardians([contact]),
        "absence",
        {"student": school.child, "date": item.publish_at},
        obj=item,
    )
    assert not Notification.objects.exists()  # no login, nothing in-app
    email = Delivery.objects.get(channel="email")
    assert email.guardian == contact
    assert email.status == DeliveryStatus.QUEUED
    sms = Delivery.objects.get(channel="sms")
    assert sms.status == DeliveryStatus.FAILED
    assert sms.last_error == "No phone number on file."
    assert result.unreachable == ["Nora Nologin: No phone number on file."]


def test_it_queues_for_many_families_in_a_constant_number_of_queries(admin, school):
    item = announcement(admin)
    few = [f.GuardianFactory() for _ in range(3)]
    many = [f.GuardianFactory() for _ in range(60)]
    with CaptureQueriesContext(connection) as small:
        notify(
            recipients_for_guardians(
                Guardian.objects.filter(pk__in=[g.pk for g in few]).select_related("user")
            ),
            "announcement",
            {"announcement": item},
            event="few",
        )
    with CaptureQueriesContext(connection) as large:
        notify(
            recipients_for_guardians(
                Guardian.objects.filter(pk__in=[g.pk for g in many]).select_related("user")
            ),
            "announcement",
            {"announcement": item},
            event="many",
        )
    # Bulk inserts are cut into batches by the database's parameter limit, never one query per family.
    assert len(large) <= len(small) + 2
    assert Delivery.objects.filter(key__startswith="announcement:many").count() == 60


def test_it_sends_the_queued_email_when_the_transaction_commits(
    admin, guardian, school, django_capture_on_commit_callbacks, mailoutbox
):
    item = announcement(admin)
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            recipients_for_users(users_with_profiles().filter(pk=guardian.pk)),
            "announcement",
            {"announcement": item},
            obj=item,
        )
    assert [message.to for message in mailoutbox] == [["parent@school.test"]]
    assert Delivery.objects.get().status == DeliveryStatus.SENT


def test_it_refuses_an_unknown_kind_or_an_event_without_a_name(guardian, school):
    people = recipients_for_users([guardian])
    with pytest.raises(UnknownNotificationKind, match="'gossip'"):
        notify(people, "gossip", {}, event="x")
    with pytest.raises(ValueError, match="needs the object or an event name"):
        notify(people, "announcement", {})


def test_it_keeps_apostrophes_and_ampersands_as_typed_in_titles_emails_and_sms(admin, guardian, school):
    item = announcement(admin, title="Parents' evening & open day")
    NotificationPreference.objects.create(
        user=guardian, kind="announcement", in_app=True, email=True, sms=True
    )
    notify(
        recipients_for_users(users_with_profiles().filter(pk=guardian.pk)),
        "announcement",
        {"announcement": item},
        obj=item,
    )
    assert Notification.objects.get().title == "Parents' evening & open day"
    assert Delivery.objects.get(channel="email").subject == "Parents' evening & open day"
    assert "Parents' evening & open day" in Delivery.objects.get(channel="sms").body_text
    assert "Parents&#x27; evening &amp; open day" in Delivery.objects.get(channel="email").body_html
