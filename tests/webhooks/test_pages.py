"""The office's webhooks pages through HTTP, as a signed-in administrator: an endpoint added (its secret shown
once), the form's refusals, edited, paused and resumed, its secret rolled, a test event sent and logged,
deleted; the delivery log (newest first, paged, "Retry now" only where it can), its query count pinned; the
page's own verification snippet checking a real delivery; and everyone else kept out."""

from __future__ import annotations

import datetime
import html
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from modules.core.models import AuditEvent
from modules.webhooks.models import Delivery, DeliveryStatus, Endpoint
from modules.webhooks.services import MAX_ENDPOINTS

pytestmark = pytest.mark.django_db

ENDPOINTS = reverse("webhooks:endpoints")


def _secret(page: str) -> str:
    return re.search(r'id="endpoint-secret" type="text" readonly value="(whsec_[^"]+)"', page).group(1)


def test_the_office_adds_an_endpoint_whose_secret_is_shown_once(as_user, admin, receiver):
    office = as_user(admin)
    response = office.post(
        ENDPOINTS,
        {
            "url": receiver.url,
            "description": "Library system",
            "events": ["payment.recorded", "student.left"],
        },
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    secret = _secret(response.content.decode())
    endpoint = Endpoint.objects.get()
    assert (endpoint.url, endpoint.description, endpoint.events, endpoint.created_by) == (
        receiver.url,
        "Library system",
        ["payment.recorded", "student.left"],
        admin,
    )
    assert endpoint.secret == secret
    listing = office.get(ENDPOINTS).content.decode()
    assert secret not in listing
    assert receiver.url in listing
    assert "Active" in listing
    event = AuditEvent.objects.get(action="webhooks.endpoint_create")
    assert event.actor == admin
    assert secret not in json.dumps(event.after)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"url": "", "events": ["payment.recorded"]}, "Enter the address that receives the events."),
        ({"url": "not a url", "events": ["payment.recorded"]}, "Enter a valid URL."),
        ({"url": "https://hooks.example.org/x"}, "Choose at least one event."),
        (
            {"url": "https://hooks.example.org/x", "events": ["grades.everything"]},
            "Select a valid choice. grades.everything is not one of the available choices.",
        ),
    ],
)
def test_the_form_says_what_is_wrong(as_user, admin, data, message):
    response = as_user(admin).post(ENDPOINTS, data)
    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())
    assert not Endpoint.objects.exists()


def test_it_refuses_http_and_private_addresses_on_the_form(settings, as_user, admin, receiver):
    settings.STUDENTFLOW_WEBHOOKS_ALLOW_HTTP = False
    response = as_user(admin).post(ENDPOINTS, {"url": receiver.url, "events": ["payment.recorded"]})
    assert response.status_code == 400
    assert (
        "The address must start with https:// (deliveries are sent encrypted)." in response.content.decode()
    )
    settings.STUDENTFLOW_WEBHOOKS_ALLOW_PRIVATE = False
    response = as_user(admin).post(
        ENDPOINTS, {"url": "https://127.0.0.1/hooks", "events": ["payment.recorded"]}
    )
    assert response.status_code == 400
    assert (
        "127.0.0.1 leads to 127.0.0.1, an address inside a private network or this server: webhooks are only "
        "sent to addresses on the public internet."
    ) in response.content.decode()
    assert not Endpoint.objects.exists()


def test_it_holds_at_most_twenty_endpoints(as_user, admin, receiver, subscribe):
    for _ in range(MAX_ENDPOINTS):
        subscribe("payment.recorded")
    office = as_user(admin)
    assert "the most it may have" in office.get(ENDPOINTS).content.decode()
    response = office.post(ENDPOINTS, {"url": receiver.url, "events": ["payment.recorded"]})
    assert response.status_code == 400
    assert "The school has 20 endpoints, the most it may have: delete one first." in response.content.decode()
    assert Endpoint.objects.count() == MAX_ENDPOINTS


def test_the_office_edits_an_endpoint(as_user, admin, receiver, subscribe):
    endpoint, _secret = subscribe("payment.recorded")
    office = as_user(admin)
    url = reverse("webhooks:endpoint_edit", args=[endpoint.pk])
    page = office.get(url).content.decode()
    assert 'value="payment.recorded" id="id_events_2" checked' in page or "checked" in page
    refused = office.post(url, {"url": receiver.url, "events": []})
    assert refused.status_code == 400
    assert "Choose at least one event." in refused.content.decode()
    response = office.post(
        url,
        {"url": receiver.url, "description": "Canteen", "events": ["register.submitted", "student.enrolled"]},
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.description, endpoint.events) == ("Canteen", ["register.submitted", "student.enrolled"])
    event = AuditEvent.objects.get(action="webhooks.endpoint_update")
    assert event.before["events"] == ["payment.recorded"]


