"""Homework on the queue: telling students (and families) when an assignment is out and when work is returned
(`assignment_published`, `work_returned`: modules/assignments/events.py), publishing the assignments set to
appear later, the afternoon reminder of homework due tomorrow, and the guardians' evening digest of missing
work (modules/assignments/notices.py). Each service is safe to run twice; lost fan-outs are made up by
tasks/recovery.py. The similarity check has its own file (tasks/assignments_similarity.py)."""

from __future__ import annotations

from django.dispatch import receiver
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from modules.assignments.events import assignment_published, work_returned
from modules.assignments.notices import (
    assignment_published_notify,
    homework_due_reminders_send,
    missing_work_digest_send,
    work_returned_notify,
)
from modules.assignments.setting import assignments_publish_due
from modules.core.clock import SchoolTime

# In the school's time zone (settings.TIME_ZONE): the reminder after school the day before, the digest in the
# evening, once the day's due times have passed.
DUE_REMINDERS = SchoolTime(hour=16)
MISSING_DIGEST = SchoolTime(hour=18)


@db_task(retries=3, retry_delay=30)
def send_assignment_published_notices(assignment_id: int) -> None:
    assignment_published_notify(assignment_id=assignment_id)


@db_task(retries=3, retry_delay=30)
def send_work_returned_notices(submission_ids: list[int]) -> None:
    work_returned_notify(submission_ids=submission_ids)


@receiver(assignment_published, dispatch_uid="tasks.assignments.on_assignment_published")
def on_assignment_published(sender, *, assignment_id: int, **kwargs) -> None:
    send_assignment_published_notices(assignment_id)


@receiver(work_returned, dispatch_uid="tasks.assignments.on_work_returned")
def on_work_returned(sender, *, submission_ids: list[int], **kwargs) -> None:
    send_work_returned_notices(list(submission_ids))


@db_periodic_task(crontab(minute="*"))
def publish_due_assignments() -> int:
    # Each one published sends `assignment_published`, which queues its notice (above); a run lost with a
    # killed worker is made up by the next minute's, since the assignment is still unpublished.
    return assignments_publish_due()


@db_periodic_task(DUE_REMINDERS)
def send_homework_due_reminders() -> int:
    return homework_due_reminders_send()


@db_periodic_task(MISSING_DIGEST)
def send_missing_work_digests() -> int:
    return missing_work_digest_send()
