"""The privacy module's rows: a guardian's request for the data the school holds on their child."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from modules.accounts.models import Role
from modules.core.models import JobStatus
from modules.core.uploads import private_upload_path


def data_request_upload_to(instance: models.Model, filename: str) -> str:
    return private_upload_path("privacy", instance, filename)


class DataRequestStatus(models.TextChoices):
    PREPARING = "preparing", _("Being prepared")
    READY = "ready", _("Ready to download")
    DOWNLOADED = "downloaded", _("Downloaded")
    EXPIRED = "expired", _("Expired")
    FAILED = "failed", _("Failed")


# A request is open while it is being prepared or waits to be downloaded: one at a time per child.
OPEN_STATUSES = (DataRequestStatus.PREPARING, DataRequestStatus.READY)


class DataRequestQuerySet(models.QuerySet):
    def visible_to(self, user) -> DataRequestQuerySet:
        """The office sees every request; a guardian the requests they made themself."""
        if not user.is_authenticated:
            return self.none()
        if Role.ADMINISTRATOR in user.roles:
            return self.all()
        if Role.GUARDIAN in user.roles:
            return self.filter(requested_by=user)
        return self.none()

    def open(self) -> DataRequestQuerySet:
        return self.filter(status__in=OPEN_STATUSES)


class DataRequest(models.Model):
    """A guardian's request for the data the school holds on one of their children: a zip of readable PDFs
    and JSON, prepared on the queue (its `job`), downloaded once by the guardian who asked, then deleted;
    gone anyway after STUDENTFLOW_DATA_REQUEST_DAYS."""

    student = models.ForeignKey(
        "people.Student", on_delete=models.CASCADE, related_name="+", verbose_name=_("student")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("asked by")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=DataRequestStatus.choices, default=DataRequestStatus.PREPARING
    )
    job = models.ForeignKey("core.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    file = models.FileField(_("file"), upload_to=data_request_upload_to, blank=True)
    size = models.PositiveIntegerField(_("size"), default=0)
    created_at = models.DateTimeField(_("asked"), default=timezone.now, db_index=True)
    ready_at = models.DateTimeField(_("ready"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    downloaded_at = models.DateTimeField(_("downloaded"), null=True, blank=True)
    message = models.CharField(_("message"), max_length=300, blank=True)

    objects = DataRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("data request")
        verbose_name_plural = _("data requests")
        constraints = [
            models.UniqueConstraint(
                fields=["student"],
                condition=Q(status__in=["preparing", "ready"]),
                name="data_request_one_open_per_child",
            )
        ]

    def __str__(self) -> str:
        return f"{self.student} {self.created_at:%Y-%m-%d}"

    @property
    def job_gave_up(self) -> bool:
        """Still "being prepared", but its job failed without saying so here (the sweeper gave it up after a
        worker was killed too often): it is over, and the child free for a new request."""
        if self.status != DataRequestStatus.PREPARING or self.job is None:
            return False
        return self.job.status == JobStatus.FAILED

    @property
    def shown_status(self) -> str:
        return DataRequestStatus.FAILED if self.job_gave_up else self.status

    @property
    def shown_status_display(self) -> str:
        return str(DataRequestStatus(self.shown_status).label)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES and not self.job_gave_up


class RetentionKind(models.TextChoices):
    DELIVERIES = "deliveries", _("Email and SMS deliveries")
    AUDIT_EVENTS = "audit_events", _("Audit events")
    UPLOADS = "uploads", _("Uploaded files (homework, feedback, absence-note documents)")
    LEAVERS = "leavers", _("Leavers' records")


class RetentionAction(models.TextChoices):
    DELETE = "delete", _("Delete")
    ANONYMISE = "anonymise", _("Anonymise")


# What each kind may do: leavers are only anonymised (their attendance and marks stay in the school's figures,
# and their invoices must stay); audit events and files are only deleted.
ALLOWED_ACTIONS = {
    RetentionKind.DELIVERIES: (RetentionAction.DELETE, RetentionAction.ANONYMISE),
    RetentionKind.AUDIT_EVENTS: (RetentionAction.DELETE,),
    RetentionKind.UPLOADS: (RetentionAction.DELETE,),
    RetentionKind.LEAVERS: (RetentionAction.ANONYMISE,),
}


class RetentionRule(models.Model):
    """How long the school keeps one kind of data, and what happens after: one row per kind. The period is
    in days, except for leavers: years since their last enrolment's year ended."""

    kind = models.CharField(_("kind of data"), max_length=20, choices=RetentionKind.choices, unique=True)
    enabled = models.BooleanField(_("applied"), default=False)
    period = models.PositiveIntegerField(_("kept for"), default=365)
    action = models.CharField(
        _("then"), max_length=10, choices=RetentionAction.choices, default=RetentionAction.DELETE
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind"]
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention schedule")
        constraints = [models.CheckConstraint(condition=Q(period__gte=1), name="retention_period_positive")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.period} ({self.get_action_display()})"


class AnonymisedStudent(models.Model):
    """A leaver whose record the retention schedule anonymised (so it is not done twice)."""

    student = models.OneToOneField("people.Student", on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("anonymised student")
        verbose_name_plural = _("anonymised students")

    def __str__(self) -> str:
        return f"{self.student_id} {self.at:%Y-%m-%d}"
