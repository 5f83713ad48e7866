"""Single sign-on in Chromium, on a 390 px phone: the sign-in page offers the providers the office switched
on (axe-clean, no wider than the screen), and pressing "Sign in with Google" takes the browser to Google:
the page's content security policy lets its form lead there (browsers hold a form's redirects to the page's
`form-action`). Google itself is answered by the test (this machine reaches no other site); the portal's side
of the round trip is tested through HTTP in tests/accounts/test_sso.py."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.urls import reverse
from playwright.sync_api import expect

from modules.accounts.sso import sso_provider_save
from tests.browser.test_privacy import _axe_clean


def test_sign_in_with_google_leads_to_google_within_the_pages_policy(phone_page, admin, db):
    sso_provider_save(
        kind="google",
        data={
            "enabled": True,
            "client_id": "google-client",
            "secret": "google-s3cr3t",
            "domains": ["school.test"],
            "idp_enforces_mfa": False,
        },
        by=admin,
    )
    page = phone_page
    refused = []
    page.on(
        "console",
        lambda message: refused.append(message.text) if "Content Security" in message.text else None,
    )
    google = []

    def answer_as_google(route):
        google.append(route.request.url)
        route.fulfill(
            status=200, content_type="text/html", body="<!doctype html><title>Google</title><p>Google"
        )

    page.route("https://accounts.google.com/**", answer_as_google)
    page.goto(reverse("account_login"))
    button = page.get_by_role("button", name="Sign in with Google")
    expect(button).to_be_visible()
    _axe_clean(page)
    button.click()
    page.wait_for_url("https://accounts.google.com/**")
    assert refused == []
    (asked,) = google
    query = parse_qs(urlsplit(asked).query)
    assert query["client_id"] == ["google-client"]
    assert query["hd"] == ["school.test"]
    assert query["redirect_uri"][0].endswith("/accounts/google/login/callback/")
