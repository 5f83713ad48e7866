"""A real receiving server on 127.0.0.1 (http.server in a thread) that records every request and answers as
told, one answer per request: a status (200 by default), or SLOW (no answer before the client's timeout)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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


@contextmanager
def receiving_server() -> Iterator[Receiver]:
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
