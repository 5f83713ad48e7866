from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from modules.accounts.models import Role
from modules.core.limits import ADDRESS_MAX_LENGTH, HEALTH_NOTES_MAX_LENGTH, text_length_check
from modules.core.uploads import private_upload_path
from modules.people.thumbnails import THUMBNAIL_FOLDER, thumbnail_refresh


def photo_upload_to(instance: models.Model, filename: str) -> str:
    return private_upload_path("photos", instance, filename)


class WithPhotoThumbnail(models.Model):
    """A person with a photo also has its small thumbnail (modules/people/thumbnails.py), made when a new
    photo is saved and taken off with it, whoever saves it (a form, the re-encoding, a fixture)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        photo_saved = update_fields is None or "photo" in update_fields
        if photo_saved and thumbnail_refresh(self) and update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "photo_thumb"}
        super().save(*args, **kwargs)


def thumbnail_field():
    return models.ImageField(_("photo thumbnail"), upload_to=THUMBNAIL_FOLDER, blank=True, editable=False)


class Gender(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")
    OTHER = "X", _("Other / not stated")


class Person(models.Model):
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    address = models.TextField(_("address"), max_length=ADDRESS_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["last_name", "first_name"]
        constraints = [text_length_check("address", ADDRESS_MAX_LENGTH)]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def initials(self) -> str:
        return f"{self.first_name[:1]}{self.last_name[:1]}".upper()


def _is_admin(user) -> bool:
    return Role.ADMINISTRATOR in user.roles


def family_q(user, roles, student: str = "student") -> Q:
    """The condition "the student at `student` (a path from the rows filtered; "" for students themselves) is
    this person's family": their child, for a guardian; themself, for a student. Empty (matches nothing) for
    any other role. Every `visible_to` that shows families their own children's rows uses it."""
    prefix = f"{student}__" if student else ""
    condition = Q(pk__in=[])
    if Role.GUARDIAN in roles:
        condition |= Q(**{f"{prefix}guardian_links__guardian__user": user})
    if Role.STUDENT in roles:
        condition |= Q(**{f"{prefix}user": user})
    return condition


class StudentQuerySet(models.QuerySet):
    def visible_to(self, user) -> StudentQuerySet:
        """Students this login may see: the office all; a teacher the students of sections they teach or
        lead; a guardian linked children; a student only themself. A bursar sees students for fees."""
        if user.is_authenticated and Role.BURSAR in user.roles:
            return self.all()
        return self.records_visible_to(user)

    def records_visible_to(self, user) -> StudentQuerySet:
        """Whose school records (attendance, grades) this login may open: as `visible_to`, but not a bursar's
        business — fees are not marks or absences."""
        if not user.is_authenticated:
            return self.none()
        roles = user.roles
        if Role.ADMINISTRATOR in roles:
            return self.all()
        condition = Q(pk__in=[])
        if Role.TEACHER in roles:
            condition |= Q(enrollments__section__offerings__teacher__user=user) | Q(
                enrollments__section__homeroom_teacher__user=user
            )
        condition |= family_q(user, roles, student="")
        return self.filter(pk__in=self.filter(condition).values("pk"))

    def active(self) -> StudentQuerySet:
        return self.filter(is_active=True)


