"""The kinds of notification the timetable sends (registered by TimetableConfig.ready; see
modules/communications/kinds.py). Their texts are in templates/timetable/notifications/; `covering.py` sends
them.

A teacher assigned to cover a lesson for an absent colleague is told which lesson, when and where, in the
portal and by email (their notification settings decide); and told again if the office takes the cover
back (the colleague is not away after all, or someone else takes it) before its day.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from modules.accounts.models import Role
from modules.communications.kinds import NotificationKind

COVER_ASSIGNED = NotificationKind(
    key="cover_assigned",
    label=_("Cover assigned to me"),
    roles=frozenset({Role.TEACHER}),
    template="timetable/notifications/cover_assigned.txt",
    icon="person-workspace",
)
COVER_CANCELLED = NotificationKind(
    key="cover_cancelled",
    label=_("My cover cancelled"),
    roles=frozenset({Role.TEACHER}),
    template="timetable/notifications/cover_cancelled.txt",
    icon="person-dash",
)
KINDS = (COVER_ASSIGNED, COVER_CANCELLED)
