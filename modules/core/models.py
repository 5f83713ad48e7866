from __future__ import annotations

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from modules.core.limits import ADDRESS_MAX_LENGTH, REASON_MAX_LENGTH, text_length_check


class SchoolProfile(models.Model):
    """The school itself: one row."""

    name = models.CharField(_("school name"), max_length=200, default="StudentFlow School")
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    address = models.TextField(_("address"), max_length=ADDRESS_MAX_LENGTH, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    currency = models.CharField(
        _("currency"), max_length=3, default="USD", help_text=_("ISO 4217 code, e.g. USD.")
    )
    logo = models.ImageField(_("logo"), upload_to="school/", blank=True)
    shows_class_average = models.BooleanField(
        _("show class averages to families"),
        default=False,
        help_text=_(
            "Students and guardians see each subject's class average beside their own on the dashboard."
        ),
    )

    class Meta:
        verbose_name = _("school profile")
        verbose_name_plural = _("school profile")
        constraints = [text_length_check("address", ADDRESS_MAX_LENGTH)]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def load(cls) -> SchoolProfile:
        profile = cls.objects.order_by("pk").first()
        return profile if profile is not None else cls.objects.create()


class AuditEvent(models.Model):
    """Who changed what, when, with the values before and after. Written by services next to the change."""

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    action = models.CharField(_("action"), max_length=60, db_index=True)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=40)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(_("after"), null=True, blank=True, encoder=DjangoJSONEncoder)
    reason = models.TextField(_("reason"), max_length=REASON_MAX_LENGTH, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        indexes = [models.Index(fields=["object_type", "object_id"])]
        constraints = [text_length_check("reason", REASON_MAX_LENGTH)]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"


class RecordViewKind(models.TextChoices):
    RECORD = "record", _("Student record")
    GRADES = "grades", _("Grades")
    REPORT_CARD = "report_card", _("Report card")
    ATTENDANCE = "attendance", _("Attendance")
    DOCUMENT = "document", _("Document")


class RecordView(models.Model):
    """Staff looking at a sensitive record, rolled up to one row per person, record, kind and day (with how
    many times and when last), so that a busy day is a handful of rows, not one per page load. Written by
    `modules.core.audit.record_view_log` in one statement."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("who"),
    )
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=40)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    kind = models.CharField(_("what"), max_length=20, choices=RecordViewKind.choices)
    day = models.DateField(_("day"), db_index=True)
    count = models.PositiveIntegerField(_("times"), default=1)
    first_at = models.DateTimeField(_("first seen"))
    last_at = models.DateTimeField(_("last seen"))

    class Meta:
        ordering = ["-last_at"]
        verbose_name = _("record view")
        verbose_name_plural = _("record views")
        constraints = [
            models.UniqueConstraint(
                fields=["actor", "object_type", "object_id", "kind", "day"], name="record_view_one_row_a_day"
            )
        ]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.object_repr} x{self.count}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Finished")
    FAILED = "failed", _("Failed")


class Job(models.Model):
    """A long job (import, export, report-card batch) run on the queue; its page polls the progress."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=40)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs", verbose_name=_("started by")
    )
    status = models.CharField(_("status"), max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED)
    total = models.PositiveIntegerField(_("total"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    message = models.TextField(_("message"), blank=True)
    payload = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    result = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    result_file = models.FileField(_("result file"), upload_to="jobs/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The lease (modules/core/jobs.py): Huey does not acknowledge tasks, so a worker killed mid-job would
    # leave it "running" for ever. A run holds the job until `leased_until` and extends that while it works;
    # the sweeper restarts a job whose lease ran out. `attempts` counts the runs of the current request and
    # fences a run that was taken over (its writes name its attempt).
    leased_until = models.DateTimeField(_("held until"), null=True, blank=True, db_index=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    worker = models.CharField(_("worker"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(done__lte=models.F("total")) | models.Q(total=0),
                name="job_done_within_total",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == JobStatus.SUCCEEDED:
            return 100
        if not self.total:
            return 0
        return min(100, int(self.done * 100 / self.total))

    @property
    def is_finished(self) -> bool:
        return self.status in {JobStatus.SUCCEEDED, JobStatus.FAILED}

    @property
    def max_attempts(self) -> int:
        return settings.STUDENTFLOW_JOB_MAX_ATTEMPTS

    @property
    def interruptions(self) -> int:
        """Runs of the current request that stopped without finishing (their worker was killed)."""
        if self.status == JobStatus.QUEUED:
            return self.attempts
        return max(self.attempts - 1, 0)

    @property
    def was_interrupted(self) -> bool:
        return self.interruptions > 0

    @property
    def next_attempt(self) -> int:
        return self.attempts + 1

    def set_progress(self, done: int, total: int | None = None, **fields) -> None:
        """Record progress; it is also the run's heartbeat (see modules/core/jobs.py)."""
        from modules.core.jobs import job_heartbeat

        if total is not None:
            fields["total"] = total
        job_heartbeat(job=self, done=done, status=JobStatus.RUNNING, **fields)
