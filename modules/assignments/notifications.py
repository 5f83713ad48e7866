"""The kinds of notification assignments send (registered by AssignmentsConfig.ready; see
modules/communications/kinds.py). Their texts are in templates/assignments/notifications/; `notices.py` sends
them.

Students hear of new homework, of homework due tomorrow and of their work returned; guardians hear of their
child's work returned. What guardians must ask for (the kinds are opt-in: off until switched on in their
notification settings) is the day-before reminder of their child's homework and the daily digest of missing
work: many families want neither, and a school should not fill their inbox unasked.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from modules.accounts.models import Role
from modules.communications.kinds import OPT_IN, NotificationKind

ASSIGNMENT_PUBLISHED = NotificationKind(
    key="assignment_published",
    label=_("New homework"),
    roles=frozenset({Role.STUDENT}),
    template="assignments/notifications/assignment_published.txt",
    icon="journal-plus",
)
HOMEWORK_DUE = NotificationKind(
    key="homework_due",
    label=_("Homework due tomorrow"),
    roles=frozenset({Role.STUDENT}),
    template="assignments/notifications/homework_due.txt",
    icon="alarm",
)
CHILD_HOMEWORK_DUE = NotificationKind(
    key="child_homework_due",
    label=_("Homework due tomorrow (my children)"),
    roles=frozenset({Role.GUARDIAN}),
    template="assignments/notifications/child_homework_due.txt",
    channels=OPT_IN,
    icon="alarm",
)
WORK_RETURNED = NotificationKind(
    key="work_returned",
    label=_("Homework marked"),
    roles=frozenset({Role.STUDENT, Role.GUARDIAN}),
    template="assignments/notifications/work_returned.txt",
    icon="journal-check",
)
MISSING_WORK = NotificationKind(
    key="missing_work",
    label=_("Missing homework (daily digest)"),
    roles=frozenset({Role.GUARDIAN}),
    template="assignments/notifications/missing_work.txt",
    channels=OPT_IN,
    icon="journal-x",
)
KINDS = (ASSIGNMENT_PUBLISHED, HOMEWORK_DUE, CHILD_HOMEWORK_DUE, WORK_RETURNED, MISSING_WORK)
