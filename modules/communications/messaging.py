"""Message threads between families and staff: who may write to whom, the inbox read, and the writes.

The rules, each tied to this academic year's active enrolments:
- a guardian writes to the staff of their children: each child's class teachers, the homeroom teacher, and
  the office (active administrators);
- a teacher writes to colleagues, the guardians of students they teach (a class or their homeroom), and
  those students;
- a student writes to their teachers and homeroom teacher only (never to other students or families);
- a bursar writes to staff and to any guardian (fees questions);
- an administrator writes to anyone.
A login holding several roles may write to everyone any of its roles allows. The same function fills the
"To" choices and validates on POST, so the page and the rule cannot disagree.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator, Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Substr
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.academics.models import Enrollment, EnrollmentStatus
from modules.academics.selectors import current_year
from modules.accounts.models import STAFF_ROLES, Role, User
from modules.communications.models import (
    Attachment,
    Message,
    Notification,
    Thread,
    ThreadParticipant,
)
from modules.communications.notifications import NEW_MESSAGE
from modules.communications.services import notify, recipients_for_users, users_with_profiles
from modules.core.uploads import validate_attachment
from modules.people.models import Guardian, GuardianLink, Position, Staff, Student

MAX_ATTACHMENTS = 5
EXCERPT_CHARS = 160
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


# ---------------------------------------------------------------- who may write to whom


def _active_enrolments(year) -> QuerySet[Enrollment]:
    return Enrollment.objects.filter(year=year, status=EnrollmentStatus.ACTIVE)


def _students_taught_by(user: User, year) -> QuerySet:
    """Ids of students actively enrolled this year in a section the user teaches a class in or leads."""
    return (
        _active_enrolments(year)
        .filter(Q(section__offerings__teacher__user=user) | Q(section__homeroom_teacher__user=user))
        .values("student_id")
    )


def _teachers_of(student_ids: QuerySet, year) -> QuerySet:
    """User ids of the active staff teaching a class in, or leading, the students' sections this year."""
    sections = _active_enrolments(year).filter(student_id__in=student_ids).values("section_id")
    return (
        Staff.objects.filter(is_active=True)
        .filter(Q(offerings__section_id__in=sections) | Q(homeroom_sections__id__in=sections))
        .values("user_id")
    )


def _guardian_logins_of(student_ids: QuerySet) -> QuerySet:
    return GuardianLink.objects.filter(student_id__in=student_ids, guardian__user__isnull=False).values(
        "guardian__user_id"
    )


def _student_logins(student_ids: QuerySet) -> QuerySet:
    return Student.objects.filter(pk__in=student_ids, is_active=True, user__isnull=False).values("user_id")


def _children_of(user: User) -> QuerySet:
    return GuardianLink.objects.filter(guardian__user=user).values("student_id")


def can_use_messaging(user) -> bool:
    """Only people the school knows in a role take part in threads."""
    return user.is_authenticated and bool(user.roles)


def messaging_contacts(user) -> QuerySet[User]:
    """The people `user` may start a thread with (active logins, never themself), profiles loaded."""
    if not can_use_messaging(user):
        return User.objects.none()
    roles = set(user.roles)
    everyone = users_with_profiles(User.objects.filter(is_active=True).exclude(pk=user.pk))
    if Role.ADMINISTRATOR in roles:
        return everyone
    staff = Staff.objects.filter(is_active=True).values("user_id")
    condition = Q(pk__in=[])
    year = current_year() if roles & {Role.GUARDIAN, Role.TEACHER, Role.STUDENT} else None
    if Role.GUARDIAN in roles:
        office = Staff.objects.filter(is_active=True, position=Position.ADMINISTRATOR).values("user_id")
        condition |= Q(pk__in=office)
        if year is not None:
            condition |= Q(pk__in=_teachers_of(_children_of(user), year))
    if Role.TEACHER in roles:
        condition |= Q(pk__in=staff)
        if year is not None:
            taught = _students_taught_by(user, year)
            condition |= Q(pk__in=_guardian_logins_of(taught)) | Q(pk__in=_student_logins(taught))
    if Role.BURSAR in roles:
        condition |= Q(pk__in=staff) | Q(pk__in=Guardian.objects.filter(user__isnull=False).values("user_id"))
    if Role.STUDENT in roles and year is not None:
        condition |= Q(pk__in=_teachers_of(Student.objects.filter(user=user).values("pk"), year))
    return everyone.filter(condition)


