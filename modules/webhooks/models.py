"""Outgoing webhooks: the URLs the office subscribed to the school's events (`Endpoint`), each event posted to
each of them (`Delivery`, one per endpoint and event, retried under the same event id), and every attempt
(`DeliveryAttempt`, the log the office reads)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PauseReason(models.TextChoices):
    OFFICE = "office", _("Paused by the office")
    FAILING = "failing", _("Paused automatically: every delivery failed for days")


class Endpoint(models.Model):
    """A URL of another system that receives the events it subscribed to, signed with its secret."""

    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list)  # public event names (modules/webhooks/catalogue.py)
    # Stored as it is, not hashed like the API's secrets: the portal signs every delivery with it (HMAC), so
    # it must be able to read it; a hash can check a secret but cannot sign. It is shown to the office only
    # once (when made or rolled) and never leaves the server otherwise.
    secret = models.CharField(max_length=80)
    # After a roll the old secret keeps signing too (a second v1 signature) until this time, so the receiver
    # can switch without refusing deliveries meanwhile.
    previous_secret = models.CharField(max_length=80, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(_("paused"), null=True, blank=True)
    pause_reason = models.CharField(max_length=10, choices=PauseReason.choices, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)
    last_success_at = models.DateTimeField(_("last delivered"), null=True, blank=True)
    last_failure_at = models.DateTimeField(_("last failed"), null=True, blank=True)
    # The first failed attempt since the last success: an endpoint failing for long is paused (sending.py).
    failing_since = models.DateTimeField(null=True, blank=True)
    # Since when it has received its current events without a pause (added, resumed or given new events):
    # the sweep for events whose fan-out failed (services.events_recover) looks no further back.
    subscribed_since = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        constraints = [
            models.CheckConstraint(
                condition=Q(paused_at__isnull=True, pause_reason="")
                | Q(paused_at__isnull=False) & ~Q(pause_reason=""),
                name="webhook_endpoint_paused_with_reason",
            )
        ]

    def __str__(self) -> str:
        return self.url

    @property
    def is_active(self) -> bool:
        return self.paused_at is None


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed, will be tried again")
    ABANDONED = "abandoned", _("Given up")


# What the office may send again at once ("Retry now").
RETRYABLE = (DeliveryStatus.FAILED, DeliveryStatus.ABANDONED)


class Delivery(models.Model):
    """One event for one endpoint. `event_id` is the event's, the same for every endpoint and every attempt:
    the receiver deduplicates by it (the StudentFlow-Delivery header)."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(_("event"), max_length=40)
    event_id = models.UUIDField(_("event id"), default=uuid.uuid4)
    payload = models.JSONField()
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When a failed delivery is tried again; while SENDING, when the claim's lease runs out (a worker lost).
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    last_error = models.TextField(_("error"), blank=True)
    response_excerpt = models.CharField(_("response"), max_length=500, blank=True)
    last_duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            # An event announced twice (a domain event delivered again) is one delivery per endpoint.
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_delivery_once_per_event"),
        ]
        indexes = [
            models.Index(fields=["endpoint", "-created_at", "-id"], name="webhook_delivery_log"),
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.event_id} → {self.endpoint_id}"

    @property
    def can_retry(self) -> bool:
        return self.status in RETRYABLE


class DeliveryAttempt(models.Model):
    """One try at posting a delivery, as the log shows it."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    succeeded = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.delivery_id} at {self.at:%Y-%m-%d %H:%M:%S}"
