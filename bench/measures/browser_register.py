"""A teacher takes the register in a real browser (Playwright driving Debian's Chromium, as the browser tests
do): home → the 40-student register → 3 absent and 1 late, each saved (its row says "Saved") — wall time,
with the browser's cache warm (the same browser profile as the run before) and cold (a new one each run).
The time is the teacher's: from the driver's going home to its seeing the last row "Saved" (its own marks,
`_take_register`), not the tab opened before nor the timing read from the page after.

Chromium starts as the browser tests start it (tests/browser/chromium.py: without the headless browser's
own busy work on a window nobody sees). The portal is served as deployments serve it: the Procfile's
gunicorn command (2 sync workers), DEBUG off, cached templates, static files through WhiteNoise as
production stores them (hashed names cached as immutable, gzip and Brotli copies), database connections kept
between requests (production's DATABASE_CONN_MAX_AGE; the bench settings open one a request otherwise), on
the bench database (portal.settings.bench: the same database and session store this process writes the
teacher's session to). The bench register (`Bench 40`, attendance_register.py) has 25 students with a
photo, as in the issue's measure: their thumbnails are what the warm cache keeps. Each run first takes back
the marks of the run before (a DELETE of four rows, inside the timed run: well under a millisecond of its
hundreds), so that every run makes the same four changes.

What is waited for is what the teacher waits for (`_take_register`): the home drawn with its link
(DOMContentLoaded, not `load`: the favicon and the icon font are nobody's wait), the register ready to take
marks (its form's data-ready, set once every listener is bound; not its `load`, which waits for the last
photo), each status button clickable, and every row saying "Saved".

The note says where the time goes, as medians of the runs: the driver's marks (time.time()) against the
pages' own (Navigation and Resource Timing, and marks an init script takes: each pointerdown, data-ready,
each row's first "Saved"; read once the flow is over, so the driver asks the pages nothing in between), and
gunicorn's time per request (its access log, %(D)s). "The driver's click → the page's pointerdown" and "one
click call" are Playwright's own cost (finding the button, waiting for two animation frames of stillness,
the mouse events); "data-ready → the driver sees it" is its first look into a new page. With
STUDENTFLOW_BENCH_BROWSER_TRACE=/tmp/x every run's marks, timings, requests and the renderer's main-thread
durations (DevTools Performance metrics) are written to /tmp/x-warm.json and /tmp/x-cold.json.

Playwright's sync API keeps an event loop in the thread that starts it; it runs in a thread of its own here,
so that the in-process measures after this one (the test client) are not run inside that loop.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from django.urls import reverse

from bench.registry import Elapsed, measure
from tests.browser.chromium import CHROMIUM_FLAGS, chromium_path

RUNS, WARMUP = 10, 2
WARM = "the same browser profile as the run before (warm cache)."
COLD = "a new browser profile each run (cold cache)."
ABSENT, LATE = 3, 1


ACCESS_FORMAT = "%(m)s %(U)s %(s)s %(D)s"
# STUDENTFLOW_BENCH_BROWSER_TRACE=/tmp/x writes every run's marks, timings and requests to /tmp/x-warm.json
# and /tmp/x-cold.json, with the renderer's main-thread durations (DevTools Protocol's Performance metrics).
TRACE_ENV = "STUDENTFLOW_BENCH_BROWSER_TRACE"


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
                # Production's persistent connections (production.py), not one opened per request.
                "DATABASE_CONN_MAX_AGE": "60",
                # Production's static files: hashed, compressed, cached as immutable (collected below).
                "STUDENTFLOW_BENCH_PRODUCTION_STATIC": "1",
            }
        )
        load.collect_static(env)
        # The access log in a file, with each request's time (microseconds), for the breakdown.
        self.access_log = self.work_dir / "access.log"
        self.process, self.command = load.start_gunicorn(
            env, self.port, ["--access-logfile", str(self.access_log), "--access-logformat", ACCESS_FORMAT]
        )
        self.url = f"http://127.0.0.1:{self.port}"
        atexit.register(self.stop)

    def requests_since(self, offset: int) -> tuple[list[tuple[str, str, int, float]], int]:
        """(method, path, status, ms) of the requests logged after `offset`, and the log's new end."""
        try:
            with self.access_log.open("rb") as log:
                log.seek(offset)
                data = log.read()
        except FileNotFoundError:
            return [], offset
        lines = []
        for line in data.decode(errors="replace").splitlines():
            method, path, status, micros = line.split(" ")
            lines.append((method, path, int(status), int(micros) / 1000))
        return lines, offset + len(data)

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

        path = chromium_path()
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

