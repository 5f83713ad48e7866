"""Browser tests: Playwright (Python) driving Debian's Chromium against a live server (started as
tests/browser/chromium.py says)."""

from __future__ import annotations

import os

import pytest

from tests.browser.chromium import CHROMIUM_FLAGS, chromium_path

# Playwright's sync API runs an event loop in this thread; fixtures' ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _chromium_path() -> str:
    path = chromium_path()
    if not os.path.exists(path):
        pytest.fail(
            f"Chromium not found at {path}. Install Debian's chromium package (`make test` does) "
            "or set CHROMIUM_PATH."
        )
    return path


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=_chromium_path(), headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-US"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="en-US",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def login(password):
    """Sign in through the real login form, like a person: `login(page, teacher)`."""

    def sign_in(page, user):
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/")
        return page

    return sign_in


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Browser tests are marked, and run after every other test (after pytest-django's ordering by database
    use): the session's Playwright keeps an event loop running in the main thread from its first test on,
    and the test client cannot call an async view (/health/) from a thread with a running loop."""
    browser = []
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            browser.append(item)
    marked = set(browser)
    items[:] = [item for item in items if item not in marked] + browser
