"""The OneRoster package on the queue (modules/api/oneroster/package.py): made at the office's request (a
core Job, whose page shows the progress and the download), and every night when the office asks for it, at
NIGHTLY school time, or on the hours after when a killed worker lost that run."""

from __future__ import annotations

from django.utils import timezone
from huey.contrib.djhuey import db_periodic_task, db_task

from modules.api.oneroster.package import JOB_KIND, NIGHTLY, nightly_due, package_job_fail, package_make
from modules.core.jobs import job_kind_register, job_run

CATCH_UP_HOURS = 3


@db_task()
def prepare_roster_package(job_id: str) -> None:
    job_run(
        job_id=job_id,
        kind=JOB_KIND,
        run=lambda job: package_make(by=job.owner, job=job),
        fail=lambda job, error: package_job_fail(job=job, error=error),
    )


job_kind_register(JOB_KIND, lambda job: prepare_roster_package(str(job.pk)))


def _nightly_minute(timestamp) -> bool:
    return NIGHTLY(timestamp) or NIGHTLY.catch_up(hours=CATCH_UP_HOURS)(timestamp)


@db_periodic_task(_nightly_minute)
def prepare_nightly_roster_package() -> str:
    if not nightly_due(today=timezone.localdate()):
        return ""
    return package_make(by=None, scheduled=True).file.name