def test_the_office_pauses_and_resumes_an_endpoint(as_user, admin, subscribe):
    endpoint, _secret = subscribe("payment.recorded")
    office = as_user(admin)
    page = office.post(reverse("webhooks:endpoint_pause", args=[endpoint.pk]), follow=True).content.decode()
    assert "The endpoint is paused: no event is sent to it until you resume it." in page
    assert "Paused by the office since" in page
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert "Paused by the office" in office.get(ENDPOINTS).content.decode()
    page = office.post(reverse("webhooks:endpoint_resume", args=[endpoint.pk]), follow=True).content.decode()
    assert "The endpoint is resumed: events are sent to it again." in page
    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert [e.action for e in AuditEvent.objects.order_by("pk")][-2:] == [
        "webhooks.endpoint_pause",
        "webhooks.endpoint_resume",
    ]


def test_the_office_rolls_the_secret_and_sees_the_new_one_once(
    as_user, admin, receiver, subscribe, django_capture_on_commit_callbacks
):
    endpoint, old = subscribe("payment.recorded")
    office = as_user(admin)
    response = office.post(reverse("webhooks:endpoint_roll", args=[endpoint.pk]))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    new = _secret(response.content.decode())
    assert new != old
    assert new not in office.get(reverse("webhooks:endpoint", args=[endpoint.pk])).content.decode()
    endpoint.refresh_from_db()
    assert (endpoint.secret, endpoint.previous_secret) == (new, old)


def test_the_office_sends_a_test_event_that_is_logged_and_verifies_with_the_pages_snippet(
    as_user, admin, receiver, subscribe, django_capture_on_commit_callbacks
):
    endpoint, secret = subscribe("payment.recorded")
    office = as_user(admin)
    with django_capture_on_commit_callbacks(execute=True):
        page = office.post(
            reverse("webhooks:endpoint_ping", args=[endpoint.pk]), follow=True
        ).content.decode()
    assert "A test event is on its way" in page
    [request] = receiver.requests
    assert request.headers["StudentFlow-Event"] == "ping"
    assert json.loads(request.body)["data"]["message"].startswith("A test event from StudentFlow")
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    log = office.get(reverse("webhooks:endpoint", args=[endpoint.pk])).content.decode()
    assert "Delivered" in log
    assert "HTTP 200" in log
    assert str(delivery.event_id) in log
    # The snippet the office gives the receiving system's developers, run as they would run it.
    listing = office.get(ENDPOINTS).content.decode()
    snippet = html.unescape(re.search(r'<code id="verify-snippet">(.*?)</code>', listing, re.S).group(1))
    namespace: dict = {}
    exec(compile(snippet, "snippet", "exec"), namespace)
    verify = namespace["webhook_signature_verify"]
    assert verify(secret, request.headers["StudentFlow-Signature"], request.body)
    assert not verify(secret, request.headers["StudentFlow-Signature"], request.body + b"x")
    assert not verify("whsec_other", request.headers["StudentFlow-Signature"], request.body)


def test_a_test_event_that_fails_is_not_retried(
    as_user, admin, receiver, subscribe, django_capture_on_commit_callbacks
):
    endpoint, _secret = subscribe("payment.recorded")
    receiver.answer(404)
    with django_capture_on_commit_callbacks(execute=True):
        as_user(admin).post(reverse("webhooks:endpoint_ping", args=[endpoint.pk]))
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.last_error) == (
        DeliveryStatus.ABANDONED,
        "The server answered 404 Not Found.",
    )
    page = as_user(admin).get(reverse("webhooks:endpoint", args=[endpoint.pk])).content.decode()
    assert "Given up" in page
    assert "The server answered 404 Not Found." in page
    assert "Retry now" in page


