"""A teacher takes the register in a real browser (Playwright driving Debian's Chromium, as the browser tests
do): home → the 40-student register → 3 absent and 1 late, each saved (its row says "Saved") — wall time,
with the browser's cache warm (the same browser profile as the run before) and cold (a new one each run).

The portal is served as deployments serve it: the Procfile's gunicorn command (2 sync workers), DEBUG off,
cached templates, static files through WhiteNoise, on the bench database (portal.settings.bench: the same
database and session store this process writes the teacher's session to). The bench register (`Bench 40`,
attendance_register.py) has 25 students with a photo, as in the issue's measure: their thumbnails are what
the warm cache keeps. Each run first takes back the marks of the run before (a DELETE of four rows, inside
the timed run: well under a millisecond of its hundreds), so that every run makes the same four changes.

Playwright's sync API keeps an event loop in the thread that starts it; it runs in a thread of its own here,
so that the in-process measures after this one (the test client) are not run inside that loop.
"""

from __future__ import annotations

import atexit
import os
import queue
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from django.urls import reverse

from bench.registry import measure

RUNS, WARMUP = 10, 2
WARM = "the same browser profile as the run before (warm cache)."
COLD = "a new browser profile each run (cold cache)."
ABSENT, LATE = 3, 1
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


class _Portal:
    """gunicorn serving the bench database, started once for both measures and stopped at exit."""

    _started: _Portal | None = None

    def __init__(self):
        from django.conf import settings

        from bench import load

        self.port = load._free_port()
        self.work_dir = Path(tempfile.mkdtemp(prefix="studentflow-browser-bench-"))
        env = load.server_environment(self.port, settings.SECRET_KEY, self.work_dir)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "portal.settings.bench",
                "STUDENTFLOW_VAR_DIR": str(settings.VAR_DIR),  # the bench database, queue and media
                "WEB_CONCURRENCY": "2",
            }
        )
        load.collect_static(env)
        self.process, self.command = load.start_gunicorn(env, self.port, [])
        self.url = f"http://127.0.0.1:{self.port}"
        atexit.register(self.stop)

    def stop(self) -> None:
        from bench import load

        load.stop(self.process)
        shutil.rmtree(self.work_dir, ignore_errors=True)

    @classmethod
    def get(cls) -> _Portal:
        if cls._started is None:
            cls._started = cls()
        return cls._started


class _Browser:
    """One Chromium, driven from a thread of its own: `call(fn)` runs fn(browser) there and returns."""

    _started: _Browser | None = None

    def __init__(self):
        self.jobs: queue.Queue = queue.Queue()
        ready: queue.Queue = queue.Queue()
        threading.Thread(target=self._serve, args=(ready,), daemon=True).start()
        error = ready.get()
        if error:
            raise error
        atexit.register(lambda: self.jobs.put(None))

    def _serve(self, ready: queue.Queue) -> None:
        from playwright.sync_api import sync_playwright

        path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
        try:
            playwright = sync_playwright().start()
            browser = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_FLAGS)
        except Exception as error:  # reported by the measure (no Chromium, no Playwright)
            ready.put(error)
            return
        ready.put(None)
        while (job := self.jobs.get()) is not None:
            fn, answer = job
            try:
                answer.put((fn(browser), None))
            except Exception as error:
                answer.put((None, error))
        browser.close()
        playwright.stop()

    def call(self, fn: Callable):
        answer: queue.Queue = queue.Queue()
        self.jobs.put((fn, answer))
        result, error = answer.get()
        if error is not None:
            raise error
        return result

    @classmethod
    def get(cls) -> _Browser:
        if cls._started is None:
            cls._started = cls()
        return cls._started


def _session_cookie(bench, email: str, url: str) -> dict:
    from django.conf import settings

    client = bench.client_for(email)
    name = settings.SESSION_COOKIE_NAME
    return {"name": name, "value": client.cookies[name].value, "url": url}


