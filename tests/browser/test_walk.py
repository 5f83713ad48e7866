"""The walking guard: every role's pages, two clicks deep from its home, on a laptop and on a phone.

Each role signs in through the real sign-in form on the small demo school (real rows everywhere: today's
registers, invoices, marks), opens the home page, follows every same-origin link it finds there (the menu
and the home page's own links) and every link on those pages: two clicks deep. Nobody lists the pages: a
new page linked from a menu or a home page is walked the day it appears. Pages that share a URL pattern are
walked once (a list of forty students opens one student). Each page is then opened at 1280×800 and at
390×844 and must have:

- no serious or critical axe-core violation (every axe rule on the laptop; on the phone, where only the CSS
  differs, the rules that depend on the layout: contrast, scrolling regions, target size, viewport);
- nothing wider than the screen (the widest element is named, to help fixing it);
- no console error and no uncaught script error (a blocked inline style or script counts: the CSP stays on,
  axe is injected through the DevTools protocol, which the CSP does not govern);
- no HTTP status of 400 or more, for the page or anything it loads.

Every problem is collected and the test fails once, listing them all. Not walked: signing out, the
language and role switchers (forms, not links), downloads and exports (PDF, spreadsheets, attachments:
anything that is not an HTML page), the Django admin (Django's own screens), the API (JSON, and its docs page:
Swagger UI's screens), and other sites.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import Resolver404, resolve
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from modules.accounts import demo
from modules.demo.seed import demo_school_seed

# Marked so that pytest-django creates the test database even when the walk runs alone; each role's walk runs
# inside a rolled-back transaction on top of the school that demo_server committed once for the module.
pytestmark = pytest.mark.django_db

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
SIZES = {"laptop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
MAX_DEPTH = 2
MAX_PAGES_PER_ROLE = 130
SKIPPED_PREFIXES = (
    "/static/",
    "/media/",
    "/admin/",
    "/api/v1/",
    "/accounts/logout/",
    "/language/",
    "/role/",
    "/health/",
)
# Never fetched, not even to look at their content type: they build a file (slow) or change something.
SKIPPED_NAMES = re.compile(r"pdf|print|export|download|xlsx|template|stripe_webhook|checkout|email_html")
# The phone shows the same HTML with other CSS: only the rules that depend on the layout run again there.
PHONE_AXE_RULES = ["color-contrast", "scrollable-region-focusable", "target-size", "meta-viewport"]

ROLES = {
    "administrator": demo.ADMIN_EMAIL,
    "teacher": demo.TEACHER_EMAIL,
    "guardian": demo.PARENT_EMAIL,
    "student": demo.STUDENT_EMAIL,
    "bursar": demo.BURSAR_EMAIL,
}

OVERFLOW_JS = """() => {
  const root = document.documentElement;
  const limit = root.clientWidth;
  if (root.scrollWidth <= limit) return null;
  const name = (el) => {
    let text = el.tagName.toLowerCase();
    if (el.id) return text + '#' + el.id;
    const classes = Array.from(el.classList).slice(0, 3);
    return text + (classes.length ? '.' + classes.join('.') : '');
  };
  const path = (el) => {
    const parts = [];
    for (let node = el; node && node !== document.body && parts.length < 4; node = node.parentElement) {
      parts.unshift(name(node));
      if (node.id) break;
    }
    return parts.join(' > ');
  };
  // Clipped by a scrolling ancestor, unless it is positioned outside it: an absolutely positioned element
  // is clipped only by ancestors from its containing block (the nearest positioned ancestor) up.
  const clipped = (el) => {
    const position = getComputedStyle(el).position;
    if (position === 'fixed') return false;
    let escaping = position === 'absolute';
    for (let node = el.parentElement; node && node !== document.body; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (escaping && style.position === 'static') continue;
      escaping = false;
      if (style.overflowX !== 'visible') return true;
    }
    return false;
  };
  let widest = null, right = limit + 1;
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= right) continue;
    if (clipped(el)) continue;
    widest = el;
    right = box.right;
  }
  return {scrollWidth: root.scrollWidth, clientWidth: limit, widest: widest ? path(widest) : null,
          right: Math.round(right)};
}"""

AXE_JS = """async (rules) => {
  const options = {resultTypes: ['violations']};
  if (rules) options.runOnly = {type: 'rule', values: rules};
  const result = await axe.run(document, options);
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({
    id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
    targets: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
    summary: (v.nodes[0] && v.nodes[0].failureSummary || '').split('\\n').slice(0, 2).join(' '),
  }));
}"""

LINKS_JS = """() => Array.from(document.querySelectorAll('a[href]'))
  .filter(a => !a.hasAttribute('download')).map(a => a.href)"""


@dataclass
class Walk:
    role: str
    base_url: str
    problems: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)  # HTML pages walked, in the order found
    skipped: list[str] = field(default_factory=list)  # files and downloads, not pages
    seen: set[tuple[str, str]] = field(default_factory=set)
    events: list[str] = field(default_factory=list)  # console and network trouble of the page being walked

    def problem(self, size: str, path: str, text: str) -> None:
        self.problems.append(f"[{self.role} · {size}] {path}: {text}")

    def key(self, path: str) -> tuple[str, str] | None:
        """The page's URL pattern, or None when the link is not to be walked."""
        if path.startswith(SKIPPED_PREFIXES) or path.endswith((".pdf", ".xlsx", ".csv", ".ico")):
            return None
        try:
            match = resolve(path)
        except Resolver404:
            return ("404", path)  # walked, so that the broken link is reported
        if SKIPPED_NAMES.search(match.view_name):
            self.skipped.append(path)
            return None
        return (match.route, match.view_name)

    def local_path(self, href: str) -> str | None:
        url, _fragment = urldefrag(href)
        parts, base = urlsplit(url), urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or parts.netloc != base.netloc:
            return None
        return parts.path + (f"?{parts.query}" if parts.query else "")