def can_message(sender, recipient) -> bool:
    """May `sender` start a thread with `recipient`? The same rule as the "To" choices."""
    if recipient is None or sender.pk == recipient.pk:
        return False
    return messaging_contacts(sender).filter(pk=recipient.pk).exists()


def about_student_choices(user) -> QuerySet[Student]:
    """The students a thread started by `user` may be about: a guardian's children, a teacher's students
    this year, every active student for the office and the bursar."""
    if not can_use_messaging(user):
        return Student.objects.none()
    roles = set(user.roles)
    if roles & {Role.ADMINISTRATOR, Role.BURSAR}:
        return Student.objects.active()
    condition = Q(pk__in=[])
    if Role.GUARDIAN in roles:
        condition |= Q(pk__in=_children_of(user))
    if Role.TEACHER in roles:
        year = current_year()
        if year is not None:
            condition |= Q(pk__in=_students_taught_by(user, year))
    return Student.objects.active().filter(condition)


def can_be_about(sender, recipient, student: Student) -> bool:
    """A thread about a student must be one the sender may name, and a family member (no staff role) may
    only be written to about their own child (or, for a student, themself): no child's name leaks."""
    if not about_student_choices(sender).filter(pk=student.pk).exists():
        return False
    if any(role in STAFF_ROLES for role in recipient.roles):
        return True
    return student.user_id == recipient.pk or student.guardian_links.filter(guardian__user=recipient).exists()


# ---------------------------------------------------------------- reads


def thread_url(thread: Thread) -> str:
    return reverse("communications:thread_detail", kwargs={"pk": thread.pk})


def inbox_threads(user: User) -> QuerySet[Thread]:
    """The user's threads, most recent first, each annotated in the same query with `unread` (messages
    from others after the user's last_read_at), `excerpt` and `last_sender_id` of the latest message;
    the other participants come in one prefetch as `others`."""
    mine = ThreadParticipant.objects.filter(thread=OuterRef("pk"), user=user)
    read_mark = Coalesce(Subquery(mine.values("last_read_at")[:1]), Value(_EPOCH))
    unread = (
        Message.objects.filter(thread=OuterRef("pk"), created_at__gt=OuterRef("read_mark"))
        .exclude(sender=user)
        .order_by()
        .values("thread")
        .annotate(count=Count("pk"))
        .values("count")
    )
    latest = Message.objects.filter(thread=OuterRef("pk")).order_by("-created_at", "-pk")
    return (
        Thread.objects.visible_to(user)
        .select_related("student")
        .annotate(
            read_mark=read_mark,
            unread=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)),
            excerpt=Subquery(latest.annotate(cut=Substr("body", 1, EXCERPT_CHARS)).values("cut")[:1]),
            last_sender_id=Subquery(latest.values("sender_id")[:1]),
        )
        .prefetch_related(
            Prefetch(
                "participants",
                queryset=ThreadParticipant.objects.exclude(user=user).select_related("user"),
                to_attr="others",
            )
        )
        .order_by("-last_message_at", "-pk")
    )


def threads_for(user: User) -> QuerySet[Thread]:
    """Threads the user takes part in, with their participants: fetch through this so another family's
    thread is a 404."""
    return (
        Thread.objects.visible_to(user)
        .select_related("student")
        .prefetch_related(Prefetch("participants", queryset=ThreadParticipant.objects.select_related("user")))
    )


def thread_messages(thread: Thread) -> QuerySet[Message]:
    """Oldest first, with senders and attachments loaded (two queries whatever the length)."""
    return (
        thread.messages.select_related("sender").prefetch_related("attachments").order_by("created_at", "pk")
    )


# ---------------------------------------------------------------- writes


def check_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError(_("Write a message before sending."), code="empty")
    limit = settings.STUDENTFLOW_MESSAGE_MAX_CHARS
    if len(body) > limit:
        raise ValidationError(
            _("The message is too long (%(length)s characters). The limit is %(limit)s.")
            % {"length": len(body), "limit": limit},
            code="too_long",
        )
    return body


def check_attachments(files: Sequence[UploadedFile]) -> list[str]:
    """Validate every file before anything is stored; return their content types in order."""
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationError(
            _("Attach at most %(count)s files to one message.") % {"count": MAX_ATTACHMENTS},
            code="too_many",
        )
    errors, types = [], []
    for upload in files:
        try:
            types.append(validate_attachment(upload))
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError(errors)
    return types


