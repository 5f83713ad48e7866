"""Personal access tokens for the REST API, and the programs (OAuth2 clients) the office registers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiClient(models.Model):
    """A program of the school's (a learning platform, a rostering or library service) registered by the
    office for server-to-server calls: it trades its id and secret for an access token of an hour (OAuth2
    client credentials, modules/api/clients.py). It sees what the administrator who registered it sees,
    within its scopes, and stops when their login is deactivated. Only the secret's SHA-256 is stored."""

    name = models.CharField(_("name"), max_length=80)
    client_id = models.CharField(_("client id"), max_length=40, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_clients",
        verbose_name=_("owner"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.owner.is_active


class ApiTokenQuerySet(models.QuerySet):
    def usable(self) -> ApiTokenQuerySet:
        """Not revoked, not expired, of an active login (and, issued to a program, of a program that is not
        revoked)."""
        return self.filter(
            Q(client__isnull=True) | Q(client__revoked_at__isnull=True),
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            user__is_active=True,
        )

    def personal(self) -> ApiTokenQuerySet:
        """Made by a person on their tokens page (not issued to a program)."""
        return self.filter(client__isnull=True)


class ApiToken(models.Model):
    """A person's key to the API, made on their tokens page: named, with scopes (what it may do, within
    what its owner may see) and an expiry. Only the secret's SHA-256 is stored; the secret is shown once.
    `prefix` (the secret's first characters) names it on the page and in the logs."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=12)
    secret_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    # Issued to a program for an hour (OAuth2 client credentials); None: a person's own token.
    client = models.ForeignKey(
        ApiClient, on_delete=models.CASCADE, null=True, blank=True, related_name="access_tokens"
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now() and self.user.is_active


class RosterSettings(models.Model):
    """How the school's OneRoster roster is made (one row): which year, what goes in, and whether a package
    is made every night for the platforms that fetch it (modules/api/oneroster)."""

    year = models.ForeignKey(
        "academics.AcademicYear",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("year"),
        help_text=_("Empty: the current year, whichever it is when the roster is read."),
    )
    guardians = models.BooleanField(
        _("include guardians"),
        default=True,
        help_text=_("Guardians as users, linked to their children (for platforms that write to families)."),
    )
    demographics = models.BooleanField(
        _("include birth dates and sex"),
        default=False,
        help_text=_("The demographics file: only when the platform needs it, since it is personal data."),
    )
    nightly = models.BooleanField(
        _("make a package every night"),
        default=False,
        help_text=_("A new package each night, kept for a week, for platforms that fetch the newest."),
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("roster settings")
        verbose_name_plural = _("roster settings")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def load(cls) -> RosterSettings:
        row = cls.objects.order_by("pk").first()
        return row if row is not None else cls.objects.create()


class RosterPackage(models.Model):
    """A OneRoster CSV package made for the school (a zip of the roster's files), on request or at night."""

    made_at = models.DateTimeField(_("made"), auto_now_add=True, db_index=True)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("made by"),
    )
    year_name = models.CharField(_("year"), max_length=40, blank=True)
    file = models.FileField(_("file"), upload_to="oneroster/")
    size = models.PositiveIntegerField(_("size"), default=0)
    counts = models.JSONField(default=dict, blank=True)
    scheduled = models.BooleanField(_("made at night"), default=False)

    class Meta:
        ordering = ["-made_at", "-pk"]
        verbose_name = _("roster package")
        verbose_name_plural = _("roster packages")

    def __str__(self) -> str:
        return self.file.name
