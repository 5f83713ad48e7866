from django.utils import timezone

from modules.attendance.models import Register
from tests.access.matrix import ADMIN_ONLY, ADMIN_ONLY_POST, Rule


def _todays_register(s) -> dict:
    register, _created = Register.objects.get_or_create(
        kind="daily", section=s.section, date=timezone.localdate()
    )
    return {"pk": register.pk}


RULES = [
    # The board fragment polled by htmx is the same URL (HX-Request), behind the same check.
    Rule("attendance:office_today", expect=ADMIN_ONLY),
    Rule("attendance:office_nudge", method="post", kwargs=_todays_register, expect=ADMIN_ONLY_POST),
]

RULES.append(Rule("attendance:office_policy", expect=ADMIN_ONLY))

# Attendance readers: the office's; revoking one that does not exist is the office's 404.
RULES += [
    Rule("attendance:office_devices", expect=ADMIN_ONLY),
    Rule("attendance:office_device_events", expect=ADMIN_ONLY),
    Rule(
        "attendance:office_device_revoke",
        method="post",
        kwargs={"pk": 999},
        expect={**ADMIN_ONLY_POST, "admin": 404},
    ),
]
