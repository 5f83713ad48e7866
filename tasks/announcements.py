"""Announcements on the queue: publish one now (after it is saved: `announcement_published`, sent by
communications after commit), and publish scheduled ones when due."""

from __future__ import annotations

from django.dispatch import receiver
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from modules.communications.announcements import announcement_publish, announcements_publish_due
from modules.communications.events import announcement_published


@db_task()
def publish_announcement(announcement_id: int) -> None:
    announcement_publish(announcement_id=announcement_id)


@db_periodic_task(crontab(minute="*"))
def publish_due_announcements() -> int:
    return announcements_publish_due()


@receiver(announcement_published, dispatch_uid="tasks.announcements.on_announcement_published")
def on_announcement_published(sender, *, announcement_id: int, **kwargs) -> None:
    publish_announcement(announcement_id)
