"""The office's delivery log: list with filters, detail with attempts, retrying failures."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from modules.communications.models import Delivery, DeliveryAttempt, DeliveryStatus
from tests.fakes import queue_delivery

pytestmark = pytest.mark.django_db

LIST = reverse("communications:delivery_list")
RETRY_FAILED = reverse("communications:delivery_retry_failed")


def detail(delivery) -> str:
    return reverse("communications:delivery_detail", kwargs={"pk": delivery.pk})


def retry(delivery) -> str:
    return reverse("communications:delivery_retry", kwargs={"pk": delivery.pk})


def failed(**fields) -> Delivery:
    delivery = queue_delivery(
        status=DeliveryStatus.FAILED,
        attempts=5,
        last_error="The mail server refused the message: 550 5.7.1 Message rejected as spam",
        **fields,
    )
    DeliveryAttempt.objects.create(delivery=delivery, error=delivery.last_error)
    return delivery


# ------------------------------------------------------------------------------------------------- the list


def test_it_lists_deliveries_with_status_and_error_for_the_office(admin, as_user):
    broken = failed(recipient_name="Pat Parent")
    sent = queue_delivery(
        key="test:sms",
        channel="sms",
        kind="absence",
        recipient_name="Otto Elsewhere",
        address="+1 555 0199",
        subject="",
        body_text="StudentFlow: Olive was absent today.",
        status=DeliveryStatus.SENT,
    )

    response = as_user(admin).get(LIST)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Delivery log" in page
    assert "2 deliveries" in page
    assert "Pat Parent" in page
    assert "parent@school.test" in page
    assert "Failed" in page
    assert "550 5.7.1 Message rejected as spam" in page
    assert "Otto Elsewhere" in page
    assert "StudentFlow: Olive was absent today." in page
    assert "Sent" in page
    assert f'action="{retry(broken)}"' in page
    assert retry(sent) not in page
    assert f'action="{RETRY_FAILED}"' in page
    assert 'scope="col"' in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "failed"}, {"Failing Fay"}),
        ({"channel": "sms"}, {"Texted Tim"}),
        ({"kind": "absence"}, {"Texted Tim"}),
        ({"q": "fay@"}, {"Failing Fay"}),
        ({"q": "tim"}, {"Texted Tim"}),
        ({"since": "2025-03-02"}, {"Texted Tim"}),
        ({"until": "2025-03-01"}, {"Failing Fay"}),
        ({"since": "2025-03-01", "until": "2025-03-01"}, {"Failing Fay"}),
    ],
)
def test_it_filters_the_log(admin, as_user, query, expected):
    march_1 = datetime.datetime(2025, 3, 1, 23, 30, tzinfo=timezone.get_current_timezone())  # school time
    failed(recipient_name="Failing Fay", address="fay@school.test", created_at=march_1)
    queue_delivery(
        key="test:tim",
        channel="sms",
        kind="absence",
        recipient_name="Texted Tim",
        address="+1 555 0123",
        status=DeliveryStatus.SENT,
        created_at=march_1 + datetime.timedelta(hours=1),
    )

    response = as_user(admin).get(LIST, query)

    shown = {name for name in ("Failing Fay", "Texted Tim") if name in response.content.decode()}
    assert shown == expected


def test_it_says_when_the_dates_are_the_wrong_way_round(admin, as_user):
    failed()
    response = as_user(admin).get(LIST, {"since": "2025-03-05", "until": "2025-03-01"})
    assert response.status_code == 200
    assert "The “from” date is after the “to” date." in response.content.decode()
    assert "0 deliveries" in response.content.decode()


def test_it_says_when_a_date_is_not_a_date(admin, as_user):
    response = as_user(admin).get(LIST, {"since": "yesterday"})
    assert response.status_code == 200
    assert "Enter a valid date." in response.content.decode()


def test_it_answers_htmx_with_the_results_only(admin, as_user):
    failed()
    response = as_user(admin).get(LIST, {"status": "failed"}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "1 delivery" in page
    assert "<h1" not in page
    assert "HX-Request" in response.headers["Vary"]


def test_it_keeps_the_list_to_a_fixed_number_of_queries(admin, as_user, django_assert_max_num_queries):
    client = as_user(admin)
    failed()
    client.get(LIST)  # warm the session
    with django_assert_max_num_queries(8) as few:
        client.get(LIST)
    for n in range(30):
        failed(key=f"test:many:{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(LIST)
    assert "31 deliveries" in response.content.decode()


def test_it_refuses_the_log_to_everyone_but_the_office(teacher, bursar, guardian, as_user, client):
    for user in (teacher, bursar, guardian):
        assert as_user(user).get(LIST).status_code == 403
    client.logout()
    assert client.get(LIST).status_code == 302


def test_it_answers_405_to_a_post_on_the_list(admin, as_user):
    assert as_user(admin).post(LIST).status_code == 405


# ----------------------------------------------------------------------------------------------- the detail


def test_it_shows_a_deliverys_attempts_and_text(admin, as_user):
    delivery = failed()

    response = as_user(admin).get(detail(delivery))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Sports day moved to Friday" in page
    assert page.count("550 5.7.1 Message rejected as spam") == 2  # the last error, and the attempt's row
    assert "Bring water and a hat." in page
    assert f'action="{retry(delivery)}"' in page
    assert reverse("communications:delivery_email_html", kwargs={"pk": delivery.pk}) in page


def test_it_offers_no_retry_for_a_sent_delivery(admin, as_user):
    delivery = queue_delivery(status=DeliveryStatus.SENT)
    page = as_user(admin).get(detail(delivery)).content.decode()
    assert "No attempt to send it yet." in page
    assert retry(delivery) not in page


def test_it_answers_404_for_an_unknown_delivery(admin, as_user):
    client = as_user(admin)
    assert client.get(reverse("communications:delivery_detail", kwargs={"pk": 99999})).status_code == 404
    assert client.post(reverse("communications:delivery_retry", kwargs={"pk": 99999})).status_code == 404


def test_it_shows_the_html_part_sandboxed(admin, as_user):
    delivery = queue_delivery()
    response = as_user(admin).get(reverse("communications:delivery_email_html", kwargs={"pk": delivery.pk}))
    assert response.status_code == 200
    assert response.content.decode() == "<p>Bring water and a hat.</p>"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "script-src" not in response.headers["Content-Security-Policy"]


def test_it_has_no_html_part_for_an_sms(admin, as_user):
    sms = queue_delivery(channel="sms", body_html="")
    response = as_user(admin).get(reverse("communications:delivery_email_html", kwargs={"pk": sms.pk}))
    assert response.status_code == 404


def test_it_refuses_a_delivery_to_a_teacher(teacher, as_user):
    assert as_user(teacher).get(detail(failed())).status_code == 403


# ------------------------------------------------------------------------------------------------ the retry


def test_it_retries_a_failed_delivery(admin, as_user, django_capture_on_commit_callbacks):
    delivery = failed()

    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(admin).post(retry(delivery), follow=True)

    assert response.redirect_chain[-1][0] == detail(delivery)
    assert "The delivery to Pat Parent is queued again." in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert len(mail.outbox) == 1
    assert list(delivery.attempt_log.values_list("succeeded", flat=True)) == [False, True]


def test_it_refuses_to_retry_a_delivery_that_did_not_fail(admin, as_user):
    delivery = queue_delivery(status=DeliveryStatus.SENT)

    response = as_user(admin).post(retry(delivery), follow=True)

    assert "Only a failed delivery can be retried; this one is “Sent”." in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT


def test_it_answers_405_to_a_get_on_retry(admin, as_user):
    assert as_user(admin).get(retry(failed())).status_code == 405
    assert as_user(admin).get(RETRY_FAILED).status_code == 405


def test_it_refuses_retry_to_a_guardian(guardian, as_user):
    delivery = failed()
    assert as_user(guardian).post(retry(delivery)).status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED


def test_it_retries_every_failed_delivery_in_the_filter(admin, as_user, django_capture_on_commit_callbacks):
    sms = [failed(key=f"test:sms{n}", channel="sms", address="+1 555 0100") for n in range(2)]
    email = failed(key="test:email")
    queue_delivery(key="test:sent-sms", channel="sms", status=DeliveryStatus.SENT)

    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(admin).post(f"{RETRY_FAILED}?channel=sms", follow=True)

    assert response.redirect_chain[-1][0] == f"{LIST}?channel=sms"
    assert "2 failed deliveries are queued again." in response.content.decode()
    for delivery in sms:
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.SENT  # the console SMS backend
    email.refresh_from_db()
    assert email.status == DeliveryStatus.FAILED  # outside the filter: untouched


def test_it_says_when_no_failed_delivery_matches(admin, as_user):
    queue_delivery(status=DeliveryStatus.SENT)
    response = as_user(admin).post(f"{RETRY_FAILED}?status=sent", follow=True)
    assert "No failed deliveries match these filters; nothing was retried." in response.content.decode()


def test_it_retries_nothing_when_the_filter_is_invalid(admin, as_user):
    delivery = failed()
    response = as_user(admin).post(f"{RETRY_FAILED}?since=2025-03-05&until=2025-03-01", follow=True)
    assert "These filters are not valid, so nothing was retried." in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
