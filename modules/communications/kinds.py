"""The notification kinds: which kinds of news exist, declared by the module that owns each.

Communications delivers; it does not know what attendance, exams or fees have to say. Each module declares
its kinds in its own `notifications.py` (a `NotificationKind` each: key, label, who can receive it, the
channels used until the person chooses, its template) and registers them from its `AppConfig.ready()`
with `kind_register`. Modules sit above communications (modules/communications never imports them), so a
new kind is a new declaration and a new template in its module: no migration here, since the stored
`kind` columns are plain text checked against this registry when something is sent (pretix's
`register_notification_types`, without the signal).

The kind template (`template`) holds three partials rendered in the reader's language: `title` (the
in-app title and email subject), `body` (the in-app text and the email's text) and `sms`. It is plain text
(autoescape off); the HTML email escapes it again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise

from modules.accounts.models import Role
from modules.communications.models import Channel

# The stored `kind` columns are CharField(max_length=30).
KEY_MAX_LENGTH = 30
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
# What a person can receive without choosing: in-app and email (SMS only where speed matters).
IN_APP_AND_EMAIL = frozenset({Channel.IN_APP, Channel.EMAIL})
# No channel until the person chooses: news someone asks for (a daily digest), off by default.
OPT_IN: frozenset[str] = frozenset()


@dataclass(frozen=True)
class NotificationKind:
    """One kind of news the portal sends, as its owning module declares it.

    - `key`: stored with every notification, delivery and preference (lowercase, at most 30 characters).
    - `label`: what people read on their notification settings, the notification list and the delivery
      log (a lazy translation).
    - `roles`: who can receive it; the settings page shows a person only the kinds that can reach them.
    - `channels`: the channels used for a person who has not chosen (`Channel` values). Empty: the kind is
      opt-in: nobody receives it until they switch a channel on in their notification settings (`OPT_IN`).
    - `template`: the template with the `title`, `body` and `sms` partials.
    - `icon`: the Bootstrap icon shown next to it in the notification list.
    """

    key: str
    label: str | Promise
    roles: frozenset[str]
    template: str
    channels: frozenset[str] = IN_APP_AND_EMAIL
    icon: str = "megaphone"


class UnknownNotificationKind(ValueError):
    """Something was sent, or asked about, under a kind no module registered."""


_registry: dict[str, NotificationKind] = {}


def kind_register(kind: NotificationKind) -> NotificationKind:
    """Make a kind known (from the owning module's AppConfig.ready()). Registering the same declaration
    again does nothing; a different kind under a key already taken is a configuration error."""
    if not _KEY.match(kind.key) or len(kind.key) > KEY_MAX_LENGTH:
        raise ImproperlyConfigured(
            f"Notification kind key {kind.key!r} must be lowercase letters, digits and underscores, "
            f"at most {KEY_MAX_LENGTH} characters."
        )
    if not kind.roles:
        raise ImproperlyConfigured(f"Notification kind {kind.key!r} needs at least one role.")
    unknown = (set(kind.roles) - set(Role.values)) | (set(kind.channels) - set(Channel.values))
    if unknown:
        raise ImproperlyConfigured(
            f"Notification kind {kind.key!r} names unknown roles or channels: {unknown}."
        )
    registered = _registry.get(kind.key)
    if registered is not None and registered != kind:
        raise ImproperlyConfigured(f"Notification kind {kind.key!r} is already registered by another module.")
    _registry[kind.key] = kind
    return kind


def kind_unregister(key: str) -> None:
    """Forget a kind (a test's own kind, once the test is done)."""
    _registry.pop(key, None)


def kinds_all() -> list[NotificationKind]:
    """Every registered kind, in registration order: the apps' order in INSTALLED_APPS (floor order), then
    each module's declaration order."""
    return list(_registry.values())


def kind_get(key: str | NotificationKind) -> NotificationKind:
    """The registered kind for a key (or a declaration), or UnknownNotificationKind saying what is known."""
    wanted = key.key if isinstance(key, NotificationKind) else key
    kind = _registry.get(wanted)
    if kind is None or (isinstance(key, NotificationKind) and key != kind):
        known = ", ".join(sorted(_registry)) or "none"
        raise UnknownNotificationKind(
            f"Unknown notification kind {wanted!r}: declare it in its module's notifications.py and register "
            f"it with kind_register() from the module's AppConfig.ready() (registered: {known})."
        )
    return kind


def kind_choices() -> list[tuple[str, str | Promise]]:
    """(key, label) for every kind: the choices of a filter or a form field, evaluated when shown."""
    return [(kind.key, kind.label) for kind in _registry.values()]


def kind_label(key: str) -> str | Promise:
    """The label of a stored kind; a kind no longer registered (its module removed it) shows its key."""
    kind = _registry.get(key)
    return kind.label if kind is not None else key


def kind_icon(key: str) -> str:
    kind = _registry.get(key)
    return kind.icon if kind is not None else "megaphone"
