"""Fakes shared by tests: stand-ins for the outside world (Twilio's HTTP API, SMTP servers on loopback).

They replace the network, never the database: the code under test runs for real up to the socket or the
HTTP client.
"""

from __future__ import annotations

import json
import logging
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from twilio.http import HttpClient
from twilio.http.response import Response

TWILIO_ACCOUNT_SID = "AC" + "0" * 32
TWILIO_AUTH_TOKEN = "test-auth-token"
TWILIO_FROM = "+15005550006"


class FakeTwilioHttpClient(HttpClient):
    """Answers Twilio API calls with canned JSON and records each request (method, url, data, auth).

    By default every message is accepted (201, a new SID). `refuse=(status, code, message)` makes every
    request fail as Twilio would, e.g. (400, 21211, "The 'To' number ... is not a valid phone number.")."""

    def __init__(self, *, refuse: tuple[int, int, str] | None = None):
        super().__init__(logger=logging.getLogger("tests.fakes.twilio"), is_async=False)
        self.refuse = refuse
        self.requests: list[dict] = []

    def request(
        self,
        method,
        uri,
        params=None,
        data=None,
        headers=None,
        auth=None,
        timeout=None,
        allow_redirects=False,
    ) -> Response:
        self.requests.append(
            {"method": method, "url": uri, "data": dict(data or {}), "auth": auth, "params": params}
        )
        if self.refuse is not None:
            status, code, message = self.refuse
            body = {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            }
            return Response(status, json.dumps(body))
        sid = "SM" + uuid.uuid4().hex
        body = {
            "sid": sid,
            "account_sid": TWILIO_ACCOUNT_SID,
            "to": (data or {}).get("To"),
            "from": (data or {}).get("From"),
            "body": (data or {}).get("Body"),
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages/{sid}.json",
        }
        return Response(201, json.dumps(body))


# ------------------------------------------------------------------------------------------ SMTP on loopback


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class RecordingSmtpHandler:
    """An aiosmtpd handler that accepts every message and keeps it, parsed, in `messages`."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 Message accepted for delivery"


@dataclass
class RefusingSmtpHandler:
    """An aiosmtpd handler that refuses every message at DATA with `reply` (e.g. "550 ...")."""

    reply: str = "550 5.7.1 Message rejected as spam"
    refused: int = 0

    async def handle_DATA(self, server, session, envelope):
        self.refused += 1
        return self.reply


@contextmanager
def smtp_server(handler) -> Iterator[tuple[str, int]]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 and a free port, running `handler`; yields (host, port)."""
    from aiosmtpd.controller import Controller

    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.hostname, controller.port
    finally:
        controller.stop()


@contextmanager
def silent_server() -> Iterator[tuple[str, int]]:
    """A socket that accepts connections (the kernel completes the handshake) and never says a word, like
    a mail server that hangs. Yields (host, port)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield "127.0.0.1", listener.getsockname()[1]


def smtp_mailers(host: str, port: int, *, timeout: float = 5) -> dict:
    """A MAILERS setting that sends through the SMTP server at host:port."""
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": host, "port": port, "timeout": timeout},
        }
    }


# ------------------------------------------------------------------------------------------------ deliveries


def queue_delivery(**fields):
    """A Delivery row as notify() leaves it: an email to Pat Parent, QUEUED. Override any field."""
    from modules.communications.models import Delivery

    values = {
        "channel": "email",
        "kind": "announcement",
        "recipient_name": "Pat Parent",
        "address": "parent@school.test",
        "language": "en",
        "subject": "Sports day moved to Friday",
        "body_text": "Sports day moved to Friday\n\nBring water and a hat.\n\n-- \nStudentFlow School\n",
        "body_html": "<p>Bring water and a hat.</p>",
        "key": f"test:{uuid.uuid4().hex}",
        "status": "queued",
    }
    values.update(fields)
    return Delivery.objects.create(**values)


class ExplodingEmailBackend:
    """A mail backend with a bug: every send raises RuntimeError (the worker must survive it)."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise RuntimeError("backend bug")
