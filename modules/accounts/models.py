from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    TEACHER = "teacher", _("Teacher")
    BURSAR = "bursar", _("Bursar")
    GUARDIAN = "guardian", _("Parent / guardian")
    STUDENT = "student", _("Student")


STAFF_ROLES = frozenset({Role.ADMINISTRATOR, Role.TEACHER, Role.BURSAR})


class UserManager(DjangoUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A login. What the person may do comes from the profiles linked to it (see `roles`)."""

    username = None
    email = models.EmailField(_("email address"), unique=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=[("en", "English"), ("es", "Español"), ("fr", "Français")],
        default="en",
    )
    # Raised by accounts.services.user_sessions_end: it is part of the session auth hash, so every session
    # of this login, on every node and in every session store (database, cache, Redis), stops verifying at
    # its next request. It costs no query: the row is loaded on every request anyway (PortalBackend).
    session_epoch = models.PositiveIntegerField(_("session generation"), default=0, editable=False)
    # The set-password invitation (accounts.services): when the office last asked for one, and while one is
    # owed, when to try to send it (a lease while it is being sent). The sweep finds one whose task was lost.
    invited_at = models.DateTimeField(null=True, blank=True, editable=False)
    invitation_due_at = models.DateTimeField(null=True, blank=True, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["last_name", "first_name", "email"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # save() lowers the address, but an update() or a raw write must not create a second login
            # that differs only in case (password resets and sign-in match addresses case-insensitively).
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        if not self._state.adding and kwargs.get("update_fields") is None and not args:
            # A full save of an instance loaded before user_sessions_end must not write the old session
            # generation back (it would revive the ended sessions); only that service changes it.
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "session_epoch"
            ]
        super().save(*args, **kwargs)

    def _get_session_auth_hash(self, secret=None):
        """Django's hash of the password, plus the session generation once it has been raised.

        Generation 0 keeps Django's own value, so sessions opened before this field existed stay valid.
        """
        if not self.session_epoch:
            return super()._get_session_auth_hash(secret=secret)
        return salted_hmac(
            "modules.accounts.User.session_auth_hash",
            f"{self.password}:{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def roles(self) -> list[str]:
        """The roles this login holds, in a stable order. Cached per instance (one query per profile kind)."""
        cached = self.__dict__.get("_roles")
        if cached is not None:
            return cached
        roles: list[str] = []
        staff = getattr(self, "staff_profile", None) if self._has_profile("staff_profile") else None
        if staff is not None and staff.is_active:
            roles.append(staff.position)
        if self._has_profile("guardian_profile"):
            roles.append(Role.GUARDIAN)
        if self._has_profile("student_profile"):
            roles.append(Role.STUDENT)
        if self.is_superuser and Role.ADMINISTRATOR not in roles:
            roles.insert(0, Role.ADMINISTRATOR)
        self.__dict__["_roles"] = roles
        return roles

    def _has_profile(self, name: str) -> bool:
        try:
            return getattr(self, name) is not None
        except models.ObjectDoesNotExist:
            return False

    @property
    def is_staff_member(self) -> bool:
        return any(role in STAFF_ROLES for role in self.roles)