def sign_in(context, email: str):
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    return page


def listen(page, walk: Walk) -> None:
    def on_console(message):
        if message.type == "error":
            location = message.location.get("url", "") if message.location else ""
            walk.events.append(f"console error: {message.text}" + (f" ({location})" if location else ""))

    def on_response(response):
        if response.status >= 400:
            walk.events.append(f"HTTP {response.status} for {response.url.replace(walk.base_url, '')}")

    def on_failed(request):
        failure = request.failure or ""
        if "ERR_ABORTED" not in failure:  # a poll cut short by the next navigation is not a failure
            walk.events.append(f"request failed: {request.url.replace(walk.base_url, '')} ({failure})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: walk.events.append(f"script error: {error}"))
    page.on("response", on_response)
    page.on("requestfailed", on_failed)


def settle(page) -> None:
    """Wait until no htmx request of the page is in flight (the page itself has loaded: goto waits for it)."""
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def check(page, walk: Walk, size: str, path: str) -> bool:
    """Open one page and record what is wrong with it. False when it is not an HTML page."""
    walk.events.clear()
    try:
        response = page.goto(path)
    except Exception as error:  # Playwright refuses to "open" a download
        if "Download is starting" in str(error):
            walk.skipped.append(path)
            return False
        raise
    if response is not None and response.status >= 400:
        walk.problem(size, path, f"HTTP {response.status}")
        return False
    content_type = (response.headers.get("content-type", "") if response else "").split(";")[0]
    if content_type != "text/html":
        walk.skipped.append(path)
        return False
    settle(page)
    overflow = page.evaluate(OVERFLOW_JS)
    if overflow:
        walk.problem(
            size,
            path,
            f"wider than the screen ({overflow['scrollWidth']} px for {overflow['clientWidth']} px); "
            f"widest: {overflow['widest']} (right edge at {overflow['right']} px)",
        )
    if page.evaluate("typeof window.axe") == "undefined":
        page.evaluate(AXE_SOURCE + "\n;true")
    for violation in page.evaluate(AXE_JS, PHONE_AXE_RULES if size == "390" else None):
        walk.problem(
            size,
            path,
            f"axe {violation['impact']} {violation['id']} ({violation['help']}) on {violation['count']} "
            f"element(s), e.g. {', '.join(violation['targets'])}: {violation['summary']}",
        )
    for event in dict.fromkeys(walk.events):
        walk.problem(size, path, event)
    return True


def walk_role(browser, base_url: str, role: str, email: str) -> Walk:
    walk = Walk(role=role, base_url=base_url)
    laptop = browser.new_context(base_url=base_url, viewport=SIZES["laptop"], locale="en-US")
    laptop.set_default_timeout(15_000)
    page = sign_in(laptop, email)
    listen(page, walk)
    queue: list[tuple[str, int]] = [("/", 0)]
    while queue and len(walk.pages) < MAX_PAGES_PER_ROLE:
        path, depth = queue.pop(0)
        key = walk.key(path.split("?")[0])
        if key is None or key in walk.seen:
            continue
        walk.seen.add(key)
        if not check(page, walk, "1280", path):
            continue
        walk.pages.append(path)
        if depth < MAX_DEPTH:
            for href in page.evaluate(LINKS_JS):
                local = walk.local_path(href)
                if local is not None:
                    queue.append((local, depth + 1))
    if {walk.key(path.split("?")[0]) for path, _depth in queue} - walk.seen - {None}:
        walk.problems.append(
            f"[{role}] more than {MAX_PAGES_PER_ROLE} kinds of page: raise MAX_PAGES_PER_ROLE so every "
            "page is walked"
        )
    phone = browser.new_context(
        base_url=base_url,
        viewport=SIZES["phone"],
        is_mobile=True,
        has_touch=True,
        locale="en-US",
        storage_state=laptop.storage_state(),
    )
    phone.set_default_timeout(15_000)
    laptop.close()
    phone_page = phone.new_page()
    listen(phone_page, walk)
    for path in walk.pages:
        check(phone_page, walk, "390", path)
    phone.close()
    return walk


def latest_weekday() -> datetime.date:
    day = timezone.localdate()
    while day.weekday() >= 5:
        day -= datetime.timedelta(days=1)
    return day


@pytest.fixture(scope="module")
def demo_server(django_db_setup, django_db_blocker, tmp_path_factory):
    """The small demo school (300 students, today's registers, invoices, marks) behind a live server, loaded
    once for every role's walk (a few seconds) and emptied afterwards, as a transactional test would be.

    "Today" is pinned to the latest weekday (in the server's thread too), so that registers exist."""
    real_localdate = timezone.localdate
    day = latest_weekday()
    with (
        pytest.MonkeyPatch.context() as patch,
        override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")),
        django_db_blocker.unblock(),
    ):
        patch.setattr(
            timezone,
            "localdate",
            lambda value=None, tz=None: day if value is None else real_localdate(value),
        )
        demo_school_seed(size="small", today=day)
        server = LiveServer("localhost")
        try:
            yield server.url
        finally:
            server.stop()
            call_command("flush", interactive=False, verbosity=0)


@pytest.mark.parametrize("role", list(ROLES))
def test_it_walks_every_page_of_the_role_without_a_problem(role, browser, demo_server):
    walk = walk_role(browser, demo_server, role, ROLES[role])

    assert len(walk.pages) >= 5, f"the {role} walk reached only {walk.pages}"
    assert not walk.problems, (
        f"{len(walk.problems)} problem(s) on the {role}'s {len(walk.pages)} pages:\n"
        + "\n".join(walk.problems)
    )
