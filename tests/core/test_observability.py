"""What the logs say (modules/core/observability.py): a request id from the incoming header or made, in the
response and every log line of the request and of the tasks it enqueues (inline and through a worker);
one line per request with its time and SQL count; slow requests and tasks as warnings; JSON in production;
Sentry through SENTRY_DSN without personal data; the debug toolbar in development only."""

from __future__ import annotations

import contextlib
import gzip
import http.server
import io
import json
import logging
import os
import re
import runpy
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from huey.contrib.djhuey import HUEY

from modules.communications.models import Announcement
from modules.core.observability import (
    TASK_REQUEST_ID_KWARG,
    ContextFilter,
    JsonFormatter,
    RequestContextMiddleware,
    current_request_id,
)

ROOT = Path(__file__).resolve().parents[2]
CREATE = reverse("communications:announcement_create")
HOME = reverse("home")
HEX_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def log_lines():
    """The JSON lines the portal's handler would write (its filter and formatter), from every logger
    (huey's does not propagate to the root, so it is listened to as well)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    loggers = [logging.getLogger(), logging.getLogger("huey")]
    levels = [each.level for each in loggers]
    for each in loggers:
        each.addHandler(handler)
        each.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    for each, level in zip(loggers, levels, strict=True):
        each.removeHandler(handler)
        each.setLevel(level)


def request_line(lines, path):
    [line] = [each for each in lines if each["logger"].endswith(".requests") and each["path"] == path]
    return line


def announcement(client, school, **headers):
    return client.post(
        CREATE,
        {"title": "Trip", "body": "We leave at 9.", "audience": "section", "section": school.section.pk},
        headers=headers,
    )


# --- the request id -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_returns_a_valid_incoming_request_id(client):
    response = client.get(reverse("account_login"), headers={"X-Request-ID": "9f1c2e0a-nginx.42"})
    assert response["X-Request-ID"] == "9f1c2e0a-nginx.42"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    ["short", "x" * 65, "evil\nINFO forged line", "a b c d e f g h", "id;rm -rf", "ünïcödé-id-123"],
)
def test_it_makes_its_own_id_when_the_incoming_one_is_not_safe(client, header):
    response = client.get(reverse("account_login"), headers={"X-Request-ID": header})
    assert HEX_ID.fullmatch(response["X-Request-ID"])


@pytest.mark.django_db
def test_it_makes_a_new_id_for_each_request_without_one(client):
    first = client.get(reverse("account_login"))["X-Request-ID"]
    second = client.get(reverse("account_login"))["X-Request-ID"]
    assert HEX_ID.fullmatch(first)
    assert HEX_ID.fullmatch(second)
    assert first != second


# --- the request's log lines --------------------------------------------------------------------------------


def test_it_logs_each_request_with_its_id_user_time_and_sql_count(as_user, teacher, school, log_lines):
    client = as_user(teacher)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(HOME, headers={"X-Request-ID": "home-request-0001"})
    assert response.status_code == 200
    line = request_line(log_lines(), HOME)
    assert line["level"] == "INFO"
    assert line["request_id"] == "home-request-0001"
    assert line["user_id"] == teacher.pk
    assert (line["method"], line["status"]) == ("GET", 200)
    assert line["duration_ms"] > 0
    # Counted through the connection's execute wrapper (DEBUG is off): the same statements Django ran.
    assert not settings.DEBUG
    assert line["queries"] == len(captured) > 0
    assert set(line) >= {"time", "level", "logger", "message"}
    assert teacher.email not in json.dumps(log_lines())


def test_it_gives_the_request_id_to_lines_logged_during_and_after_the_view(client, admin, log_lines):
    """Django logs a 404 after the middleware has returned: the line carries the id all the same."""
    client.force_login(admin)
    client.get("/no-such-page/", headers={"X-Request-ID": "missing-page-0001"})
    lines = log_lines()
    [not_found] = [each for each in lines if each["logger"] == "django.request"]
    assert not_found["level"] == "WARNING"
    assert (not_found["request_id"], not_found["status"]) == ("missing-page-0001", 404)
    assert not_found["path"] == "/no-such-page/"
    assert request_line(lines, "/no-such-page/")["request_id"] == "missing-page-0001"


def test_it_logs_a_slow_request_as_a_warning(as_user, teacher, school, log_lines, settings):
    settings.STUDENTFLOW_SLOW_REQUEST_MS = 0
    settings.STUDENTFLOW_LOG_REQUESTS = False  # a slow one is logged all the same
    as_user(teacher).get(HOME)
    line = request_line(log_lines(), HOME)
    assert line["level"] == "WARNING"
    assert line["message"].startswith(f"Slow request: GET {HOME} 200 in ")
    assert line["message"].endswith(f", {line['queries']} SQL queries")
    assert line["queries"] > 0


def test_it_writes_no_line_for_a_quick_request_when_request_lines_are_off(
    as_user, teacher, school, log_lines, settings
):
    settings.STUDENTFLOW_LOG_REQUESTS = False
    settings.STUDENTFLOW_SLOW_REQUEST_MS = 60_000
    as_user(teacher).get(HOME)
    assert not [each for each in log_lines() if each["logger"].endswith(".requests")]


# --- tasks --------------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_it_carries_the_request_id_into_the_tasks_run_inline(as_user, teacher, school, log_lines):
    """HUEY immediate (tests, HUEY_IMMEDIATE): the announcement's publish task runs when the request's
    transaction commits, and its lines name the request and the task."""
    response = announcement(as_user(teacher), school, **{"X-Request-ID": "post-announcement-01"})
    assert response.status_code == 302
    assert Announcement.objects.get().notified_at is not None
    in_task = [each for each in log_lines() if each.get("task") == "publish_announcement"]
    assert in_task, log_lines()
    assert {each["request_id"] for each in in_task} == {"post-announcement-01"}
    # Inline, the task's lines keep the request's path and person too.
    assert {(each["path"], each["user_id"]) for each in in_task} == {(CREATE, teacher.pk)}


@pytest.fixture
def queued():
    """Tasks are queued as in production (serialised into the queue) instead of run inline; the test runs
    them as a worker does, in a thread of its own. The queue is the in-memory one of the test settings."""
    while HUEY.dequeue() is not None:  # nothing another test left behind
        pass
    HUEY._immediate = False
    yield
    HUEY._immediate = True
    while HUEY.dequeue() is not None:
        pass


def work_off_the_queue() -> list[str]:
    """What a worker does: take each message off the queue and run it, in a fresh thread (no context of
    the request), until the queue is empty. Returns the names of the tasks it ran."""
    ran: list[str] = []

    def worker():
        try:
            while (task := HUEY.dequeue()) is not None:
                ran.append(task.name)
                HUEY.execute(task)
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(timeout=60)
    return ran


@pytest.mark.django_db(transaction=True)
def test_it_carries_the_request_id_through_the_queue_to_the_worker(
    as_user, teacher, school, student, log_lines, queued
):
    response = announcement(as_user(teacher), school, **{"X-Request-ID": "queued-announcement"})
    assert response.status_code == 302
    assert Announcement.objects.get().notified_at is None  # queued, not run
    assert HUEY.pending_count() == 1
    ran = work_off_the_queue()
    # The publish task ran, and queued the sending of its emails, which ran too: both name the request.
    assert ran[0] == "publish_announcement"
    assert len(ran) > 1
    assert Announcement.objects.get().notified_at is not None
    lines = [each for each in log_lines() if each.get("task")]
    assert {each["task"] for each in lines} == set(ran)
    assert {each["request_id"] for each in lines} == {"queued-announcement"}
    # The worker knows nothing of the request but its id.
    assert {each.get("path") for each in lines} == {None}
    assert not [each for each in log_lines() if each["level"] == "ERROR"]


@pytest.mark.django_db(transaction=True)
def test_it_keeps_the_id_out_of_the_tasks_arguments(as_user, teacher, school, queued):
    announcement(as_user(teacher), school, **{"X-Request-ID": "queued-announcement"})
    task = HUEY.dequeue()
    assert task.kwargs == {TASK_REQUEST_ID_KWARG: "queued-announcement"}  # in the message
    HUEY.execute(task)  # the function itself takes only the announcement's id
    assert task.kwargs == {}
    assert Announcement.objects.get().notified_at is not None


@pytest.mark.django_db(transaction=True)
def test_it_logs_a_slow_task_with_its_time_and_sql_count(as_user, teacher, school, log_lines, settings):
    settings.STUDENTFLOW_SLOW_TASK_MS = 0
    announcement(as_user(teacher), school, **{"X-Request-ID": "slow-task-request"})
    [slow] = [each for each in log_lines() if each["message"].startswith("Slow task: publish_announcement")]
    assert slow["level"] == "WARNING"
    assert slow["request_id"] == "slow-task-request"
    assert slow["queries"] > 0
    assert slow["duration_ms"] >= 0


ATTEMPTS: list[str | None] = []


@HUEY.task(retries=1)
def fail_the_first_time() -> None:
    ATTEMPTS.append(current_request_id())
    if len(ATTEMPTS) == 1:
        raise RuntimeError("the first attempt fails")


def enqueue_one(request):
    fail_the_first_time()
    return HttpResponse("queued")


def test_it_keeps_the_id_when_the_worker_retries_a_task(queued, log_lines):
    ATTEMPTS.clear()
    RequestContextMiddleware(enqueue_one)(RequestFactory().get("/", HTTP_X_REQUEST_ID="retried-task-0001"))
    assert work_off_the_queue() == ["fail_the_first_time", "fail_the_first_time"]
    assert ATTEMPTS == ["retried-task-0001", "retried-task-0001"]
    [error] = [each for each in log_lines() if each["level"] == "ERROR"]
    assert (error["request_id"], error["task"]) == ("retried-task-0001", "fail_the_first_time")
    assert "RuntimeError: the first attempt fails" in error["exception"]


def test_it_does_not_touch_a_task_queued_outside_a_request(queued, db):
    from tasks.jobs import sweep_jobs

    sweep_jobs()
    task = HUEY.dequeue()
    assert task.kwargs == {}


# --- settings -----------------------------------------------------------------------------------------------


def settings_of(module: str, monkeypatch, **env) -> dict:
    for name in ("DEBUG", "LOG_FORMAT", "SENTRY_DSN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_module(module)


def test_it_never_installs_the_debug_toolbar_in_production_or_the_tests(monkeypatch):
    production = settings_of(
        "portal.settings.production", monkeypatch, SECRET_KEY="x" * 50, ALLOWED_HOSTS="school.example"
    )
    for configured in (
        production,
        {name: getattr(settings, name) for name in ("INSTALLED_APPS", "MIDDLEWARE")},
    ):
        assert not [app for app in configured["INSTALLED_APPS"] if "debug_toolbar" in app]
        assert not [entry for entry in configured["MIDDLEWARE"] if "debug_toolbar" in entry]
    assert production.get("ROOT_URLCONF") == "portal.urls"
    development = settings_of("portal.settings.development", monkeypatch)
    assert "debug_toolbar" in development["INSTALLED_APPS"]


def test_it_logs_json_in_production_and_plain_lines_in_development(monkeypatch):
    production = settings_of(
        "portal.settings.production", monkeypatch, SECRET_KEY="x" * 50, ALLOWED_HOSTS="school.example"
    )
    assert production["LOGGING"]["handlers"]["console"]["formatter"] == "json"
    assert production["LOGGING"]["handlers"]["console"]["filters"] == ["context"]
    assert production["SENTRY_DSN"] == ""  # no error reporting unless it is asked for
    development = settings_of("portal.settings.development", monkeypatch)
    assert development["LOGGING"]["handlers"]["console"]["formatter"] == "plain"


# --- processes: production's JSON and Sentry, development's toolbar -----------------------------------------


class FakeSentry(http.server.ThreadingHTTPServer):
    """Sentry's ingestion endpoint, as far as the SDK can tell: it keeps each envelope it is sent."""

    def __init__(self):
        self.envelopes: list[bytes] = []
        super().__init__(("127.0.0.1", 0), FakeSentryHandler)


