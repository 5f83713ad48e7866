"""Assignments: homework a teacher sets for a class, what each student hands in, and the similarity found
between hand-ins.

One `Assignment` belongs to one class (course offering). Setting "the same" homework for several classes
makes one assignment per class that share a `lineage` (as does copying one to another class or from last
year); the similarity check compares a hand-in with every other hand-in of the lineage, this year's and
earlier years'. A graded assignment IS an assessment of the gradebook (`assessment`): its maximum score and
category live there, and a returned mark is the gradebook's `exams.Mark` — one source of truth, no copy.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from modules.accounts.models import Role
from modules.core.uploads import private_upload_path
from modules.people.models import family_q


class HandIn(models.TextChoices):
    FILE = "file", _("File upload")
    TEXT = "text", _("Typed text")
    PAPER = "paper", _("On paper")


class LatePolicy(models.TextChoices):
    ACCEPT = "accept", _("Accept late work until a cut-off")
    REFUSE = "refuse", _("Refuse late work")


class HomeworkPolicy(models.Model):
    """The school's rules for hand-ins (one row, pk 1): set by the office."""

    # Both limits stay within what the web server accepts in one request (deploy/nginx.conf
    # client_max_body_size, 11 MiB): a hand-in is one request.
    max_file_bytes = models.PositiveIntegerField(
        _("largest file"), default=10 * 1024 * 1024, validators=[MinValueValidator(1024)]
    )
    max_submission_bytes = models.PositiveIntegerField(
        _("largest hand-in (all its files)"), default=10 * 1024 * 1024, validators=[MinValueValidator(1024)]
    )
    max_files = models.PositiveSmallIntegerField(
        _("most files in one hand-in"), default=10, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    # A pair of hand-ins at or above this share of matching text is flagged in the teacher's inbox.
    similarity_flag_percent = models.PositiveSmallIntegerField(
        _("flag similarity from (%)"), default=40, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    # Empty: the portal's own engine. Otherwise an external service's endpoint (see similarity.py).
    similarity_service_url = models.URLField(_("external similarity service"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("homework policy")
        verbose_name_plural = _("homework policies")

    def __str__(self) -> str:
        return str(_("Homework policy"))

    @classmethod
    def current(cls) -> HomeworkPolicy:
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy


class AssignmentQuerySet(models.QuerySet):
    def published(self, now=None) -> AssignmentQuerySet:
        return self.filter(published_at__isnull=False, published_at__lte=now or timezone.now())

    def taught_by(self, user) -> AssignmentQuerySet:
        return self.filter(offering__teacher__user=user)

    def visible_to(self, user) -> AssignmentQuerySet:
        """The office all; a teacher their classes' (drafts included); a student and a guardian the published
        assignments of the student's classes; the bursar none."""
        if not user.is_authenticated:
            return self.none()
        roles = user.roles
        if Role.ADMINISTRATOR in roles:
            return self.all()
        condition = Q(pk__in=[])
        if Role.TEACHER in roles:
            condition |= Q(offering__teacher__user=user)
        family = family_q(user, roles, student="offering__section__enrollments__student")
        condition |= family & Q(published_at__isnull=False, published_at__lte=timezone.now())
        return self.filter(pk__in=self.filter(condition).values("pk"))


class Assignment(models.Model):
    offering = models.ForeignKey(
        "academics.CourseOffering",
        on_delete=models.CASCADE,
        related_name="assignments",
        verbose_name=_("class"),
    )
    term = models.ForeignKey(
        "academics.Term", on_delete=models.PROTECT, related_name="assignments", verbose_name=_("term")
    )
    # Graded: the gradebook's assessment (max score, category, the marks). None: not graded.
    assessment = models.OneToOneField(
        "exams.Assessment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignment",
        verbose_name=_("gradebook assessment"),
    )
    lineage = models.UUIDField(default=uuid.uuid4, db_index=True, editable=False)
    copied_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="copies"
    )
    title = models.CharField(_("title"), max_length=200)
    instructions = models.TextField(_("instructions"), blank=True, max_length=20_000)  # Markdown
    hand_in = models.CharField(_("handed in as"), max_length=10, choices=HandIn.choices, default=HandIn.FILE)
    # Extensions a file hand-in accepts ("pdf,docx,txt"); empty: every kind the portal accepts.
    allowed_extensions = models.CharField(_("accepted file types"), max_length=200, blank=True)
    opens_at = models.DateTimeField(_("opens"), default=timezone.now)
    due_at = models.DateTimeField(_("due"))
    late_policy = models.CharField(
        _("late work"), max_length=10, choices=LatePolicy.choices, default=LatePolicy.ACCEPT
    )
    late_until = models.DateTimeField(_("late work accepted until"), null=True, blank=True)
    late_penalty_percent = models.DecimalField(
        _("penalty per day late (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    # When it becomes visible to students and families (now, or a set time: published by the queue).
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    # When students were told it is out; published and not notified is owed (core/fanout.py).
    notified_at = models.DateTimeField(null=True, blank=True)
    # When the due-tomorrow reminders went; when the similarity check last ran.
    reminded_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(_("similarity checked"), null=True, blank=True)
    # Why the last similarity check failed (an external service's error), shown on the results page; empty
    # once a check succeeds.
    similarity_error = models.CharField(_("similarity check error"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.CheckConstraint(
                condition=Q(due_at__gt=models.F("opens_at")), name="assignment_due_after_open"
            ),
            models.CheckConstraint(
                condition=Q(late_until__isnull=True) | Q(late_until__gte=models.F("due_at")),
                name="assignment_late_until_after_due",
            ),
            models.CheckConstraint(
                condition=Q(late_penalty_percent__gte=0) & Q(late_penalty_percent__lte=100),
                name="assignment_penalty_percent",
            ),
        ]
        indexes = [models.Index(fields=["offering", "due_at"], name="assignment_offering_due")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_graded(self) -> bool:
        return self.assessment_id is not None

    @property
    def is_published(self) -> bool:
        return self.published_at is not None and self.published_at <= timezone.now()

    def extensions(self) -> list[str]:
        return [e.strip().lower().lstrip(".") for e in self.allowed_extensions.split(",") if e.strip()]


def _attachment_path(instance, filename: str) -> str:
    return private_upload_path("assignments", instance, filename)


class AssignmentFile(models.Model):
    """A file the teacher attached to an assignment (a worksheet, a reading)."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to=_attachment_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=100)
    # Its text (for the similarity check to ignore); None until extracted.
    text = models.TextField(null=True, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class SubmissionQuerySet(models.QuerySet):
    def visible_to(self, user) -> SubmissionQuerySet:
        """A student their own; a guardian their children's; a teacher their classes'; the office all."""
        if not user.is_authenticated:
            return self.none()
        roles = user.roles
        if Role.ADMINISTRATOR in roles:
            return self.all()
        condition = Q(pk__in=[])
        if Role.TEACHER in roles:
            condition |= Q(assignment__offering__teacher__user=user)
        condition |= family_q(user, roles)
        return self.filter(pk__in=self.filter(condition).values("pk"))


class Submission(models.Model):
    """One student's work for one assignment: created when they first hand in (or when the teacher records
    paper work, marks, or extends the due date for them)."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="submissions")
    student = models.ForeignKey("people.Student", on_delete=models.CASCADE, related_name="submissions")
    text = models.TextField(_("answer"), blank=True, max_length=100_000)
    submitted_at = models.DateTimeField(_("handed in"), null=True, blank=True)
    # Counts hand-ins; a replacement names the version it replaces, so two tabs cannot both win.
    version = models.PositiveIntegerField(default=0)
    # This student's own due date (an extension); None: the assignment's.
    extended_due_at = models.DateTimeField(_("extended to"), null=True, blank=True)
    is_late = models.BooleanField(_("late"), default=False)
    days_late = models.PositiveSmallIntegerField(default=0)
    # Marking: the score before any late penalty, the penalty applied, feedback. The mark itself, after the
    # penalty, is the gradebook's (exams.Mark), written when the work is returned.
    raw_score = models.DecimalField(_("score"), max_digits=6, decimal_places=2, null=True, blank=True)
    penalty_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    feedback = models.TextField(_("feedback"), blank=True, max_length=20_000)
    feedback_file = models.FileField(upload_to=_attachment_path, max_length=200, blank=True)
    feedback_file_name = models.CharField(max_length=200, blank=True)
    marked_at = models.DateTimeField(null=True, blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    # When the student and guardians were told it was returned; returned after it (or never told) is owed
    # (modules/assignments/notices.py, core/fanout.py).
    notified_at = models.DateTimeField(null=True, blank=True)
    # The highest similarity with another hand-in (0–100), when checked.
    similarity_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    # The text the similarity check read (typed answer and the text of its files), and for which version.
    extracted_text = models.TextField(null=True, blank=True)
    extracted_version = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        ordering = ["assignment", "student"]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        constraints = [
            models.UniqueConstraint(fields=["assignment", "student"], name="submission_one_per_student"),
            models.CheckConstraint(
                condition=Q(penalty_percent__gte=0) & Q(penalty_percent__lte=100), name="submission_penalty"
            ),
        ]
        # The lost-notice sweep looks for work returned in the last hours, every minute.
        indexes = [models.Index(fields=["returned_at"], name="submission_returned")]

    def __str__(self) -> str:
        return f"{self.assignment} · {self.student_id}"

    @property
    def due_at(self):
        return self.extended_due_at or self.assignment.due_at

    @property
    def is_handed_in(self) -> bool:
        return self.submitted_at is not None

    @property
    def is_returned(self) -> bool:
        return self.returned_at is not None


def _submission_path(instance, filename: str) -> str:
    return private_upload_path("submissions", instance, filename)


class SubmissionFile(models.Model):
    """A file of a hand-in. Replacing a hand-in writes the new files first and swaps them in one
    transaction, so a failed upload leaves the previous hand-in whole."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="files")
    version = models.PositiveIntegerField()  # the submission's version this file belongs to
    file = models.FileField(upload_to=_submission_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=100)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class SimilarityMatch(models.Model):
    """A pair of hand-ins with matching text, found by the check of `assignment`: `submission` is one of its
    hand-ins; `other` is another hand-in of the same lineage (this class, a sibling class, an earlier year).
    `passages` lists the matching stretches as character offsets into each side's extracted text."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="matches")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="matches")
    other = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="+")
    percent = models.DecimalField(max_digits=5, decimal_places=2)  # of `submission`'s text found in `other`
    other_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)  # of `other`'s in it
    passages = models.JSONField(default=list)
    provider = models.CharField(max_length=40, default="local")
    checked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-percent", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "other"], name="similarity_one_per_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.submission_id} ~ {self.other_id}: {self.percent}%"
