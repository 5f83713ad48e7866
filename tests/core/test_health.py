from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _health(client) -> tuple[int, dict]:
    response = client.get(reverse("health"), headers={"Accept": "application/json"})
    return response.status_code, response.json()


@pytest.fixture
def worker_alive():
    from tasks.jobs import record_worker_heartbeat

    record_worker_heartbeat.call_local()


def test_it_reports_database_cache_and_queue(client, worker_alive):
    response = client.get(reverse("health"), headers={"Accept": "application/json"})
    assert response.status_code == 200
    body = response.json()
    names = " ".join(body.keys()) if isinstance(body, dict) else str(body)
    assert "Database" in names
    assert "Cache" in names
    assert "QueueCheck" in names
    assert all(value == "OK" for value in body.values())


def test_it_reports_a_broken_queue(client, monkeypatch):
    from huey.contrib.djhuey import HUEY

    def broken():
        raise OSError("disk full")

    monkeypatch.setattr(HUEY, "pending_count", broken)
    response = client.get(reverse("health"), headers={"Accept": "application/json"})
    assert response.status_code == 500
    assert response.json()["QueueCheck()"] != "OK"


def test_it_reports_the_worker_down_when_none_has_run_lately(client, settings):
    """The queue's storage answering says nothing about a consumer taking work from it."""
    import time

    from huey.contrib.djhuey import HUEY

    from modules.core.health import WORKER_HEARTBEAT_KEY
    from tasks.jobs import record_worker_heartbeat

    HUEY.delete(WORKER_HEARTBEAT_KEY)
    status, body = _health(client)
    assert status == 500
    assert body["WorkerCheck()"] != "OK"
    assert body["QueueCheck()"] == "OK"

    HUEY.put(WORKER_HEARTBEAT_KEY, time.time() - settings.STUDENTFLOW_WORKER_HEARTBEAT_MAX_AGE - 60)
    status, body = _health(client)
    assert status == 500
    assert "No worker has run for" in body["WorkerCheck()"]

    record_worker_heartbeat.call_local()  # what the worker runs every minute
    status, body = _health(client)
    assert status == 200
    assert body["WorkerCheck()"] == "OK"


def test_it_reports_whether_the_mail_server_answers_without_sending(client, worker_alive):
    from django.core import mail
    from django.test import override_settings

    from tests.fakes import RecordingSmtpHandler, silent_server, smtp_mailers, smtp_server

    handler = RecordingSmtpHandler()
    with smtp_server(handler) as (host, port), override_settings(MAILERS=smtp_mailers(host, port)):
        status, body = _health(client)
    assert status == 200
    assert body["MailerCheck()"] == "OK"
    assert handler.messages == []
    assert mail.outbox == []

    with silent_server() as (host, port):
        pass  # closed again: nothing listens there now
    with override_settings(MAILERS=smtp_mailers(host, port)):
        status, body = _health(client)
    assert status == 500
    assert body["MailerCheck()"] != "OK"