class FakeSentryHandler(http.server.BaseHTTPRequestHandler):
    server: FakeSentry

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            import brotli

            body = brotli.decompress(body)
        if self.path.endswith("/envelope/"):
            self.server.envelopes.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def fake_sentry():
    server = FakeSentry()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def events_in(envelope: bytes) -> list[dict]:
    """An envelope: a header line, then for each item a header line and its payload."""
    lines = envelope.split(b"\n")
    events = []
    for index, line in enumerate(lines[1:], start=1):
        with contextlib.suppress(ValueError):
            header = json.loads(line)
            if isinstance(header, dict) and header.get("type") == "event":
                events.append(json.loads(lines[index + 1]))
    return events


FAILING_REQUEST = """
import os, sys, types
import sentry_sdk
from django.http import HttpResponseServerError
from django.test import Client, override_settings
from django.urls import path

def register(request):
    pupil = request.GET["search"]  # a local variable of the failing frame: never sent
    raise RuntimeError("the register broke")

urls = types.ModuleType("failing_urls")
urls.urlpatterns = [path("register/", register)]
urls.handler500 = lambda request: HttpResponseServerError("failed")
sys.modules["failing_urls"] = urls
with override_settings(ROOT_URLCONF="failing_urls"):
    response = Client(raise_request_exception=False).get(
        "/register/?search=" + os.environ["PUPIL"],  # the data is not in this source, which Sentry may see
        secure=True,
        headers={"X-Request-ID": "failing-request-01", "Cookie": "theme=" + os.environ["COOKIE"]},
    )
print("status", response.status_code, file=sys.stderr)
sentry_sdk.flush(timeout=10)
"""


