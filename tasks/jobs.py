"""The sweeper: every minute, background jobs and deliveries whose worker was killed are started again; and
what a queue worker does as it starts (its heartbeat, its layouts' lower CPU priority).

Huey does not acknowledge tasks, so a task lost with its worker is found from the database instead: a job
(modules/core/jobs.py) or a delivery (modules/communications/delivery.py) whose lease ran out.
"""

from __future__ import annotations

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task

from modules.core.health import worker_heartbeat_record
from modules.core.jobs import jobs_sweep
from modules.core.pdf import layouts_yield


@db_periodic_task(crontab(minute="*"))
def sweep_jobs() -> int:
    result = jobs_sweep()
    return result.restarted + result.failed


@db_periodic_task(crontab(minute="*"))
def record_worker_heartbeat() -> float:
    """Every minute: a worker is alive and runs tasks (/health/ reports it down otherwise)."""
    return worker_heartbeat_record()


@HUEY.on_startup()
def lay_out_in_the_background() -> None:
    # Every PDF this worker lays out is background work: it yields the cores to pages served beside it.
    layouts_yield(settings.STUDENTFLOW_QUEUE_PDF_NICENESS)


@HUEY.on_startup()
def record_worker_heartbeat_at_startup() -> None:
    # So that /health/ is green as soon as the worker is up, not a minute later.
    worker_heartbeat_record()
