"""The reports module's rows: the report builder's saved reports, who they are shared with, and their
schedules."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from modules.accounts.models import Role


class SavedReportQuerySet(models.QuerySet["SavedReport"]):
    def visible_to(self, user) -> SavedReportQuerySet:
        """The reports this login may open: their own, those shared with them by name, and those shared with
        a role they hold. Opening one never widens what it shows: it is run in the opener's own scope."""
        if not user.is_authenticated:
            return self.none()
        condition = Q(owner=user) | Q(shared_with=user) | Q(role_shares__role__in=list(user.roles))
        return self.filter(pk__in=self.filter(condition).values("pk"))


class SavedReport(models.Model):
    """A report made with the builder: a data set and a definition (columns, filters, grouping, sorting),
    run each time it is opened, exported or sent, for whoever runs it."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("owner")
    )
    name = models.CharField(_("name"), max_length=120)
    dataset = models.CharField(_("data set"), max_length=40)
    # {"columns": [...], "filters": [{"field", "op", "value"}], "group_by": "", "sort": "",
    #  "descending": bool, "term": id or None}: checked against the data set each time it is read
    #  (modules/reports/builder.py).
    definition = models.JSONField(_("definition"), default=dict)
    shared_with = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("shared with")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Raised by every save: an edit drawn from an older version is refused (modules/core/concurrency.py).
    version = models.PositiveIntegerField(default=1)

    objects = SavedReportQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("saved report")
        verbose_name_plural = _("saved reports")

    def __str__(self) -> str:
        return self.name


class ReportRoleShare(models.Model):
    """A saved report shared with everyone holding a staff role."""

    report = models.ForeignKey(SavedReport, on_delete=models.CASCADE, related_name="role_shares")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("report shared with a role")
        verbose_name_plural = _("reports shared with roles")
        constraints = [models.UniqueConstraint(fields=["report", "role"], name="report_role_share_unique")]

    def __str__(self) -> str:
        return f"{self.report_id} · {self.role}"


class ScheduleFrequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class ReportSchedule(models.Model):
    """A saved report sent by email, as an attachment, to chosen staff; each recipient's copy is run in
    that recipient's own scope."""

    report = models.ForeignKey(SavedReport, on_delete=models.CASCADE, related_name="schedules")
    frequency = models.CharField(_("frequency"), max_length=10, choices=ScheduleFrequency.choices)
    recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="+", verbose_name=_("recipients")
    )
    next_run = models.DateField(_("next run"))
    last_run = models.DateField(_("last run"), null=True, blank=True)

    class Meta:
        ordering = ["next_run", "pk"]
        verbose_name = _("report schedule")
        verbose_name_plural = _("report schedules")

    def __str__(self) -> str:
        return f"{self.report} ({self.get_frequency_display()})"