# What the first n rows show (classes, the status checked, the state line), when they were not all saved.
ROWS_SAID_JS = """n => [...document.querySelectorAll("li.register-row")].slice(0, n).map(row => [
  row.className, row.querySelector("input[type=radio]:checked")?.value || "",
  row.querySelector(".register-state")?.textContent.trim() || ""])"""

# The breakdown's marks, as the page sees them (epoch milliseconds: comparable with the driver's time.time()).
# Every page of the run records when a pointer reaches it (one pointerdown a click: a label's click is also
# dispatched to its radio), when the register says it is ready and when each of its first rows first says
# "Saved" (a mutation observer: it notes, it does not wait); its Navigation and Resource Timing entries are
# read at the end, the home's kept in sessionStorage when it is left (the driver asks nothing of the page in
# between: a question is a round trip through the browser, inside the timed run).
MARKS_JS = """(() => {
  const now = () => performance.timeOrigin + performance.now();
  const marks = { pointerdown: [], ready: null, saved: {} };
  addEventListener("pointerdown", () => marks.pointerdown.push(now()), true);
  new MutationObserver(() => {
    if (marks.ready === null && document.querySelector("form[data-register][data-ready=true]")) {
      marks.ready = now();
    }
    document.querySelectorAll("li.register-row").forEach((row, index) => {
      const state = row.querySelector(".register-state")?.textContent || "";
      if (index < ROWS && !(index in marks.saved) && /Saved/.test(state)) marks.saved[index] = now();
    });
  }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true,
                          attributeFilter: ["data-ready", "class"] });
  window.__benchTiming = () => {
    const origin = performance.timeOrigin;
    const [nav] = performance.getEntriesByType("navigation");
    const at = (value) => (value ? origin + value : null);
    return {
      marks,
      navigation: nav && {
        start: origin, requestStart: at(nav.requestStart), responseStart: at(nav.responseStart),
        responseEnd: at(nav.responseEnd), domInteractive: at(nav.domInteractive),
        domContentLoaded: at(nav.domContentLoadedEventEnd), load: at(nav.loadEventEnd),
        transferSize: nav.transferSize,
      },
      resources: performance.getEntriesByType("resource").map((r) => ({
        name: r.name.replace(location.origin, ""), type: r.initiatorType, start: origin + r.startTime,
        end: origin + r.responseEnd, transferSize: r.transferSize, renderBlocking: r.renderBlockingStatus,
      })),
    };
  };
  addEventListener("pagehide", () => sessionStorage.setItem("benchLeft", JSON.stringify(__benchTiming())));
})()""".replace("ROWS", str(ABSENT + LATE))

TIMING_JS = """() => ({ home: JSON.parse(sessionStorage.getItem("benchLeft")), register: __benchTiming() })"""


