"""Announcements: saving (with attachments), publishing to the audience once, and the reads pages need.

Who sees an announcement is `Announcement.objects.visible_to(user)`; who is *notified* at publication is
resolved here, in bulk, from the same relationships (families and staff, never a query per person).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from modules.academics.models import EnrollmentStatus
from modules.academics.selectors import current_year
from modules.accounts.models import STAFF_ROLES, Role, User
from modules.communications.events import announcement_published
from modules.communications.models import Announcement, Attachment, AudienceKind
from modules.communications.notifications import ANNOUNCEMENT
from modules.communications.services import (
    NotifyResult,
    Recipient,
    notify,
    recipients_for_guardians,
    recipients_for_users,
    users_with_profiles,
)
from modules.people.models import Guardian, GuardianLink, Staff, Student

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NewAttachment:
    """An upload that passed `validate_attachment`, with the content type it was recognised as."""

    upload: UploadedFile
    content_type: str


# --- selectors -------------------------------------------------------------------------------------------


def can_post_announcements(user) -> bool:
    return user.is_authenticated and (Role.ADMINISTRATOR in user.roles or Role.TEACHER in user.roles)


def announcements_for_list(user) -> QuerySet[Announcement]:
    """Announcements the user may read, pinned first then newest, with what a list row shows."""
    return (
        Announcement.objects.visible_to(user)
        .select_related("author")
        .annotate(attachment_count=Count("attachments"))
        .order_by("-is_pinned", "-publish_at", "-pk")
    )


def announcements_for_manage(user) -> QuerySet[Announcement]:
    """Everything the user may edit (administrators: all; teachers: their own), in every state."""
    return (
        Announcement.objects.manageable_by(user)
        .select_related("author", "grade_level", "section", "offering__subject", "offering__section")
        .order_by("-publish_at", "-pk")
    )


def announcements_for_home(user, limit: int = 5) -> list[Announcement]:
    """The latest announcements for a home page, pinned first: one query."""
    return list(
        Announcement.objects.visible_to(user)
        .select_related("author")
        .only("pk", "title", "publish_at", "is_pinned", "author__first_name", "author__last_name")
        .order_by("-is_pinned", "-publish_at", "-pk")[:limit]
    )


def announcement_detail_url(announcement: Announcement) -> str:
    return reverse("communications:announcement_detail", kwargs={"pk": announcement.pk})


# --- the audience, for notification ----------------------------------------------------------------------


def _enrolled_students(announcement: Announcement) -> QuerySet[Student]:
    active = Q(enrollments__status=EnrollmentStatus.ACTIVE)
    if announcement.audience == AudienceKind.SECTION:
        return Student.objects.filter(active, enrollments__section_id=announcement.section_id)
    if announcement.audience == AudienceKind.OFFERING:
        return Student.objects.filter(active, enrollments__section__offerings=announcement.offering_id)
    year = current_year()
    if year is None:
        return Student.objects.none()
    return Student.objects.filter(
        active, enrollments__year=year, enrollments__section__grade_level_id=announcement.grade_level_id
    )


def audience_querysets(
    announcement: Announcement,
) -> tuple[QuerySet[Student], QuerySet[Staff], QuerySet[Guardian]]:
    """(students, staff, guardians) to notify. Families: the students and the guardians linked to them who
    receive notifications. Staff: by role, or everyone for the whole school."""
    students = Student.objects.none()
    staff = Staff.objects.none()
    families_of = None
    kind = announcement.audience
    if kind == AudienceKind.SCHOOL:
        students = Student.objects.active()
        staff = Staff.objects.filter(is_active=True)
        families_of = students
    elif kind == AudienceKind.ROLE:
        role = announcement.audience_role
        if role == Role.STUDENT:
            students = Student.objects.active()
        elif role == Role.GUARDIAN:
            families_of = Student.objects.active()
        elif role in STAFF_ROLES:
            staff = Staff.objects.filter(is_active=True, position=role)
    else:
        students = _enrolled_students(announcement).filter(is_active=True)
        families_of = students
    guardians = Guardian.objects.none()
    if families_of is not None:
        links = GuardianLink.objects.filter(student__in=families_of.values("pk"), receives_notifications=True)
        guardians = Guardian.objects.filter(pk__in=links.values("guardian_id"))
    return students, staff, guardians


def announcement_recipients(announcement: Announcement) -> list[Recipient]:
    """Everyone to notify, in two queries whatever the size of the audience."""
    students, staff, guardians = audience_querysets(announcement)
    users = users_with_profiles(
        User.objects.filter(
            Q(pk__in=students.filter(user__isnull=False).values("user_id"))
            | Q(pk__in=staff.values("user_id")),
            is_active=True,
        )
    )
    # Guardians last: a parent who is also on the staff is reached once, as a guardian (their contact
    # details on file), since notify() keeps one recipient per login.
    return recipients_for_users(users) + recipients_for_guardians(
        Guardian.objects.select_related("user").filter(pk__in=guardians.values("pk")).distinct()
    )


# --- services --------------------------------------------------------------------------------------------


@transaction.atomic
def announcement_save(
    *,
    announcement: Announcement,
    by: User,
    attachments: Sequence[NewAttachment] = (),
    remove_attachments: Iterable[Attachment] = (),
) -> Announcement:
    """Create or update an announcement with its files, all or nothing. When it is due and its audience
    was not notified yet, it is announced once the transaction commits (`announcement_published`: the
    publication is queued)."""
    if announcement.pk is None:
        announcement.author = by
    stored: list[str] = []
    try:
        announcement.save()
        for item in attachments:
            attachment = Attachment(
                announcement=announcement,
                filename=(item.upload.name or "file")[:255],
                content_type=item.content_type,
                size=item.upload.size,
                uploaded_by=by,
            )
            attachment.file.save(item.upload.name, item.upload, save=False)
            stored.append(attachment.file.name)
            attachment.save()
    except Exception:
        # The rows roll back with the transaction; the files already written must go too.
        _delete_files(stored)
        raise
    removed = [a for a in remove_attachments if a.announcement_id == announcement.pk]
    if removed:
        names = [a.file.name for a in removed]
        Attachment.objects.filter(pk__in=[a.pk for a in removed]).delete()
        transaction.on_commit(lambda: _delete_files(names))
    if announcement.notified_at is None and announcement.publish_at <= timezone.now():
        announcement_published.send_on_commit(announcement_id=announcement.pk, by=by)
    return announcement


@transaction.atomic
def announcement_delete(*, announcement: Announcement, by: User) -> None:
    names = list(announcement.attachments.values_list("file", flat=True))
    announcement.delete()
    transaction.on_commit(lambda: _delete_files(names))


def announcement_publish(
    *, announcement_id: int, now: datetime.datetime | None = None
) -> NotifyResult | None:
    """Notify the audience of a due announcement, once. Returns None when there was nothing to do (not
    due yet, already notified, deleted). Safe to run twice and concurrently: the first run to set
    `notified_at` notifies, and notify() itself never repeats an event for a person."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = Announcement.objects.filter(
            pk=announcement_id, notified_at__isnull=True, publish_at__lte=now
        ).update(notified_at=now)
        if not claimed:
            return None
        announcement = Announcement.objects.select_related("author").get(pk=announcement_id)
        if announcement.expires_at is not None and announcement.expires_at <= now:
            # Expired before it could be announced (the queue was down): telling people now helps nobody.
            return None
        return notify(
            announcement_recipients(announcement),
            ANNOUNCEMENT,
            {"announcement": announcement},
            obj=announcement,
            url=announcement_detail_url(announcement),
        )


def announcements_publish_due(*, now: datetime.datetime | None = None) -> int:
    """Publish every announcement whose time has come and whose audience was not notified yet."""
    now = now or timezone.now()
    due = list(
        Announcement.objects.filter(notified_at__isnull=True, publish_at__lte=now)
        .order_by("publish_at", "pk")
        .values_list("pk", flat=True)
    )
    published = 0
    for pk in due:
        if announcement_publish(announcement_id=pk, now=now) is not None:
            published += 1
    return published


def _delete_files(names: Iterable[str]) -> None:
    storage = Attachment._meta.get_field("file").storage
    for name in names:
        if not name:
            continue
        try:
            storage.delete(name)
        except OSError:
            logger.warning("Could not delete the attachment file %s", name, exc_info=True)
