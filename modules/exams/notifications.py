"""The kinds of notification exams sends (registered by ExamsConfig.ready; see
modules/communications/kinds.py). Their texts are in templates/exams/notifications/."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from modules.accounts.models import Role
from modules.communications.kinds import NotificationKind

_FAMILY = frozenset({Role.GUARDIAN, Role.STUDENT})

GRADES_PUBLISHED = NotificationKind(
    key="grades_published",
    label=_("Grades published"),
    roles=_FAMILY,
    template="exams/notifications/grades_published.txt",
    icon="award",
)
REPORT_CARD_READY = NotificationKind(
    key="report_card_ready",
    label=_("Report card ready"),
    roles=_FAMILY,
    template="exams/notifications/report_card_ready.txt",
    icon="file-earmark-text",
)
KINDS = (GRADES_PUBLISHED, REPORT_CARD_READY)
