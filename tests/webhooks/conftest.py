"""A real receiving server on 127.0.0.1 (http.server in a thread) that records every request and answers as
told, one answer per request: a status (200 by default), or "slow" (no answer before the client's timeout).
The suite allows http and loopback addresses (the settings for tests and development); the tests of the
refusals switch them off."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from huey.contrib.djhuey import HUEY

from modules.webhooks.models import Delivery
from modules.webhooks.services import endpoint_create

SLOW = "slow"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str = ""
    requests: list[Received] = field(default_factory=list)
    answers: list[int | str] = field(default_factory=list)
    slow_seconds: float = 2.0

    def answer(self, *answers: int | str) -> None:
        self.answers.extend(answers)


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
            answer = receiver.answers.pop(0) if receiver.answers else 200
            if answer == SLOW:
                time.sleep(receiver.slow_seconds)
                answer = 200
            try:
                text = b"ok" if answer < 300 else b"Internal error: the database is down"
                self.send_response(answer)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(text)))
                if 300 <= answer < 400:
                    self.send_header("Location", "https://elsewhere.example/")
                self.end_headers()
                self.wfile.write(text)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (the timeout tests)

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.STUDENTFLOW_WEBHOOKS_ALLOW_HTTP = True
    settings.STUDENTFLOW_WEBHOOKS_ALLOW_PRIVATE = True


@pytest.fixture(autouse=True)
def _empty_schedule():
    HUEY.storage.flush_schedule()
    yield
    HUEY.storage.flush_schedule()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    recorded = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(recorded))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    recorded.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/studentflow?school=demo"
    try:
        yield recorded
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def subscribe(admin, receiver):
    """An endpoint on the receiver, subscribed to `events` (every event by default); returns (endpoint,
    secret)."""

    def make(*events: str, url: str | None = None):
        chosen = list(events) or [
            "register.submitted",
            "marks.published",
            "payment.recorded",
            "student.enrolled",
            "student.left",
        ]
        made = endpoint_create(by=admin, url=url or receiver.url, description="Library", events=chosen)
        return made.endpoint, made.secret

    return make


@pytest.fixture
def time_passes():
    """`time_passes(delivery)`: its scheduled retry is due (the row's next attempt moved into the past)."""

    def due(delivery: Delivery) -> None:
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=None)

    return due
