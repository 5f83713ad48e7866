"""Announcements on the queue: publish one now (after it is saved), and publish scheduled ones when due."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from modules.communications.announcements import announcement_publish, announcements_publish_due


@db_task()
def announcement_publish_task(announcement_id: int) -> None:
    announcement_publish(announcement_id=announcement_id)


@db_periodic_task(crontab(minute="*"))
def announcements_publish_due_task() -> int:
    return announcements_publish_due()
