"""The sweeper: every minute, background jobs and deliveries whose worker was killed are started again.

Huey does not acknowledge tasks, so a task lost with its worker is found from the database instead: a job
(modules/core/jobs.py) or a delivery (modules/communications/delivery.py) whose lease ran out.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="*"))
def sweep_jobs() -> int:
    from modules.core.jobs import jobs_sweep

    result = jobs_sweep()
    return result.restarted + result.failed
