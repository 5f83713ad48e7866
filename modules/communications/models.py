"""Everything the portal tells people: in-app notifications, the email/SMS delivery log, announcements and
message threads. Other modules reach people only through `modules.communications.services.notify`."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from modules.accounts.models import Role
from modules.core.limits import MESSAGE_MAX_LENGTH, text_length_check
from modules.core.uploads import private_upload_path
from modules.people.models import family_q


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In the portal")
    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message (SMS)")


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user) -> NotificationQuerySet:
        return self.filter(recipient=user)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One in-app notification for one signed-in user, already rendered in their language."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    # A registered kind's key (modules.communications.kinds): checked when sent, not by choices, so that a
    # module adding a kind needs no migration here.
    kind = models.CharField(_("kind"), max_length=30)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    # kind:object:recipient — the same event never notifies the same person twice.
    key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notif_recipient_recent"),
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notif_recipient_unread"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """A person's choice of channels for one kind of notification (no row: the kind's default channels)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(_("kind"), max_length=30)  # a registered kind (kinds.py)
    in_app = models.BooleanField(_("in the portal"), default=True)
    email = models.BooleanField(_("email"), default=True)
    sms = models.BooleanField(_("SMS"), default=False)
    email_digest = models.BooleanField(
        _("daily digest"), default=False, help_text=_("Collect these emails into one message a day.")
    )

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notifpref_one_per_kind")]

    def __str__(self) -> str:
        return f"{self.user} · {self.kind}"

    @property
    def channels(self) -> set[str]:
        chosen = set()
        if self.in_app:
            chosen.add(Channel.IN_APP)
        if self.email:
            chosen.add(Channel.EMAIL)
        if self.sms:
            chosen.add(Channel.SMS)
        return chosen


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    DIGEST = "digest", _("Waiting for the daily digest")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    RETRYING = "retrying", _("Failed, will retry")


