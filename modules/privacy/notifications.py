"""The kind of notification privacy sends (registered by PrivacyConfig.ready; see
modules/communications/kinds.py): the guardian who asked for their child's data is told when the zip is
ready, and until when it can be downloaded. The data itself never goes by email: it is downloaded once,
behind the login."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from modules.accounts.models import Role
from modules.communications.kinds import NotificationKind

DATA_REQUEST_READY = NotificationKind(
    key="data_request_ready",
    label=_("My child's data is ready to download"),
    roles=frozenset({Role.GUARDIAN}),
    template="privacy/notifications/data_request_ready.txt",
    icon="file-earmark-zip",
)

KINDS = (DATA_REQUEST_READY,)
