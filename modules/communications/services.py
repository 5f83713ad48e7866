"""The one way the portal reaches people: `notify(recipients, kind, context, ...)`.

It records in-app notifications and queues emails and SMS per each recipient's preferences, rendered once
per language (not once per person), with bulk inserts: a school-wide announcement to 3,000 families is a
handful of queries. Every event has a key (kind:object:recipient[:channel]) stored with what it created, so
the same event never reaches the same person twice, however often it is notified.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from modules.accounts.models import User
from modules.communications.events import deliveries_queued
from modules.communications.kinds import NotificationKind, kind_get
from modules.communications.models import (
    Attachment,
    Channel,
    Delivery,
    DeliveryStatus,
    Notification,
    NotificationPreference,
)
from modules.core.models import SchoolProfile
from modules.people.models import Guardian

logger = logging.getLogger(__name__)

LANGUAGES = {code for code, _name in settings.LANGUAGES}
CHUNK = 500


@dataclass(frozen=True)
class Recipient:
    """Someone to reach: a login, or a guardian's contact details when the guardian has no login."""

    key: str  # "u<user id>" or "g<guardian id>": the recipient part of idempotency keys
    name: str
    email: str
    phone: str
    language: str
    user_id: int | None = None
    guardian_id: int | None = None


def _phone_of(user: User) -> str:
    for profile_name in ("guardian_profile", "staff_profile", "student_profile"):
        profile = getattr(user, profile_name, None) if user._has_profile(profile_name) else None
        if profile is not None and profile.phone:
            return profile.phone
    return ""


def recipients_for_users(users: Iterable[User]) -> list[Recipient]:
    """Recipients for logins. Pass users loaded with their profiles (select_related) to avoid a query each."""
    result = []
    for user in users:
        guardian = user.guardian_profile if user._has_profile("guardian_profile") else None
        result.append(
            Recipient(
                key=f"u{user.pk}",
                name=user.get_full_name() or user.email,
                email=user.email,
                phone=_phone_of(user),
                language=user.language or settings.LANGUAGE_CODE,
                user_id=user.pk,
                guardian_id=guardian.pk if guardian is not None else None,
            )
        )
    return result


def users_with_profiles(queryset: models.QuerySet[User] | None = None) -> models.QuerySet[User]:
    return (queryset if queryset is not None else User.objects.all()).select_related(
        "guardian_profile", "staff_profile", "student_profile"
    )


def recipients_for_guardians(guardians: Iterable[Guardian]) -> list[Recipient]:
    """Guardians, each reached through their login when they have one (in-app, their preferences and
    language), otherwise by the email and phone the school holds (email/SMS with default preferences)."""
    result = []
    for guardian in guardians:
        user = guardian.user if guardian.user_id else None
        if user is not None and user.is_active:
            result.append(
                Recipient(
                    key=f"u{user.pk}",
                    name=guardian.full_name,
                    email=guardian.email or user.email,
                    phone=guardian.phone,
                    language=user.language or guardian.preferred_language,
                    user_id=user.pk,
                    guardian_id=guardian.pk,
                )
            )
        else:
            result.append(
                Recipient(
                    key=f"g{guardian.pk}",
                    name=guardian.full_name,
                    email=guardian.email,
                    phone=guardian.phone,
                    language=guardian.preferred_language,
                    guardian_id=guardian.pk,
                )
            )
    return result


@dataclass
class NotifyResult:
    notifications: int = 0
    deliveries: int = 0
    skipped_duplicates: int = 0
    unreachable: list[str] = field(
        default_factory=list
    )  # "<name>: no email address", for the caller's message


@dataclass(frozen=True)
class _Rendered:
    title: str
    body: str
    subject: str
    text: str
    html: str
    sms: str


def _render(kind: NotificationKind, context: dict, language: str, url: str) -> _Rendered:
    template = kind.template
    school = context.get("school")
    with translation.override(language):
        title = render_to_string(f"{template}#title", context).strip()
        body = render_to_string(f"{template}#body", context).strip()
        sms = render_to_string(f"{template}#sms", context).strip()
        email_context = {
            **context,
            "title": title,
            "body": body,
            "url": url,
            "school": school,
            "language": language,
        }
        text = render_to_string("communications/email/notification.txt", email_context)
        html = render_to_string("communications/email/notification.html", email_context)
    return _Rendered(title=title, body=body, subject=title, text=text, html=html, sms=sms)


def _preferences(user_ids: Sequence[int], kind: str) -> dict[int, NotificationPreference]:
    found: dict[int, NotificationPreference] = {}
    for start in range(0, len(user_ids), CHUNK):
        chunk = user_ids[start : start + CHUNK]
        for preference in NotificationPreference.objects.filter(user_id__in=chunk, kind=kind):
            found[preference.user_id] = preference
    return found


