"""The kinds of notification attendance sends (registered by AttendanceConfig.ready; see
modules/communications/kinds.py). Their texts are in templates/attendance/notifications/."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from modules.accounts.models import Role
from modules.communications.kinds import NotificationKind
from modules.communications.models import Channel

ABSENCE = NotificationKind(
    key="absence",
    label=_("Absence"),
    roles=frozenset({Role.GUARDIAN, Role.STUDENT}),
    template="attendance/notifications/absence.txt",
    # Families hear of an unexplained absence the same morning: by text message too, unless they choose.
    channels=frozenset({Channel.IN_APP, Channel.EMAIL, Channel.SMS}),
    icon="calendar-x",
)
REGISTER_REMINDER = NotificationKind(
    key="register_reminder",
    label=_("Register reminder"),
    roles=frozenset({Role.TEACHER}),
    template="attendance/notifications/register_reminder.txt",
    icon="alarm",
)
ABSENCE_NOTE = NotificationKind(
    key="absence_note",
    label=_("Absence note answered"),
    roles=frozenset({Role.GUARDIAN}),
    template="attendance/notifications/absence_note.txt",
    icon="envelope-paper",
)
ATTENDANCE_DIGEST = NotificationKind(
    key="attendance_digest",
    label=_("Weekly attendance digest"),
    roles=frozenset({Role.ADMINISTRATOR, Role.TEACHER}),
    template="attendance/notifications/attendance_digest.txt",
    icon="graph-down",
)
KINDS = (ABSENCE, REGISTER_REMINDER, ABSENCE_NOTE, ATTENDANCE_DIGEST)