def _take_register(page, register_url: str, section_name: str, trace: dict):
    """Home → the register → 3 absent, 1 late, each row saved. Returns the register page's response.

    What is waited for is what the teacher waits for: the home's link there to be clicked (DOMContentLoaded:
    the page is drawn and its scripts have run; its `load` would add the favicon and the icon font, which
    no click waits for), the register ready to take marks (its `data-ready`, set once every listener is bound;
    not its `load`, which waits for the last photo thumbnail), each status button clickable (Playwright's
    own checks: visible, stable, enabled, not covered), and every row saying "Saved". `trace` gets the
    driver's marks (time.time(), ms) and both pages' timing, for the note's breakdown."""
    mark = trace.setdefault("driver", {})
    stamp = lambda name: mark.__setitem__(name, time.time() * 1000)  # noqa: E731
    stamp("start")
    page.goto("/", wait_until="domcontentloaded")
    stamp("home")
    link = page.get_by_role("link", name=f"Register {section_name}")
    with page.expect_response(lambda r: r.url.split("?")[0].endswith(register_url)) as answer:
        # On a day the school is closed (a weekend run) the home lists no register: go there as a link would
        # (a click waits for the navigation to start, not for the new page to load).
        stamp("click_link")
        if link.count():
            link.first.click()
        else:
            page.goto(register_url, wait_until="commit")
    stamp("register_response")
    # Waits poll every animation frame: Playwright's expect() backs off to a second between checks, which
    # would be measured as much as what it waits for.
    try:
        page.wait_for_selector('form[data-register][data-ready="true"]', state="attached")
    except Exception as error:
        raise RuntimeError(f"the register did not get ready at {page.url} ({page.title()!r})") from error
    stamp("ready")
    rows = page.locator("li.register-row")
    for index in range(ABSENT + LATE):
        status = "Absent" if index < ABSENT else "Late"
        stamp(f"click{index}")
        rows.nth(index).locator(".register-buttons label").filter(has_text=status).click()  # the button
        stamp(f"clicked{index}")
    try:
        page.wait_for_function(SAVED_JS, arg=ABSENT + LATE, polling="raf")
    except Exception as error:
        said = page.evaluate(ROWS_SAID_JS, ABSENT + LATE)
        raise RuntimeError(f"the rows did not all say Saved: {said}") from error
    stamp("saved")
    trace.update(page.evaluate(TIMING_JS))  # after the timed flow's end (the run's page is still open)
    return answer.value


def _phases(trace: dict) -> dict[str, float]:
    """One run's breakdown (ms) from its marks: the driver's, each page's, and the server's."""
    driver, home, register = trace["driver"], trace["home"], trace["register"]
    marks, nav = register["marks"], register["navigation"]
    n = ABSENT + LATE
    clicks = marks["pointerdown"]  # the link's click happened on the home page: these are the status buttons
    saved = [marks["saved"].get(str(i)) for i in range(n)]
    home_nav = home["navigation"]
    phases = {
        "home: goto → DOMContentLoaded": driver["home"] - driver["start"],
        "home: server (request → first byte)": home_nav["responseStart"] - home_nav["requestStart"],
        "home: first byte → DOMContentLoaded": home_nav["domContentLoaded"] - home_nav["responseStart"],
        "home: DOMContentLoaded → load": home_nav["load"] - home_nav["domContentLoaded"],
        "home → register: driver's click → register's navigation start": nav["start"] - driver["click_link"],
        "register: server (request → first byte)": nav["responseStart"] - nav["requestStart"],
        "register: first byte → data-ready": marks["ready"] - nav["responseStart"],
        "register: data-ready → the driver sees it": driver["ready"] - marks["ready"],
        "saves: driver's click → the page's pointerdown (mean of 4)": sum(
            clicks[i] - driver[f"click{i}"] for i in range(n)
        )
        / n,
        "saves: one click call (mean of 4)": sum(
            driver[f"clicked{i}"] - driver[f"click{i}"] for i in range(n)
        )
        / n,
        "saves: click → its row says Saved (mean of 4)": sum(saved[i] - clicks[i] for i in range(n)) / n,
        "saves: first click → last Saved": max(saved) - clicks[0],
        "saves: last Saved → the driver sees it": driver["saved"] - max(saved),
    }
    for kind, entries in (("home", home["resources"]), ("register", register["resources"])):
        fetched = [r for r in entries if r["transferSize"]]
        phases[f"{kind}: subresources (fetched over the network)"] = len(entries) + len(fetched) / 100
    for name, ms in trace.get("server", {}).items():
        phases[f"server: {name}"] = ms
    return phases


