"""A fake external similarity service on loopback: a real HTTP server the portal's HttpProvider talks to
over a socket (tests/fakes.py does the same for SMTP). It records each request and answers as told."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class FakeSimilarityService:
    """`answer(request_json) -> (status, body bytes)` decides each answer; the default finds nothing."""

    answer: Callable[[dict], tuple[int, bytes]] = lambda request: (200, b'{"pairs": []}')
    requests: list[dict] = field(default_factory=list)
    headers: list[dict] = field(default_factory=list)
    url: str = ""


@contextmanager
def similarity_service(service: FakeSimilarityService) -> Iterator[FakeSimilarityService]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length))
            service.requests.append(body)
            service.headers.append(dict(self.headers))
            status, payload = service.answer(body)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    service.url = f"http://127.0.0.1:{server.server_address[1]}/v1/compare"
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()
