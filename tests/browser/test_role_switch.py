"""A teacher who is also a parent switches role the moment a page has loaded, while the bell is asking
for news: the switch holds after a reload.

The bell's request is held on the server from the moment it has loaded the session until the switch has
been answered, and then writes a key of its own before its session is saved: the interleaving that used
to put the old role back (Django saved the poll's whole, stale session over the switch).
"""

from __future__ import annotations

import threading
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.urls import reverse
from playwright.sync_api import expect

from modules.accounts.roles import SESSION_KEY as ROLE
from tests import factories as f

WAIT = 10  # seconds; only a bound for a stuck server, never part of what is asserted


class HeldPoll:
    """Holds the next bell request between loading the session and saving it."""

    def __init__(self):
        self.armed = False
        self.loaded = threading.Event()
        self.release = threading.Event()
        self.saved = threading.Event()

    def install(self, monkeypatch):
        original = SessionMiddleware.process_response
        bell = reverse("communications:notification_bell")

        def process_response(middleware, request, response):
            if not (self.armed and request.path == bell):
                return original(middleware, request, response)
            self.armed = False
            request.session.get(ROLE)  # loaded already by the sign-in check; read, as before the switch
            self.loaded.set()
            self.release.wait(WAIT)
            request.session["bell_seen"] = request.GET.get("seen", "")
            try:
                return original(middleware, request, response)
            finally:
                self.saved.set()

        monkeypatch.setattr(SessionMiddleware, "process_response", process_response)


@pytest.fixture
def teacher_and_parent(teacher, school):
    f.GuardianFactory(user=teacher, first_name="Tom", last_name="Teach", email=teacher.email)
    teacher.guardian_profile.student_links.create(student=school.other_child, relationship="father")
    return teacher


def stored_session(page) -> dict:
    key = next(c["value"] for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    return dict(import_module(settings.SESSION_ENGINE).SessionStore(key).items())


def test_a_switch_made_while_the_bell_polls_holds_after_a_reload(
    page, login, teacher_and_parent, monkeypatch
):
    held = HeldPoll()
    held.install(monkeypatch)
    login(page, teacher_and_parent)
    expect(page.get_by_role("heading", level=1)).to_have_text("Good day, Tom")
    acting_as = page.get_by_label("Acting as")
    expect(acting_as).to_have_value("teacher")

    held.armed = True
    # The bell asks for news, as its timer does.
    page.evaluate(
        "() => { const bell = document.getElementById('bell');"
        " htmx.ajax('GET', bell.getAttribute('hx-get'), {target: bell, swap: 'outerHTML'}); }"
    )
    assert held.loaded.wait(WAIT), "the bell's request did not reach the server"

    # The person picks the other role at once, from the keyboard.
    acting_as.focus()
    page.wait_for_timeout(150)
    acting_as.select_option("guardian")
    expect(page.get_by_text("You are now using the portal as: Parent / guardian.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("My children")

    held.release.set()  # the poll now saves the session it loaded before the switch
    assert held.saved.wait(WAIT), "the bell's request did not finish"

    page.reload()
    expect(page.get_by_label("Acting as")).to_have_value("guardian")
    expect(page.get_by_role("heading", level=1)).to_have_text("My children")
    expect(page.get_by_role("heading", name="Olive Elsewhere")).to_be_visible()
    session = stored_session(page)
    assert session[ROLE] == "guardian"
    assert "bell_seen" in session  # the poll's own write was kept too
