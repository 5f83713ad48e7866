"""In-app notifications: the bell's state, the list, and each person's channel preferences."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Max

from modules.accounts.models import User
from modules.communications.models import (
    DEFAULT_CHANNELS,
    KIND_ROLES,
    Channel,
    Notification,
    NotificationKind,
    NotificationPreference,
)


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
    for kind, label in NotificationKind.choices:
        if not roles & KIND_ROLES[kind]:
            continue
        preference = chosen.get(kind)
        channels = preference.channels if preference else DEFAULT_CHANNELS[kind]
        rows.append(
            PreferenceRow(
                kind=kind,
                label=str(label),
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
    for kind in NotificationKind.values:
        if not roles & KIND_ROLES[kind]:
            continue
        chosen = choices.get(kind, {})
        sms = (
            chosen.get("sms", False)
            if sms_offered
            else stored.get(kind, Channel.SMS in DEFAULT_CHANNELS[kind])
        )
        NotificationPreference.objects.update_or_create(
            user=user,
            kind=kind,
            defaults={
                "in_app": chosen.get("in_app", False),
                "email": chosen.get("email", False),
                "sms": sms,
                "email_digest": chosen.get("email", False) and chosen.get("email_digest", False),
            },
        )