class Delivery(models.Model):
    """One email or SMS to one person, rendered in their language when queued. The delivery log."""

    channel = models.CharField(
        _("channel"), max_length=10, choices=[c for c in Channel.choices if c[0] != "in_app"]
    )
    kind = models.CharField(_("kind"), max_length=30)  # a registered kind (kinds.py)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("recipient login"),
    )
    guardian = models.ForeignKey(
        "people.Guardian",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("guardian"),
    )
    recipient_name = models.CharField(_("recipient"), max_length=200)
    address = models.CharField(_("email or phone"), max_length=254, blank=True)
    language = models.CharField(_("language"), max_length=8, default="en")
    subject = models.CharField(pgettext_lazy("email", "subject"), max_length=255, blank=True)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    # kind:object:recipient:channel — stored so the same event is never sent twice, even if a task runs twice.
    key = models.CharField(max_length=200, unique=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.QUEUED,
        db_index=True,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    provider_id = models.CharField(_("provider reference"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("queued at"), default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # Files sent with an email (a scheduled report's copy): the message's own, stored once. An email with
    # files is sent on its own, never merged into the daily digest.
    attachments = models.ManyToManyField(
        "communications.Attachment", blank=True, related_name="deliveries", verbose_name=_("attachments")
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("delivery")
        verbose_name_plural = _("delivery log")
        indexes = [models.Index(fields=["status", "channel"], name="delivery_status_channel")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.recipient_name} ({self.get_status_display()})"


class DeliveryAttempt(models.Model):
    """Each try at sending a delivery, with the error when it failed."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(default=timezone.now)
    succeeded = models.BooleanField(default=False)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {'ok' if self.succeeded else self.error[:60]}"


class AudienceKind(models.TextChoices):
    SCHOOL = "school", _("Whole school")
    ROLE = "role", _("Everyone with a role")
    GRADE_LEVEL = "grade_level", _("A grade level")
    SECTION = "section", _("A section")
    OFFERING = "offering", _("A class (students and guardians of one course offering)")


class AnnouncementQuerySet(models.QuerySet):
    """Who sees which announcement. The audience is decided by relationships, at read time: a guardian
    through their children's current sections, grade levels and classes, a student through their own
    enrollment, staff by role (and a teacher through the sections and classes they teach or lead)."""

    def published(self, at=None) -> AnnouncementQuerySet:
        at = at or timezone.now()
        return self.filter(Q(publish_at__lte=at), Q(expires_at__isnull=True) | Q(expires_at__gt=at))

    def visible_to(self, user) -> AnnouncementQuerySet:
        """Published, not expired, and addressed to this user (administrators: every published one)."""
        if not user.is_authenticated:
            return self.none()
        if Role.ADMINISTRATOR in user.roles:
            return self.published()
        return self.published().filter(_audience_condition(user))

    def manageable_by(self, user) -> AnnouncementQuerySet:
        """What this user may edit or delete, in any state: administrators all, teachers their own."""
        if not user.is_authenticated:
            return self.none()
        roles = user.roles
        if Role.ADMINISTRATOR in roles:
            return self.all()
        if Role.TEACHER in roles:
            return self.filter(author=user)
        return self.none()

    def readable_by(self, user) -> AnnouncementQuerySet:
        """Visible, or manageable (an author sees their own scheduled and expired announcements)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(
            Q(pk__in=self.model.objects.visible_to(user).values("pk"))
            | Q(pk__in=self.model.objects.manageable_by(user).values("pk"))
        )


def _current_year_pk() -> models.Subquery:
    # The same choice as AcademicYear.objects.current(), as a subquery (no extra query per read).
    from modules.academics.models import AcademicYear

    today = timezone.localdate()
    return models.Subquery(
        AcademicYear.objects.filter(Q(is_current=True) | Q(start_date__lte=today, end_date__gte=today))
        .order_by("-is_current", "-start_date")
        .values("pk")[:1]
    )


def _audience_condition(user) -> Q:
    from modules.academics.models import CourseOffering, Enrollment, EnrollmentStatus, Section

    roles = user.roles
    condition = (
        Q(audience=AudienceKind.SCHOOL)
        | Q(audience=AudienceKind.ROLE, audience_role__in=list(roles))
        | Q(author=user)
    )
    students = family_q(user, roles)
    if Role.GUARDIAN in roles or Role.STUDENT in roles:
        enrollments = Enrollment.objects.filter(students, status=EnrollmentStatus.ACTIVE)
        sections = enrollments.values("section_id")
        condition |= (
            Q(audience=AudienceKind.SECTION, section__in=sections)
            | Q(audience=AudienceKind.OFFERING, offering__section__in=sections)
            | Q(
                audience=AudienceKind.GRADE_LEVEL,
                grade_level__in=enrollments.filter(year=_current_year_pk()).values("section__grade_level"),
            )
        )
    if Role.TEACHER in roles:
        taught = Section.objects.taught_by(user)
        condition |= (
            Q(audience=AudienceKind.SECTION, section__in=taught.values("pk"))
            | Q(
                audience=AudienceKind.OFFERING,
                offering__in=CourseOffering.objects.taught_by(user).values("pk"),
            )
            | Q(audience=AudienceKind.OFFERING, offering__section__homeroom_teacher__user=user)
            | Q(
                audience=AudienceKind.GRADE_LEVEL,
                grade_level__in=taught.filter(year=_current_year_pk()).values("grade_level"),
            )
        )
    return condition


class Announcement(models.Model):
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), max_length=MESSAGE_MAX_LENGTH)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="announcements",
        verbose_name=_("author"),
    )
    audience = models.CharField(
        _("audience"), max_length=20, choices=AudienceKind.choices, default=AudienceKind.SCHOOL
    )
    audience_role = models.CharField(
        _("role"), max_length=20, blank=True, choices=[(r.value, r.label) for r in Role]
    )
    grade_level = models.ForeignKey(
        "academics.GradeLevel", on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("grade level")
    )
    section = models.ForeignKey(
        "academics.Section", on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("section")
    )
    offering = models.ForeignKey(
        "academics.CourseOffering", on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("class")
    )
    publish_at = models.DateTimeField(_("publish at"), default=timezone.now, db_index=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    is_pinned = models.BooleanField(_("pinned"), default=False)
    # Set when the audience was notified (once, at publication).
    notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AnnouncementQuerySet.as_manager()

    class Meta:
        ordering = ["-is_pinned", "-publish_at", "-pk"]
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        constraints = [
            text_length_check("body", MESSAGE_MAX_LENGTH),
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=models.F("publish_at")),
                name="announcement_expires_after_publish",
            ),
        ]

    def __str__(self) -> str:
        return self.title


def attachment_upload_to(instance: models.Model, filename: str) -> str:
    return private_upload_path("attachments", instance, filename)


class Attachment(models.Model):
    """A private file on an announcement or a message: stored under a random name, served through a view
    that checks the reader may see its announcement or thread, always as a download."""

    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    message = models.ForeignKey(
        "communications.Message", on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_upload_to)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [
            models.CheckConstraint(
                condition=(Q(announcement__isnull=False) & Q(message__isnull=True))
                | (Q(announcement__isnull=True) & Q(message__isnull=False)),
                name="attachment_belongs_to_one",
            )
        ]

    def __str__(self) -> str:
        return self.filename


class ThreadQuerySet(models.QuerySet):
    def visible_to(self, user) -> ThreadQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(participants__user=user)


class Thread(models.Model):
    subject = models.CharField(pgettext_lazy("message", "subject"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    # The student the conversation is about, when a guardian or teacher writes about a child.
    student = models.ForeignKey(
        "people.Student",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("about"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = ThreadQuerySet.as_manager()

    class Meta:
        ordering = ["-last_message_at", "-pk"]
        verbose_name = _("message thread")
        verbose_name_plural = _("message threads")

    def __str__(self) -> str:
        return self.subject


class ThreadParticipant(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="thread_participations"
    )
    last_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("thread participant")
        verbose_name_plural = _("thread participants")
        constraints = [models.UniqueConstraint(fields=["thread", "user"], name="participant_once_per_thread")]

    def __str__(self) -> str:
        return f"{self.user} in {self.thread}"


class Message(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=pgettext_lazy("message sender", "from"),
    )
    body = models.TextField(_("message"), max_length=MESSAGE_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [text_length_check("body", MESSAGE_MAX_LENGTH)]

    def __str__(self) -> str:
        return self.body[:60]
