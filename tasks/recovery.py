"""The fan-out sweeper: every minute, notification fan-outs whose task was lost are run again.

Huey does not acknowledge tasks: a worker killed before or while it ran a fan-out task (absence notices
after a register is submitted, "marks published", term results, new invoices, an invitation) loses it, and its
service's transaction rolls back. What is still owed stays in the database (modules/core/fanout.py); each
owning module finds its own, inside a bounded window, and runs its service again, which is safe to run twice
(nobody is told twice). Jobs and deliveries have their own sweeps (tasks/jobs.py, tasks/communications.py);
announcements need none: `announcements_publish_due_task` already publishes every due announcement not yet
notified, whether its "publish now" task ran or not.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="*"))
def sweep_lost_fanouts() -> int:
    from modules.accounts.services import invitations_recover
    from modules.attendance.notices import registers_notices_recover
    from modules.exams.publishing import assessments_notices_recover, terms_notices_recover
    from modules.fees.notices import invoices_notices_recover

    return (
        invitations_recover()
        + registers_notices_recover()
        + assessments_notices_recover()
        + terms_notices_recover()
        + invoices_notices_recover()
    )
