"""In-app notifications: the bell's state, the list, and each person's channel preferences; and the kinds of
notification communications itself owns (messages and announcements), registered by CommunicationsConfig."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Max
from django.utils.translation import gettext_lazy as _

from modules.accounts.models import Role, User
from modules.communications.kinds import NotificationKind, kinds_all
from modules.communications.models import Channel, Notification, NotificationPreference

_EVERYONE = frozenset(Role.values)

NEW_MESSAGE = NotificationKind(
    key="new_message",
    label=_("New message"),
    roles=_EVERYONE,
    template="communications/notifications/new_message.txt",
    icon="chat-left-text",
)
ANNOUNCEMENT = NotificationKind(
    key="announcement",
    label=_("Announcement"),
    roles=_EVERYONE,
    template="communications/notifications/announcement.txt",
    icon="megaphone",
)
KINDS = (NEW_MESSAGE, ANNOUNCEMENT)


@dataclass(frozen=True)
class BellState:
    unread: int
    latest_id: int

    @property
    def token(self) -> str:
        """Changes whenever a notification arrives or is read: the bell's poll sends it back."""
        return f"{self.latest_id}-{self.unread}"


def bell_state(user: User) -> BellState:
    """One indexed query: how many unread, and the newest unread id."""
    row = Notification.objects.filter(recipient=user, read_at__isnull=True).aggregate(
        unread=Count("pk"), latest=Max("pk")
    )
    return BellState(unread=row["unread"], latest_id=row["latest"] or 0)


@dataclass(frozen=True)
class PreferenceRow:
    kind: str
    label: str
    in_app: bool
    email: bool
    sms: bool
    email_digest: bool


def preference_rows(user: User) -> list[PreferenceRow]:
    """Every kind with the person's choice, or the default where they have not chosen."""
    chosen = {p.kind: p for p in NotificationPreference.objects.filter(user=user)}
    roles = set(user.roles)
    rows = []
    for kind in kinds_all():
        if not roles & kind.roles:
            continue
        preference = chosen.get(kind.key)
        channels = preference.channels if preference else kind.channels
        rows.append(
            PreferenceRow(
                kind=kind.key,
                label=str(kind.label),
                in_app=Channel.IN_APP in channels,
                email=Channel.EMAIL in channels,
                sms=Channel.SMS in channels,
                email_digest=bool(preference and preference.email_digest),
            )
        )
    return rows


@transaction.atomic
def preferences_save(*, user: User, choices: dict[str, dict[str, bool]], sms_offered: bool = True) -> None:
    """Store the person's channels for the kinds that can reach them (kind -> channel -> on/off).

    With SMS off (`sms_offered` False) the page did not ask about text messages: each kind keeps the choice
    it had (or its default), ready for the day the school configures a provider."""
    roles = set(user.roles)
    stored = {p.kind: p.sms for p in NotificationPreference.objects.filter(user=user)}
    for kind in kinds_all():
        if not roles & kind.roles:
            continue
        chosen = choices.get(kind.key, {})
        sms = chosen.get("sms", False) if sms_offered else stored.get(kind.key, Channel.SMS in kind.channels)
        NotificationPreference.objects.update_or_create(
            user=user,
            kind=kind.key,
            defaults={
                "in_app": chosen.get("in_app", False),
                "email": chosen.get("email", False),
                "sms": sms,
                "email_digest": chosen.get("email", False) and chosen.get("email_digest", False),
            },
        )
