"""The scheduled backup: on BACKUP_SCHEDULE (school time) the worker writes an archive to BACKUP_DIR and keeps
the newest BACKUP_KEEP. A run a killed worker lost is made up on the hours after; a run whose backup exists
already (a catch-up after a good run, another node's worker) does nothing."""

from __future__ import annotations

import datetime

from huey.contrib.djhuey import db_periodic_task

from modules.core.backup import CATCH_UP_HOURS, backup_schedule, backup_scheduled_run

# Read once at start: an unreadable BACKUP_SCHEDULE stops the web server and the worker with a clear message.
BACKUP_TIME = backup_schedule()


def backup_due(timestamp: datetime.datetime) -> bool:
    """The scheduled minute and its catch-ups; never when BACKUP_SCHEDULE is empty."""
    if BACKUP_TIME is None:
        return False
    return BACKUP_TIME(timestamp) or BACKUP_TIME.catch_up(hours=CATCH_UP_HOURS)(timestamp)


@db_periodic_task(backup_due)
def run_backup() -> str:
    written = backup_scheduled_run()
    return str(written.path) if written else ""