# The first n rows say "Saved", and no row is saving or waiting for a retry.
SAVED_JS = """n => {
  const rows = [...document.querySelectorAll("li.register-row")];
  return rows.slice(0, n).every(row => /Saved/.test(row.querySelector(".register-state")?.textContent || ""))
    && !rows.some(row => row.matches(".is-saving, .is-unsaved"));
}"""


def _take_register(page, register_url: str, section_name: str) -> int:
    """Home → the register → 3 absent, 1 late, each row saved. Returns the register page's bytes."""
    page.goto("/")
    link = page.get_by_role("link", name=f"Register {section_name}")
    with page.expect_response(lambda r: r.url.split("?")[0].endswith(register_url)) as answer:
        # On a day the school is closed (a weekend run) the home lists no register: go there as a link would.
        if link.count():
            link.first.click()
        else:
            page.goto(register_url)
    weight = len(answer.value.body())
    # Waits poll every animation frame: Playwright's expect() backs off to a second between checks, which
    # would be measured as much as what it waits for.
    try:
        page.wait_for_selector('form[data-register][data-ready="true"]', state="attached")
    except Exception as error:
        raise RuntimeError(f"the register did not get ready at {page.url} ({page.title()!r})") from error
    rows = page.locator("li.register-row")
    for index in range(ABSENT + LATE):
        status = "Absent" if index < ABSENT else "Late"
        rows.nth(index).locator(".register-buttons label").filter(has_text=status).click()  # the button
    page.wait_for_function(SAVED_JS, arg=ABSENT + LATE, polling="raf")
    return weight


def _flow(bench, *, warm: bool):
    from bench.measures.attendance_register import BENCH_TEACHER_EMAIL, bench_register
    from bench.runner import BenchError
    from modules.attendance.models import AttendanceRecord

    register = bench_register()
    portal, browser = _Portal.get(), _Browser.get()
    register_url = reverse("attendance:register_detail", args=[register.pk])
    cookie = _session_cookie(bench, BENCH_TEACHER_EMAIL, portal.url)
    section_name = register.section.name
    requests: list[int] = []
    kept: dict = {}

    def new_context(chromium):
        context = chromium.new_context(
            base_url=portal.url, viewport={"width": 1280, "height": 900}, locale="en-US"
        )
        context.set_default_timeout(15_000)
        context.add_cookies([cookie])
        return context

    def one_run(chromium) -> int:
        context = kept.get("context") if warm else None
        if context is None:
            context = new_context(chromium)
            if warm:
                kept["context"] = context
        page = context.new_page()
        count = [0]
        page.on("request", lambda request: count.__setitem__(0, count[0] + 1))
        try:
            weight = _take_register(page, register_url, section_name)
        finally:
            page.close()
            if not warm:
                context.close()
        requests.append(count[0])
        return weight

    def run():
        AttendanceRecord.objects.filter(register=register).delete()
        weight = browser.call(one_run)
        if not weight:
            raise BenchError("the register page was empty")
        run.note = (  # type: ignore[attr-defined]
            f"Register page {weight / 1000:.1f} KB (HTML, uncompressed); "
            f"{min(requests[-RUNS:])}–{max(requests[-RUNS:])} requests a run as the page sees them (those "
            f"the browser's cache answers included), served by `{portal.command}` with "
            "portal.settings.bench; " + (WARM if warm else COLD)
        )

    run.note = ""  # type: ignore[attr-defined]
    return run


@measure(
    "browser: home → register, 3 absent + 1 late saved (warm cache)",
    budget_ms=500,
    runs=RUNS,
    warmup=WARMUP,
)
def browser_register_warm(bench):
    return _flow(bench, warm=True)


@measure(
    "browser: home → register, 3 absent + 1 late saved (cold cache)",
    budget_ms=800,
    runs=RUNS,
    warmup=WARMUP,
)
def browser_register_cold(bench):
    return _flow(bench, warm=False)
