"""Webhooks like the office on a 390 px phone: add an endpoint (the secret shown once), send it a test event
that a real server on loopback receives, read the delivery log; every page axe-clean and no wider than the
screen. (The walking guard skips URL names with "webhook" in them, so these pages are walked here.)"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from modules.webhooks.models import Endpoint
from modules.webhooks.signing import webhook_signature_verify
from tests.browser.test_walk import AXE_JS, AXE_SOURCE, OVERFLOW_JS
from tests.webhooks.receiving import receiving_server


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.STUDENTFLOW_WEBHOOKS_ALLOW_HTTP = True
    settings.STUDENTFLOW_WEBHOOKS_ALLOW_PRIVATE = True


def _axe_clean(page) -> None:
    page.evaluate(AXE_SOURCE + "\n;true")
    violations = page.evaluate(AXE_JS, None)
    assert violations == [], violations
    assert page.evaluate(OVERFLOW_JS) is None


def test_the_office_adds_an_endpoint_and_sends_it_a_test_event(phone_page, login, admin, school):
    page = login(phone_page, admin)
    with receiving_server() as receiver:
        page.goto(reverse("webhooks:endpoints"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")
        _axe_clean(page)
        page.get_by_label("Endpoint URL").fill(receiver.url)
        page.get_by_label("Description").fill("Library system")
        page.get_by_label("Payment recorded (payment.recorded)").check()
        page.get_by_role("button", name="Add the endpoint").click()
        secret = page.get_by_label("Signing secret").input_value()
        assert secret.startswith("whsec_")
        _axe_clean(page)
        page.get_by_role("link", name="Open the endpoint to send it a test event").click()
        expect(page.get_by_text("Nothing was sent to this endpoint yet.")).to_be_visible()
        _axe_clean(page)
        page.get_by_role("button", name="Send a test event").click()
        expect(page.get_by_text("A test event is on its way")).to_be_visible()
        row = page.get_by_role("row").filter(has_text="ping")
        expect(row.get_by_text("Delivered")).to_be_visible()
        expect(row.get_by_text("HTTP 200")).to_be_visible()
        _axe_clean(page)
        [request] = receiver.requests
    assert json.loads(request.body)["type"] == "ping"
    assert webhook_signature_verify(secret, request.headers["StudentFlow-Signature"], request.body)
    assert Endpoint.objects.get().description == "Library system"
