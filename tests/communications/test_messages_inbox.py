"""The inbox: the user's threads with the other people, the latest words, and an unread count each."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from modules.communications.messaging import message_post, thread_start

pytestmark = pytest.mark.django_db
INBOX = reverse("communications:message_inbox")


def start(sender, recipient, subject="Homework", body="Is there homework this weekend?"):
    return thread_start(sender=sender, recipient=recipient, subject=subject, body=body)


def test_it_lists_the_users_threads_with_the_other_person_and_the_latest_words(
    as_user, school, guardian, teacher, other_guardian, other_teacher
):
    thread = start(guardian, teacher)
    message_post(thread=thread, sender=teacher, body="Yes: exercises 4 to 9.")
    start(other_guardian, other_teacher, subject="Another family's worry")
    page = as_user(guardian).get(INBOX).content.decode()
    assert "Homework" in page
    assert "With Tom Teach" in page
    assert "Yes: exercises 4 to 9." in page
    assert reverse("communications:thread_detail", args=[thread.pk]) in page
    assert "Another family&#x27;s worry" not in page
    assert "Another family's worry" not in page


def test_it_counts_unread_messages_per_thread_until_the_thread_is_opened(as_user, school, guardian, teacher):
    thread = start(guardian, teacher)
    message_post(thread=thread, sender=guardian, body="And is there a test on Friday?")
    client = as_user(teacher)
    assert "2 unread messages" in client.get(INBOX).content.decode()
    client.get(reverse("communications:thread_detail", args=[thread.pk]))
    assert "unread message" not in client.get(INBOX).content.decode()
    # The sender's own messages are never unread for them.
    assert "unread message" not in as_user(guardian).get(INBOX).content.decode()


def test_it_counts_only_what_came_after_the_last_visit(as_user, school, guardian, teacher):
    thread = start(guardian, teacher)
    client = as_user(teacher)
    client.get(reverse("communications:thread_detail", args=[thread.pk]))
    message_post(thread=thread, sender=guardian, body="One more thing.")
    page = client.get(INBOX).content.decode()
    assert "1 unread message" in page
    assert "2 unread" not in page


def test_it_shows_the_newest_conversation_first(as_user, school, guardian, teacher, admin):
    start(guardian, teacher, subject="Older question")
    start(guardian, admin, subject="Newer question")
    page = as_user(guardian).get(INBOX).content.decode()
    assert page.index("Newer question") < page.index("Older question")


def test_it_invites_a_first_message_when_empty(as_user, school, guardian):
    page = as_user(guardian).get(INBOX).content.decode()
    assert "No messages yet" in page
    assert reverse("communications:message_new") in page


def count_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(INBOX).status_code == 200
    return len(queries)


def test_it_reads_the_inbox_in_the_same_few_queries_however_many_threads(
    as_user, school, guardian, teacher, admin, django_assert_max_num_queries
):
    for n in range(3):
        message_post(thread=start(guardian, teacher, subject=f"Question {n}"), sender=teacher, body="Answer")
    client = as_user(guardian)
    few = count_queries(client)
    for n in range(20):
        thread = start(guardian, admin if n % 2 else teacher, subject=f"More {n}")
        message_post(thread=thread, sender=teacher if n % 2 == 0 else admin, body="Reply")
    with django_assert_max_num_queries(10):
        page = client.get(INBOX).content.decode()
    assert "More 19" in page
    assert page.count("1 unread message") == 23
    assert count_queries(client) == few


def test_it_answers_405_to_a_post(as_user, school, guardian):
    assert as_user(guardian).post(INBOX).status_code == 405


def test_it_sends_visitors_to_log_in(client, school):
    response = client.get(INBOX)
    assert response.status_code == 302
    assert "/login" in response.url
