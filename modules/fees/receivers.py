"""What fees does when other modules announce something (their domain events, modules/core/events.py).
Connected when the app is ready (FeesConfig.ready), so fees reacts to enrolments without academics or
people knowing that fees exists."""

from __future__ import annotations

from django.dispatch import receiver

from modules.academics.events import enrollments_created
from modules.fees.billing import bill_enrolments


@receiver(enrollments_created, dispatch_uid="fees.bill_late_enrolments")
def bill_new_enrolments(sender, *, enrollment_ids: list[int], by, **kwargs) -> None:
    """A student enrolled after an instalment of their year was generated is billed for it at once (in
    full or prorated, FeePolicy). Delivered twice, it bills once: students already billed are skipped."""
    bill_enrolments(enrollment_ids=enrollment_ids, by=by)
