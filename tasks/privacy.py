"""Privacy on the queue: preparing a guardian's data request (a core Job with progress), deleting the files
of requests nobody downloaded in time (daily, at the school's 03:10), and applying the retention schedule
(daily, at the school's 02:45; a run does only what is still due, so running it twice is harmless)."""

from __future__ import annotations

from huey.contrib.djhuey import db_periodic_task, db_task

from modules.core.clock import SchoolTime
from modules.core.jobs import job_kind_register, job_run
from modules.privacy.data_requests import (
    JOB_KIND,
    data_request_fail,
    data_request_prepare,
    data_requests_expire,
)
from modules.privacy.retention import retention_apply


@db_task()
def prepare_data_request(job_id: str) -> None:
    job_run(
        job_id=job_id,
        kind=JOB_KIND,
        run=lambda job: data_request_prepare(job=job),
        fail=lambda job, error: data_request_fail(job=job, error=error),
    )


job_kind_register(JOB_KIND, lambda job: prepare_data_request(str(job.pk)))


@db_periodic_task(SchoolTime(hour=3, minute=10))
def purge_expired_data_requests() -> None:
    data_requests_expire()


RETENTION_TIME = SchoolTime(hour=2, minute=45)


@db_periodic_task(RETENTION_TIME)
def apply_retention_schedule() -> None:
    retention_apply()
