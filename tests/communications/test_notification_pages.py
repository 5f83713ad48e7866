"""The bell, the notification list and each person's channel settings."""

from __future__ import annotations

import pytest
from django.urls import reverse

from modules.communications.kinds import kinds_all
from modules.communications.models import Notification, NotificationPreference

pytestmark = pytest.mark.django_db
BELL = reverse("communications:notification_bell")
LIST = reverse("communications:notification_list")


def note(user, title="Olive was absent today", url="/"):
    count = Notification.objects.count()
    return Notification.objects.create(
        recipient=user, kind="absence", title=title, url=url, key=f"test:{count}"
    )


def test_it_shows_the_unread_count_on_the_bell_of_every_page(as_user, guardian, school):
    note(guardian)
    note(guardian, "Second")
    page = as_user(guardian).get(reverse("home")).content.decode()
    assert "Notifications: 2 unread" in page
    assert 'data-unread="2"' in page


def test_it_answers_204_while_nothing_changed_and_the_new_bell_when_something_did(as_user, guardian, school):
    client = as_user(guardian)
    first = note(guardian)
    response = client.get(BELL, {"seen": "0-0"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert f"seen={first.pk}-1" in response.content.decode()
    assert client.get(BELL, {"seen": f"{first.pk}-1"}).status_code == 204
    second = note(guardian, "Grades published")
    response = client.get(BELL, {"seen": f"{first.pk}-1"})
    assert response.status_code == 200
    assert 'data-unread="2"' in response.content.decode()
    assert f"seen={second.pk}-2" in response.content.decode()


def test_it_keeps_the_bell_poll_within_two_queries(as_user, guardian, school, queries_exactly):
    client = as_user(guardian)
    notification = note(guardian)
    client.get(BELL)
    with queries_exactly(2):
        assert client.get(BELL, {"seen": f"{notification.pk}-1"}).status_code == 204


def test_it_counts_only_the_users_own_unread_notifications(as_user, guardian, other_guardian, school):
    note(other_guardian)
    read = note(guardian)
    read.read_at = read.created_at
    read.save()
    response = as_user(guardian).get(BELL, {"seen": "x"})
    assert "Notifications: 0 unread" in response.content.decode()


def test_it_lists_notifications_newest_first_and_marks_them_read(as_user, guardian, school):
    note(guardian, "Older news")
    note(guardian, "Newer news")
    client = as_user(guardian)
    page = client.get(LIST).content.decode()
    assert page.index("Newer news") < page.index("Older news")
    assert "2 unread notifications." in page
    response = client.post(reverse("communications:notification_mark_read"), follow=True)
    assert "All notifications are marked as read." in response.content.decode()
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_it_opens_a_notification_where_it_leads_and_marks_it_read(as_user, guardian, school):
    item = note(guardian, url=reverse("people:student_detail", args=[school.child.pk]))
    response = as_user(guardian).get(reverse("communications:notification_open", args=[item.pk]))
    assert response.status_code == 302
    assert response.url == item.url
    item.refresh_from_db()
    assert item.read_at is not None


def test_it_never_opens_another_persons_notification(as_user, guardian, other_guardian, school):
    item = note(other_guardian)
    assert (
        as_user(guardian).get(reverse("communications:notification_open", args=[item.pk])).status_code == 404
    )
    response = as_user(guardian).post(reverse("communications:notification_mark_read"), {"id": item.pk})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.read_at is None


def test_it_does_not_follow_a_link_to_another_site(as_user, guardian, school):
    item = note(guardian, url="https://evil.example/")
    response = as_user(guardian).get(reverse("communications:notification_open", args=[item.pk]))
    assert response.url == LIST


def test_it_saves_each_kinds_channels(as_user, guardian, school):
    client = as_user(guardian)
    page = client.get(reverse("communications:notification_preferences")).content.decode()
    assert 'name="absence-sms" id="absence-sms" checked' in page  # absences go by SMS unless changed
    response = client.post(
        reverse("communications:notification_preferences"),
        {
            "absence-in_app": "on",
            "absence-email": "on",
            "announcement-email": "on",
            "announcement-email_digest": "on",
        },
        follow=True,
    )
    assert "Your notification settings were saved." in response.content.decode()
    absence = NotificationPreference.objects.get(user=guardian, kind="absence")
    assert (absence.in_app, absence.email, absence.sms, absence.email_digest) == (True, True, False, False)
    announcement = NotificationPreference.objects.get(user=guardian, kind="announcement")
    assert (announcement.in_app, announcement.email, announcement.email_digest) == (False, True, True)
    # A guardian sets only the kinds that can reach a guardian (not register reminders, for instance).
    stored = set(NotificationPreference.objects.filter(user=guardian).values_list("kind", flat=True))
    assert stored == {kind.key for kind in kinds_all() if "guardian" in kind.roles}
    assert "register_reminder" not in stored
    assert "Register reminder" not in page


def test_it_sends_visitors_to_sign_in(client, db):
    for url in (BELL, LIST, reverse("communications:notification_preferences")):
        assert client.get(url).status_code == 302


def test_it_refuses_get_on_mark_read(as_user, guardian, school):
    assert as_user(guardian).get(reverse("communications:notification_mark_read")).status_code == 405


def test_it_pins_the_queries_of_the_list(as_user, guardian, school, queries_exactly):
    client = as_user(guardian)
    for n in range(3):
        note(guardian, f"Note {n}")
    client.get(LIST)  # warm the session
    with queries_exactly(4):
        response = client.get(LIST)
    assert "Note 2" in response.content.decode()