class Student(WithPhotoThumbnail, Person):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="student_profile",
        verbose_name=_("login"),
    )
    admission_number = models.CharField(_("admission number"), max_length=30, unique=True)
    date_of_birth = models.DateField(_("date of birth"))
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, default=Gender.OTHER)
    photo = models.ImageField(_("photo"), upload_to=photo_upload_to, blank=True)
    photo_thumb = thumbnail_field()
    admission_date = models.DateField(_("admission date"), null=True, blank=True)
    medical_notes = models.TextField(
        _("health notes"),
        max_length=HEALTH_NOTES_MAX_LENGTH,
        blank=True,
        help_text=_("Visible to administrators only."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # The number an attendance device reads from the student's card or badge (RFID, barcode); one per student.
    card_number = models.CharField(
        _("card number"),
        max_length=64,
        blank=True,
        help_text=_("What the school's attendance readers read from the student's card or badge."),
    )

    objects = StudentQuerySet.as_manager()

    class Meta(Person.Meta):
        verbose_name = _("student")
        verbose_name_plural = _("students")
        indexes = [models.Index(fields=["last_name", "first_name"])]
        constraints = [
            *Person.Meta.constraints,
            text_length_check("medical_notes", HEALTH_NOTES_MAX_LENGTH),
            models.UniqueConstraint(
                fields=["card_number"], condition=~Q(card_number=""), name="student_card_number_unique"
            ),
        ]


class GuardianQuerySet(models.QuerySet):
    def visible_to(self, user) -> GuardianQuerySet:
        if not user.is_authenticated:
            return self.none()
        roles = user.roles
        if Role.ADMINISTRATOR in roles or Role.BURSAR in roles:
            return self.all()
        condition = Q(user=user) if Role.GUARDIAN in roles else Q(pk__in=[])
        if Role.TEACHER in roles:
            condition |= Q(student_links__student__enrollments__section__offerings__teacher__user=user) | Q(
                student_links__student__enrollments__section__homeroom_teacher__user=user
            )
        return self.filter(pk__in=self.filter(condition).values("pk"))


class Guardian(Person):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="guardian_profile",
        verbose_name=_("login"),
    )
    occupation = models.CharField(_("occupation"), max_length=100, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )

    objects = GuardianQuerySet.as_manager()

    class Meta(Person.Meta):
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")
        indexes = [models.Index(fields=["last_name", "first_name"]), models.Index(fields=["email"])]


class Relationship(models.TextChoices):
    MOTHER = "mother", _("Mother")
    FATHER = "father", _("Father")
    GUARDIAN = "guardian", _("Legal guardian")
    GRANDPARENT = "grandparent", _("Grandparent")
    SIBLING = "sibling", _("Sibling")
    OTHER = "other", _("Other")


class GuardianLink(models.Model):
    """A guardian's tie to a student: what they are to the child, and how the school reaches them."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="guardian_links")
    guardian = models.ForeignKey(Guardian, on_delete=models.CASCADE, related_name="student_links")
    relationship = models.CharField(
        _("relationship"), max_length=20, choices=Relationship.choices, default=Relationship.GUARDIAN
    )
    is_primary = models.BooleanField(_("primary contact"), default=False)
    receives_notifications = models.BooleanField(_("receives notifications"), default=True)

    class Meta:
        verbose_name = _("guardian link")
        verbose_name_plural = _("guardian links")
        ordering = ["-is_primary", "guardian__last_name"]
        constraints = [
            models.UniqueConstraint(fields=["student", "guardian"], name="guardianlink_unique_pair"),
            models.UniqueConstraint(
                fields=["student"], condition=Q(is_primary=True), name="guardianlink_one_primary"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.guardian} → {self.student} ({self.get_relationship_display()})"


class Position(models.TextChoices):
    TEACHER = Role.TEACHER.value, _("Teacher")
    BURSAR = Role.BURSAR.value, _("Bursar")
    ADMINISTRATOR = Role.ADMINISTRATOR.value, _("Administrator")


class StaffQuerySet(models.QuerySet):
    def visible_to(self, user) -> StaffQuerySet:
        """Staff directory: every signed-in staff member sees colleagues; families see nothing here."""
        if user.is_authenticated and user.is_staff_member:
            return self.all()
        return self.none()

    def teachers(self) -> StaffQuerySet:
        return self.filter(position=Position.TEACHER, is_active=True)


class Staff(WithPhotoThumbnail, Person):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_profile",
        verbose_name=_("login"),
    )
    staff_number = models.CharField(_("staff number"), max_length=30, unique=True)
    position = models.CharField(_("position"), max_length=20, choices=Position.choices)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    hire_date = models.DateField(_("hire date"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    photo = models.ImageField(_("photo"), upload_to=photo_upload_to, blank=True)
    photo_thumb = thumbnail_field()

    objects = StaffQuerySet.as_manager()

    class Meta(Person.Meta):
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