def run_portal(settings_module: str, script: str, tmp_path, **env) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "LOG_LEVEL", "LOG_FORMAT", "DEBUG", "SENTRY_DSN"}
    }
    environment.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        DATABASE_URL=f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        PUPIL="Ada+Lovelace",
        COOKIE="secret-cookie-value",
        STUDENTFLOW_VAR_DIR=str(tmp_path),
        HUEY_IMMEDIATE="true",
        **env,
    )
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_reports_an_error_to_sentry_with_the_request_id_and_no_personal_data(tmp_path):
    with fake_sentry() as sentry:
        dsn = f"http://public-key@127.0.0.1:{sentry.server_address[1]}/42"
        result = run_portal(
            "portal.settings.production",
            FAILING_REQUEST,
            tmp_path,
            SECRET_KEY="x" * 50,
            ALLOWED_HOSTS="testserver",
            SENTRY_DSN=dsn,
        )
    assert result.returncode == 0, result.stderr
    assert "status 500" in result.stderr
    events = [event for envelope in sentry.envelopes for event in events_in(envelope)]
    [event] = [each for each in events if each.get("exception")]
    [exception] = event["exception"]["values"]
    assert (exception["type"], exception["value"]) == ("RuntimeError", "the register broke")
    assert event["tags"]["request_id"] == "failing-request-01"
    sent = b"".join(sentry.envelopes).decode()
    for private in ("Ada", "Lovelace", "secret-cookie-value"):
        assert private not in sent
    assert "user" not in event
    assert not [frame for frame in exception["stacktrace"]["frames"] if frame.get("vars")]
    # Production logs the same failure as one JSON line naming the request.
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    [error] = [line for line in lines if line["level"] == "ERROR"]
    assert (error["request_id"], error["path"], error["status"]) == ("failing-request-01", "/register/", 500)
    assert "RuntimeError: the register broke" in error["exception"]


