"""The timetable on the queue: generating a timetable (the solver runs for up to its time limit, so never
in a web request). Claimed under a lease in the language of whoever asked (modules/core/jobs.py); a run
whose worker was killed is queued again by the sweeper and solves again."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from modules.core.jobs import job_kind_register
from modules.timetable import generating


@db_task()
def generate_timetable(job_id: str) -> None:
    generating.timetable_generate_job_run(job_id=job_id)


job_kind_register(generating.JOB_KIND, lambda job: generate_timetable(str(job.pk)))
