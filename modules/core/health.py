"""What /health/ checks beyond the database and the cache: the queue's storage, that a worker is alive,
and that the mail server answers (without sending anything); and what /health/backups/ checks for a
monitor: that the scheduled backups are being made (not in /health/, which load balancers and container
health checks read: a late backup is no reason to stop serving)."""

from __future__ import annotations

import dataclasses
import smtplib
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from huey.contrib.djhuey import HUEY

# Kept in the queue's own storage (the SQLite file or Redis): the one place every web node and every worker
# shares whatever the cache is (a local-memory cache is per process).
WORKER_HEARTBEAT_KEY = "studentflow:worker-heartbeat"


def worker_heartbeat_record() -> float:
    """Called by the worker when it starts and every minute (tasks/jobs.py): it is alive and runs tasks."""
    now = time.time()
    HUEY.put(WORKER_HEARTBEAT_KEY, now)
    return now


def worker_heartbeat_age() -> float | None:
    """Seconds since a worker last ran its heartbeat task, or None when none ever has."""
    beat = HUEY.get(WORKER_HEARTBEAT_KEY, peek=True)
    return None if beat is None else time.time() - float(beat)


@dataclasses.dataclass
class QueueCheck(HealthCheck):
    """The Huey queue's storage answers (the SQLite file or Redis)."""

    async def run(self) -> None:
        try:
            await sync_to_async(HUEY.pending_count)()
        except Exception as exc:  # any storage failure means the queue cannot take work
            raise ServiceUnavailable("Queue storage unavailable") from exc


@dataclasses.dataclass
class WorkerCheck(HealthCheck):
    """A queue consumer is running: one ran its heartbeat task within STUDENTFLOW_WORKER_HEARTBEAT_MAX_AGE
    seconds. The queue's storage answering says nothing about whether anything takes work from it."""

    async def run(self) -> None:
        try:
            age = await sync_to_async(worker_heartbeat_age)()
        except Exception as exc:
            raise ServiceUnavailable("Queue storage unavailable") from exc
        if age is None:
            raise ServiceUnavailable("No worker has run since the queue was created")
        if age > settings.STUDENTFLOW_WORKER_HEARTBEAT_MAX_AGE:
            raise ServiceUnavailable(f"No worker has run for {int(age)} seconds")


@dataclasses.dataclass
class MailerCheck(HealthCheck):
    """The SMTP server answers a greeting and a NOOP (nothing is sent). Other mailers (tests, console) have
    no server to reach."""

    async def run(self) -> None:
        mailer = settings.MAILERS["default"]
        if mailer["BACKEND"] != settings.SMTP_BACKEND:
            return
        await sync_to_async(_smtp_reachable)(mailer.get("OPTIONS", {}))


def _smtp_reachable(options: dict) -> None:
    client_class = smtplib.SMTP_SSL if options.get("use_ssl") else smtplib.SMTP
    try:
        with client_class(
            options.get("host") or "", options.get("port") or 0, timeout=min(options.get("timeout") or 5, 5)
        ) as client:
            code, _message = client.noop()
    except (OSError, smtplib.SMTPException) as exc:
        raise ServiceUnavailable("Mail server unreachable") from exc
    if code != 250:
        raise ServiceUnavailable(f"Mail server answered {code}")


@dataclasses.dataclass
class BackupCheck(HealthCheck):
    """The newest backup is no older than BACKUP_SCHEDULE's interval and its catch-up hours (nothing to
    check when scheduled backups are off)."""

    async def run(self) -> None:
        from modules.core.backup import backup_overdue_after, last_backup_age

        allowed = await sync_to_async(backup_overdue_after)()
        if allowed is None:
            return
        age = await sync_to_async(last_backup_age)()
        if age is None:
            raise ServiceUnavailable("No backup has been made yet")
        if age > allowed:
            raise ServiceUnavailable(f"The newest backup is {int(age.total_seconds() // 3600)} hours old")