def test_the_office_deletes_an_endpoint_with_its_log(as_user, admin, subscribe):
    endpoint, _secret = subscribe("payment.recorded")
    Delivery.objects.create(endpoint=endpoint, event="payment.recorded", payload={})
    page = (
        as_user(admin)
        .post(reverse("webhooks:endpoint_delete", args=[endpoint.pk]), follow=True)
        .content.decode()
    )
    assert f"The endpoint {endpoint.url} is deleted." in page
    assert not Endpoint.objects.exists()
    assert not Delivery.objects.exists()
    assert AuditEvent.objects.filter(action="webhooks.endpoint_delete").exists()


def _log(endpoint, count: int) -> list[Delivery]:
    now = timezone.now()
    rows = []
    for number in range(count):
        delivery = Delivery.objects.create(
            endpoint=endpoint,
            event="payment.recorded",
            payload={},
            status=[DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED, DeliveryStatus.ABANDONED][number % 3],
            attempts=1,
            last_status_code=500,
            last_error="The server answered 500 Internal Server Error.",
            next_attempt_at=now + datetime.timedelta(minutes=5),
        )
        rows.append(delivery)
    return rows


def test_the_log_is_newest_first_paged_and_offers_retry_only_where_it_can(as_user, admin, subscribe):
    endpoint, _secret = subscribe("payment.recorded")
    rows = _log(endpoint, 30)
    office = as_user(admin)
    url = reverse("webhooks:endpoint", args=[endpoint.pk])
    first = office.get(url)
    assert [d.pk for d in first.context["page"].object_list] == [d.pk for d in reversed(rows)][:25]
    page = first.content.decode()
    assert "Page 1 of 2" in page
    retryable = [d for d in first.context["page"].object_list if d.status != DeliveryStatus.SUCCEEDED]
    assert 0 < len(retryable) < 25
    assert page.count("Retry now") == len(retryable)  # not on the delivered ones
    assert "Next try:" in page
    second = office.get(url, {"page": 2}, headers={"HX-Request": "true"})
    assert "<html" not in second.content.decode()
    assert "HX-Request" in second.headers["Vary"]
    assert [d.pk for d in second.context["page"].object_list] == [d.pk for d in reversed(rows)][25:]


def test_the_log_takes_the_same_queries_however_long(as_user, admin, subscribe, queries_exactly):
    endpoint, _secret = subscribe("payment.recorded")
    office = as_user(admin)
    url = reverse("webhooks:endpoint", args=[endpoint.pk])
    _log(endpoint, 3)
    office.get(url)
    with queries_exactly(5):
        office.get(url)
    _log(endpoint, 40)
    with queries_exactly(5):
        office.get(url)


def test_another_endpoints_delivery_or_an_unknown_one_is_404(as_user, admin, subscribe):
    endpoint, _secret = subscribe("payment.recorded")
    office = as_user(admin)
    assert office.get(reverse("webhooks:endpoint", args=[endpoint.pk + 1])).status_code == 404
    assert office.post(reverse("webhooks:delivery_retry", args=[12345])).status_code == 404


def test_it_answers_only_the_methods_it_takes(as_user, admin, subscribe):
    endpoint, _secret = subscribe("payment.recorded")
    office = as_user(admin)
    for name in ("endpoint_pause", "endpoint_resume", "endpoint_roll", "endpoint_ping", "endpoint_delete"):
        assert office.get(reverse(f"webhooks:{name}", args=[endpoint.pk])).status_code == 405
    assert office.post(reverse("webhooks:endpoint", args=[endpoint.pk])).status_code == 405
    assert office.put(ENDPOINTS).status_code == 405


@pytest.mark.parametrize("persona", ["teacher", "bursar", "guardian", "student"])
def test_everyone_but_the_office_is_refused(request, as_user, persona, subscribe):
    endpoint, _secret = subscribe("payment.recorded")
    client = as_user(request.getfixturevalue(persona))
    assert client.get(ENDPOINTS).status_code == 403
    assert client.get(reverse("webhooks:endpoint", args=[endpoint.pk])).status_code == 403
    assert client.post(reverse("webhooks:endpoint_roll", args=[endpoint.pk])).status_code == 403
    assert client.post(reverse("webhooks:endpoint_delete", args=[endpoint.pk])).status_code == 403
    assert Endpoint.objects.filter(pk=endpoint.pk).exists()


def test_the_menu_links_the_office_to_the_webhooks(as_user, admin, teacher):
    assert f'href="{ENDPOINTS}"' in as_user(admin).get("/").content.decode()
    assert f'href="{ENDPOINTS}"' not in as_user(teacher).get("/").content.decode()
