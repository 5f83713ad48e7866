"""The whole school's printed timetable on the queue, when it is too large to lay out while the office
waits (modules/timetable/printing.py): one job, laid out a chunk of pages at a time under its lease."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from modules.core.jobs import job_kind_register, job_run
from modules.timetable.printing import BOOKLET_JOB_KIND, timetable_booklet_fail, timetable_booklet_run


@db_task()
def render_timetable_booklet(job_id: str) -> None:
    # The booklet is printed in the language of the person who asked for it (job_run sets it).
    job_run(
        job_id=job_id,
        kind=BOOKLET_JOB_KIND,
        run=lambda job: timetable_booklet_run(job=job),
        fail=lambda job, error: timetable_booklet_fail(job=job, error=error),
    )


job_kind_register(BOOKLET_JOB_KIND, lambda job: render_timetable_booklet(str(job.pk)))