def _existing_keys(model: type[Notification] | type[Delivery], keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        found.update(model.objects.filter(key__in=keys[start : start + CHUNK]).values_list("key", flat=True))
    return found


def _absolute(url: str) -> str:
    if not url or url.startswith(("http://", "https://")):
        return url
    return settings.STUDENTFLOW_BASE_URL.rstrip("/") + url


def notify(
    recipients: Iterable[Recipient],
    kind: NotificationKind | str,
    context: dict,
    *,
    obj: models.Model | None = None,
    event: str = "",
    url: str = "",
    channels: set[str] | None = None,
    attachments: Sequence[Attachment] = (),
) -> NotifyResult:
    """Tell people about one event.

    `kind` is a registered NotificationKind (modules/communications/kinds.py) or its key; `context` feeds
    its template (partials title, body, sms); `obj` (or `event`, a string) names the event for idempotency;
    `url` is where the notification leads. `channels` narrows what may be used (e.g. {in_app} for a quiet
    update); within it, each person's preferences decide. `attachments` (stored files) go with each email,
    which is then sent on its own even to someone who takes the daily digest.
    Emails and SMS are queued on Huey when the transaction commits.
    """
    kind = kind_get(kind)  # an unregistered kind raises UnknownNotificationKind, naming what is registered
    if obj is None and not event:
        raise ValueError("notify() needs the object or an event name, for idempotency")
    event_key = f"{kind.key}:{obj._meta.label_lower}:{obj.pk}" if obj is not None else f"{kind.key}:{event}"
    object_type = obj._meta.label_lower if obj is not None else ""
    object_id = str(obj.pk) if obj is not None else ""
    allowed = channels if channels is not None else {Channel.IN_APP, Channel.EMAIL, Channel.SMS}
    context = {"school": SchoolProfile.load(), **context}

    people = list({recipient.key: recipient for recipient in recipients}.values())
    preferences = _preferences([p.user_id for p in people if p.user_id], kind.key)
    rendered: dict[str, _Rendered] = {}
    absolute_url = _absolute(url)

    def rendering(language: str) -> _Rendered:
        if language not in LANGUAGES:
            logger.warning(
                "Unknown language %r for a %s notification; using %s",
                language,
                kind.key,
                settings.LANGUAGE_CODE,
            )
            language = settings.LANGUAGE_CODE
        if language not in rendered:
            rendered[language] = _render(kind, context, language, absolute_url)
        return rendered[language]

    result = NotifyResult()
    notifications: list[Notification] = []
    deliveries: list[Delivery] = []
    now = timezone.now()
    for person in people:
        preference = preferences.get(person.user_id) if person.user_id else None
        wanted = (preference.channels if preference else set(kind.channels)) & allowed
        digest = bool(preference and preference.email_digest) and not attachments
        language = person.language if person.language in LANGUAGES else settings.LANGUAGE_CODE
        text = rendering(person.language)
        if Channel.IN_APP in wanted and person.user_id:
            notifications.append(
                Notification(
                    recipient_id=person.user_id,
                    kind=kind.key,
                    title=text.title[:200],
                    body=text.body,
                    url=url,
                    object_type=object_type,
                    object_id=object_id,
                    key=f"{event_key}:{person.key}"[:200],
                    created_at=now,
                )
            )
        for channel, address in ((Channel.EMAIL, person.email), (Channel.SMS, person.phone)):
            if channel not in wanted:
                continue
            delivery = Delivery(
                channel=channel,
                kind=kind.key,
                recipient_id=person.user_id,
                guardian_id=person.guardian_id,
                recipient_name=person.name[:200],
                address=address,
                language=language,
                subject=text.subject[:255] if channel == Channel.EMAIL else "",
                body_text=text.text if channel == Channel.EMAIL else text.sms,
                body_html=text.html if channel == Channel.EMAIL else "",
                object_type=object_type,
                object_id=object_id,
                key=f"{event_key}:{person.key}:{channel}"[:200],
                status=DeliveryStatus.DIGEST
                if digest and channel == Channel.EMAIL
                else DeliveryStatus.QUEUED,
                created_at=now,
            )
            if not address:
                # Nothing to send to: the log says so, and the caller can tell the person who acted.
                delivery.status = DeliveryStatus.FAILED
                delivery.last_error = (
                    "No email address on file." if channel == Channel.EMAIL else "No phone number on file."
                )
                result.unreachable.append(f"{person.name}: {delivery.last_error}")
            deliveries.append(delivery)

    created_notifications = _insert_new(Notification, notifications)
    created_deliveries = _insert_new(Delivery, deliveries)
    if attachments:
        Delivery.attachments.through.objects.bulk_create(
            [
                Delivery.attachments.through(delivery_id=delivery.pk, attachment_id=attachment.pk)
                for delivery in created_deliveries
                if delivery.channel == Channel.EMAIL
                for attachment in attachments
            ]
        )
    result.notifications = len(created_notifications)
    result.deliveries = len([d for d in created_deliveries if d.status == DeliveryStatus.QUEUED])
    result.skipped_duplicates = (len(notifications) - len(created_notifications)) + (
        len(deliveries) - len(created_deliveries)
    )
    to_send = [d.pk for d in created_deliveries if d.status == DeliveryStatus.QUEUED]
    if to_send:
        deliveries_queued.send_on_commit(delivery_ids=to_send)
    return result


def _insert_new[Row: (Notification, Delivery)](model: type[Row], rows: list[Row]) -> list[Row]:
    """Insert the rows whose key is not stored yet; a concurrent insert of the same key is skipped too."""
    if not rows:
        return []
    existing = _existing_keys(model, [row.key for row in rows])
    fresh = [row for row in rows if row.key not in existing]
    try:
        with transaction.atomic():
            return model.objects.bulk_create(fresh, batch_size=CHUNK)
    except IntegrityError:
        # Another process notified the same event meanwhile: keep only what is still new, one by one.
        created: list[Row] = []
        for row in fresh:
            try:
                with transaction.atomic():
                    row.save(force_insert=True)
                created.append(row)
            except IntegrityError:
                continue
        return created


@transaction.atomic
def notifications_mark_read(*, user: User, ids: Sequence[int] | None = None) -> int:
    """Mark the user's notifications read (all of them when `ids` is None). Returns how many changed."""
    unread = Notification.objects.for_user(user).unread()
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