def test_it_sends_nothing_anywhere_without_a_dsn(tmp_path):
    with fake_sentry() as sentry:
        result = run_portal(
            "portal.settings.production",
            FAILING_REQUEST + "\nprint('client', sentry_sdk.get_client().is_active(), file=sys.stderr)",
            tmp_path,
            SECRET_KEY="x" * 50,
            ALLOWED_HOSTS="testserver",
        )
    assert result.returncode == 0, result.stderr
    assert "client False" in result.stderr
    assert sentry.envelopes == []


TOOLBAR_PAGE = """
import re, sys
from django.test import Client
# A page that reads nothing from the database (this one is not migrated); the sign-in page now asks which
# identity providers the office switched on.
response = Client(REMOTE_ADDR="127.0.0.1").get("/accounts/password/reset/")
nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
body = response.content.decode()
toolbar = body[body.index('id="djDebug"'):]
print(response.status_code, nonce, file=sys.stderr)
for tag in re.findall(r"<(?:script|link)[^>]*debug_toolbar[^>]*>", body):
    print("TAG", " ".join(tag.split()), file=sys.stderr)
print("STYLE-ATTRIBUTES", toolbar.count(' style="'), file=sys.stderr)
"""


def test_it_shows_the_debug_toolbar_in_development_within_the_pages_csp(tmp_path):
    """The toolbar's scripts carry the nonce the page's policy names, its files come from this origin, and
    it writes no inline style the policy would refuse."""
    result = run_portal("portal.settings.development", TOOLBAR_PAGE, tmp_path)
    assert result.returncode == 0, result.stderr
    [status, nonce] = re.search(r"^(\d+) (\S+)$", result.stderr, re.MULTILINE).groups()
    assert status == "200"
    tags = re.findall(r"^TAG (.*)$", result.stderr, re.MULTILINE)
    scripts = [tag for tag in tags if tag.startswith("<script")]
    assert scripts
    for tag in tags:
        assert f'nonce="{nonce}"' in tag
        assert re.search(r'(src|href)="/static/debug_toolbar/', tag)
    assert "STYLE-ATTRIBUTES 0" in result.stderr
