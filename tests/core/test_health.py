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


# --- /health/backups/: for a monitor, not for the load balancer -----------------------------------------


def _backups(client) -> tuple[int, str]:
    response = client.get(reverse("health_backups"), headers={"Accept": "application/json"})
    return response.status_code, response.json()["BackupCheck()"]


@pytest.fixture
def backup_dir(settings, tmp_path):
    from django.core.cache import cache

    from modules.core.backup import LAST_RUN

    cache.delete(LAST_RUN)
    settings.BACKUP_DIR = tmp_path
    return tmp_path


def _archive(directory, hours_ago: float) -> None:
    import datetime

    from django.utils import timezone

    from modules.core.backup import archive_name

    made = timezone.now() - datetime.timedelta(hours=hours_ago)
    (directory / archive_name(made)).write_bytes(b"an archive")


def test_backups_say_when_none_was_ever_made(client, settings, backup_dir):
    settings.BACKUP_SCHEDULE = "daily 02:30"
    assert _backups(client) == (500, "Unavailable: No backup has been made yet")


def test_backups_are_fine_within_a_day_and_the_catch_up_hours(client, settings, backup_dir):
    settings.BACKUP_SCHEDULE = "daily 02:30"
    _archive(backup_dir, hours_ago=27)
    assert _backups(client) == (200, "OK")


def test_backups_say_how_old_the_newest_is_once_overdue(client, settings, backup_dir):
    settings.BACKUP_SCHEDULE = "daily 02:30"
    _archive(backup_dir, hours_ago=80)
    _archive(backup_dir, hours_ago=29)
    assert _backups(client) == (500, "Unavailable: The newest backup is 29 hours old")
    # A weekly schedule allows a week.
    settings.BACKUP_SCHEDULE = "sunday 02:30"
    assert _backups(client) == (200, "OK")


def test_backups_count_a_run_another_node_recorded(client, settings, backup_dir):
    """Another node's worker wrote the archive to its own BACKUP_DIR: the shared cache knows it ran."""
    from django.core.cache import cache
    from django.utils import timezone

    from modules.core.backup import LAST_RUN

    settings.BACKUP_SCHEDULE = "daily 02:30"
    cache.set(LAST_RUN, timezone.now().isoformat())
    assert _backups(client) == (200, "OK")


def test_backups_have_nothing_to_say_when_scheduled_backups_are_off(client, settings, backup_dir):
    settings.BACKUP_SCHEDULE = ""
    assert _backups(client) == (200, "OK")


def test_a_late_backup_does_not_take_the_node_out_of_service(client, settings, backup_dir, worker_alive):
    settings.BACKUP_SCHEDULE = "daily 02:30"
    status, body = _health(client)
    assert status == 200
    assert "BackupCheck()" not in body