def _breakdown(traces: list[dict]) -> str:
    """The median of each phase over the runs (subresources: how many, and how many of them fetched)."""
    phases = []
    for trace in traces:
        try:
            phases.append(_phases(trace))
        except (KeyError, TypeError, ValueError):  # a mark the page did not take (a run the note leaves out)
            continue
    if not phases:
        return "no run took every mark"
    parts = [f"{len(phases)} of {len(traces)} runs"]
    for name in phases[0]:
        values = [p[name] for p in phases if name in p]
        value = statistics.median(values)
        if "subresources" in name:
            parts.append(f"{name.split(' (')[0]} {int(value)} ({round(value % 1 * 100)} fetched)")
        else:
            parts.append(f"{name} {value:.0f}")
    return "; ".join(parts)


def _server_times(lines: list[tuple[str, str, int, float]], register_url: str) -> dict[str, float]:
    """gunicorn's time for the run's requests, summed by kind (ms)."""
    times: dict[str, float] = {}
    for method, path, _status, ms in lines:
        if path == "/":
            kind = "home"
        elif path == register_url:
            kind = "register"
        elif method == "POST":
            kind = "saves (sum)"
        elif path.startswith("/static/"):
            kind = "static files (sum)"
        else:
            kind = "other requests (sum)"
        times[kind] = times.get(kind, 0.0) + ms
    return times


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
    traces: list[dict] = []
    kept: dict = {}

    def new_context(chromium):
        context = chromium.new_context(
            base_url=portal.url, viewport={"width": 1280, "height": 900}, locale="en-US"
        )
        context.set_default_timeout(15_000)
        context.add_cookies([cookie])
        context.add_init_script(MARKS_JS)
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
        trace: dict = {}
        cdp = None
        if os.environ.get(TRACE_ENV):  # the renderer's main-thread time, when asked for (one more session)
            cdp = context.new_cdp_session(page)
            cdp.send("Performance.enable")
        try:
            response = _take_register(page, register_url, section_name, trace)
            if cdp is not None:
                metrics = cdp.send("Performance.getMetrics")["metrics"]
                trace["metrics"] = {m["name"]: m["value"] for m in metrics if "Duration" in m["name"]}
            # Its length as the server said it (the body itself would be one more round trip to the browser).
            weight = int(response.headers.get("content-length") or len(response.body()))
        finally:
            page.close()
            if not warm:
                context.close()
        requests.append(count[0])
        traces.append(trace)
        return weight

    def run() -> Elapsed:
        AttendanceRecord.objects.filter(register=register).delete()
        _lines, offset = portal.requests_since(kept.get("log", 0))
        weight = browser.call(one_run)
        if not weight:
            raise BenchError("the register page was empty")
        lines, kept["log"] = portal.requests_since(offset)
        traces[-1]["server"] = _server_times(lines, register_url)
        traces[-1]["requests"] = lines
        if path := os.environ.get(TRACE_ENV):
            Path(f"{path}-{'warm' if warm else 'cold'}.json").write_text(json.dumps(traces[-RUNS:], indent=1))
        run.note = (  # type: ignore[attr-defined]
            f"Register page {weight / 1000:.1f} KB (HTML, uncompressed); "
            f"{min(requests[-RUNS:])}–{max(requests[-RUNS:])} requests a run as the page sees them (those "
            f"the browser's cache answers included), served by `{portal.command}` with "
            "portal.settings.bench; "
            + (WARM if warm else COLD)
            + " Where the time goes (median ms): "
            + _breakdown(traces[-RUNS:])
            + "."
        )
        # The teacher's time: from going home to the last row saying "Saved" (the page is opened before,
        # and its timing read and its response's length asked for after).
        driver = traces[-1]["driver"]
        return Elapsed(driver["saved"] - driver["start"])

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