@contextlib.contextmanager
def _stored_files_removed_on_error() -> Iterator[list[str]]:
    """Files are written to storage inside the transaction; if it fails, nothing may stay behind."""
    stored: list[str] = []
    try:
        yield stored
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise


def _message_create(
    *,
    thread: Thread,
    sender: User,
    body: str,
    files: Sequence[UploadedFile],
    stored: list[str],
    email_files: bool = False,
) -> Message:
    types = check_attachments(files)
    now = timezone.now()
    message = Message.objects.create(thread=thread, sender=sender, body=body, created_at=now)
    attachments = []
    for upload, content_type in zip(files, types, strict=True):
        attachment = Attachment(
            message=message,
            filename=upload.name[:255],
            content_type=content_type,
            size=upload.size,
            uploaded_by=sender,
        )
        attachment.file.save(upload.name, upload, save=False)
        stored.append(attachment.file.name)
        attachment.save()
        attachments.append(attachment)
    Thread.objects.filter(pk=thread.pk).update(last_message_at=now)
    thread.last_message_at = now
    # Writing in a thread means having read it.
    ThreadParticipant.objects.filter(thread=thread, user=sender).update(last_read_at=now)
    _notify_others(
        thread=thread, message=message, sender=sender, attachments=attachments if email_files else ()
    )
    return message


def _notify_others(
    *, thread: Thread, message: Message, sender: User, attachments: Sequence[Attachment] = ()
) -> None:
    others = users_with_profiles(
        User.objects.filter(thread_participations__thread=thread, is_active=True).exclude(pk=sender.pk)
    )
    notify(
        recipients_for_users(others),
        NEW_MESSAGE,
        {
            "thread": thread,
            "sender_name": sender.get_full_name() or sender.email,
            "excerpt": message.body[:300],
        },
        obj=message,
        url=thread_url(thread),
        attachments=attachments,
    )


def thread_start(
    *,
    sender: User,
    recipient: User,
    subject: str,
    body: str,
    student: Student | None = None,
    files: Sequence[UploadedFile] = (),
    email_files: bool = False,
) -> Thread:
    """Start a thread with one person: the thread, both participants, the first message and its files are
    written together or not at all; the recipient is notified per their preferences. With `email_files`
    the files also go with the email telling them (a scheduled report's copy); otherwise files stay behind
    the login."""
    if not can_message(sender, recipient):
        raise ValidationError(_("You cannot send a message to this person."), code="recipient")
    if student is not None and not can_be_about(sender, recipient, student):
        raise ValidationError(_("You cannot write to this person about this student."), code="student")
    subject = (subject or "").strip()
    if not subject:
        raise ValidationError(_("Give the message a subject."), code="subject")
    body = check_body(body)
    check_attachments(files)
    with _stored_files_removed_on_error() as stored, transaction.atomic():
        now = timezone.now()
        thread = Thread.objects.create(
            subject=subject[:200], created_by=sender, student=student, last_message_at=now
        )
        ThreadParticipant.objects.bulk_create(
            [
                ThreadParticipant(thread=thread, user=sender, last_read_at=now),
                ThreadParticipant(thread=thread, user=recipient),
            ]
        )
        _message_create(
            thread=thread, sender=sender, body=body, files=files, stored=stored, email_files=email_files
        )
    return thread


def message_post(*, thread: Thread, sender: User, body: str, files: Sequence[UploadedFile] = ()) -> Message:
    """Reply in a thread the sender takes part in; the other participants are notified."""
    if not ThreadParticipant.objects.filter(thread=thread, user=sender).exists():
        raise ValidationError(_("You do not take part in this conversation."), code="participant")
    body = check_body(body)
    check_attachments(files)
    with _stored_files_removed_on_error() as stored, transaction.atomic():
        return _message_create(thread=thread, sender=sender, body=body, files=files, stored=stored)


@transaction.atomic
def thread_mark_read(*, thread: Thread, user: User) -> None:
    """Opening a thread reads it: its unread count drops to zero and its bell notifications are read."""
    now = timezone.now()
    ThreadParticipant.objects.filter(thread=thread, user=user).update(last_read_at=now)
    Notification.objects.for_user(user).unread().filter(kind=NEW_MESSAGE.key, url=thread_url(thread)).update(
        read_at=now
    )
