"""The sweeper: every minute, background jobs and deliveries whose worker was killed are started again; and
what a queue worker does as it starts (its heartbeat, its lower CPU priority).

Huey does not acknowledge tasks, so a task lost with its worker is found from the database instead: a job
(modules/core/jobs.py) or a delivery (modules/communications/delivery.py) whose lease ran out.
"""

from __future__ import annotations

import os

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task

from modules.core.health import worker_heartbeat_record
from modules.core.jobs import jobs_sweep


@db_periodic_task(crontab(minute="*"))
def sweep_jobs() -> int:
    result = jobs_sweep()
    return result.restarted + result.failed


@db_periodic_task(crontab(minute="*"))
def record_worker_heartbeat() -> float:
    """Every minute: a worker is alive and runs tasks (/health/ reports it down otherwise)."""
    return worker_heartbeat_record()


@HUEY.on_startup()
def run_below_the_web() -> None:
    """Each worker (a thread of the consumer, or a process) runs at STUDENTFLOW_QUEUE_NICENESS, and so do
    the PDF layouts it forks: a report-card batch is background work, and where the worker shares cores with
    web workers (one machine, or a node that runs both) it takes their idle time rather than the teachers'
    requests. Huey calls this in each worker as it starts; on Linux a niceness is a thread's own, so the
    consumer's scheduler and the web processes keep theirs. Never raises a priority (a worker started under
    a higher `nice` keeps it), and may run twice."""
    current = os.nice(0)
    if current < settings.STUDENTFLOW_QUEUE_NICENESS:
        os.nice(settings.STUDENTFLOW_QUEUE_NICENESS - current)


@HUEY.on_startup()
def record_worker_heartbeat_at_startup() -> None:
    # So that /health/ is green as soon as the worker is up, not a minute later.
    worker_heartbeat_record()
