"""Grading scales, assessments and marks, term comments and publication, exam schedules."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from modules.accounts.models import Role
from modules.core.limits import TERM_COMMENT_MAX_LENGTH, text_length_check
from modules.core.numbers import number_text
from modules.people.models import family_q


class GradingScale(models.Model):
    """Letter bands for a grade level (or the school default when no grade level is set), with a pass mark."""

    name = models.CharField(_("name"), max_length=80)
    grade_level = models.OneToOneField(
        "academics.GradeLevel",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="grading_scale",
        verbose_name=_("grade level"),
        help_text=_("Leave empty for the school's default scale."),
    )
    pass_mark = models.DecimalField(
        _("pass mark (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("50"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )

    class Meta:
        ordering = ["grade_level__order", "name"]
        verbose_name = _("grading scale")
        verbose_name_plural = _("grading scales")
        constraints = [
            models.UniqueConstraint(
                fields=["grade_level"], condition=Q(grade_level__isnull=True), name="one_default_scale"
            ),
            models.CheckConstraint(
                condition=Q(pass_mark__gte=0, pass_mark__lte=100), name="scale_pass_mark_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class GradeBand(models.Model):
    scale = models.ForeignKey(GradingScale, on_delete=models.CASCADE, related_name="bands")
    letter = models.CharField(_("letter"), max_length=5)
    min_percent = models.DecimalField(
        _("from (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    gpa_points = models.DecimalField(_("GPA points"), max_digits=3, decimal_places=2, default=Decimal("0"))
    descriptor = models.CharField(_("descriptor"), max_length=80, blank=True)

    class Meta:
        ordering = ["-min_percent"]
        verbose_name = _("grade band")
        verbose_name_plural = _("grade bands")
        constraints = [
            models.UniqueConstraint(fields=["scale", "letter"], name="band_unique_letter"),
            models.UniqueConstraint(fields=["scale", "min_percent"], name="band_unique_threshold"),
            models.CheckConstraint(
                condition=Q(min_percent__gte=0, min_percent__lte=100), name="band_percent_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.letter} (≥ {number_text(self.min_percent)}%)"


class AssessmentCategory(models.Model):
    """A weighted part of a class's grade (e.g. Homework 20%, Tests 50%, Exam 30%). Weights total 100%."""

    offering = models.ForeignKey(
        "academics.CourseOffering", on_delete=models.CASCADE, related_name="assessment_categories"
    )
    name = models.CharField(_("name"), max_length=60)
    weight = models.DecimalField(
        _("weight (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )

    class Meta:
        ordering = ["-weight", "name"]
        verbose_name = _("assessment category")
        verbose_name_plural = _("assessment categories")
        constraints = [
            models.UniqueConstraint(fields=["offering", "name"], name="category_unique_name"),
            models.CheckConstraint(condition=Q(weight__gte=0, weight__lte=100), name="category_weight_range"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({number_text(self.weight)}%)"


class AssessmentKind(models.TextChoices):
    HOMEWORK = "homework", _("Homework")
    QUIZ = "quiz", _("Quiz")
    TEST = "test", _("Test")
    EXAM = "exam", _("Exam")


class AssessmentQuerySet(models.QuerySet):
    def published(self) -> AssessmentQuerySet:
        return self.filter(published_at__isnull=False)

    def visible_to(self, user) -> AssessmentQuerySet:
        """Staff: the office all, teachers their classes' (and homeroom sections'); families only published
        assessments of their children's classes (or of the student themself)."""
        if not user.is_authenticated:
            return self.none()
        roles = user.roles
        if Role.ADMINISTRATOR in roles:
            return self.all()
        condition = Q(pk__in=[])
        if Role.TEACHER in roles:
            condition |= Q(offering__teacher__user=user) | Q(offering__section__homeroom_teacher__user=user)
        family = family_q(user, roles, student="offering__section__enrollments__student")
        condition |= family & Q(published_at__isnull=False)
        return self.filter(pk__in=self.filter(condition).values("pk"))


class Assessment(models.Model):
    offering = models.ForeignKey(
        "academics.CourseOffering",
        on_delete=models.CASCADE,
        related_name="assessments",
        verbose_name=_("class"),
    )
    term = models.ForeignKey(
        "academics.Term", on_delete=models.PROTECT, related_name="assessments", verbose_name=_("term")
    )
    category = models.ForeignKey(
        AssessmentCategory,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
        verbose_name=_("category"),
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(
        _("kind"), max_length=10, choices=AssessmentKind.choices, default=AssessmentKind.TEST
    )
    max_score = models.DecimalField(
        _("maximum score"), max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    date = models.DateField(_("date"), default=timezone.localdate)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    # When families were told of the publication (or it was published with the term's results, whose notice
    # covers it); published and not notified is owed, and found again if its task was lost.
    notified_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["date", "pk"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        constraints = [
            models.CheckConstraint(condition=Q(max_score__gt=0), name="assessment_max_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class MarkCode(models.TextChoices):
    """What a mark says instead of a score. Staff type the short code in the gradebook; families and
    students read the label, in their language (Mark.label)."""

    EXCUSED = "ex", _("Excused")
    MISSING = "m", _("Missing")
    ABSENT = "abs", _("Absent")


class MarkQuerySet(models.QuerySet):
    def visible_to(self, user) -> MarkQuerySet:
        """Staff: the office all, teachers their classes' and homeroom sections' marks (as the gradebook);
        families only their own children's (or their own) marks on published assessments."""
        if not user.is_authenticated:
            return self.none()
        roles = user.roles
        if Role.ADMINISTRATOR in roles:
            return self.all()
        condition = Q(pk__in=[])
        if Role.TEACHER in roles:
            condition |= Q(assessment__offering__teacher__user=user) | Q(
                assessment__offering__section__homeroom_teacher__user=user
            )
        family = family_q(user, roles)
        condition |= family & Q(assessment__published_at__isnull=False)
        return self.filter(pk__in=self.filter(condition).values("pk"))


class Mark(models.Model):
    """One student's result on one assessment: a score between 0 and the maximum, or a code.

    The maximum is copied from the assessment so that the database itself refuses a score above it.
    Excused marks do not count in averages; missing and absent count as zero.
    """

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="marks")
    student = models.ForeignKey("people.Student", on_delete=models.CASCADE, related_name="marks")
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2, null=True, blank=True)
    code = models.CharField(_("code"), max_length=3, choices=MarkCode.choices, blank=True)
    max_score = models.DecimalField(max_digits=6, decimal_places=2)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    entered_at = models.DateTimeField(default=timezone.now)

    objects = MarkQuerySet.as_manager()

    class Meta:
        verbose_name = _("mark")
        verbose_name_plural = _("marks")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "student"], name="mark_one_per_student"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=F("max_score")),
                name="mark_score_within_max",
            ),
            models.CheckConstraint(
                condition=(Q(score__isnull=False) & Q(code="")) | (Q(score__isnull=True) & ~Q(code="")),
                name="mark_score_or_code",
            ),
        ]
        indexes = [models.Index(fields=["student", "assessment"], name="mark_student_assessment")]

    def __str__(self) -> str:
        return f"{self.student} · {self.assessment}: {self.display}"

    @property
    def display(self) -> str:
        """The mark as staff type it in the gradebook: the score, or the short code ("ex")."""
        if self.code:
            return self.code
        return f"{self.score.normalize():f}" if self.score is not None else ""

    @property
    def label(self) -> str:
        """The mark as families and students read it: the score, or the code's word in the reader's
        language ("Excused"). Pages and PDFs for families use this, never `display`."""
        if self.code:
            return str(MarkCode(self.code).label)
        return self.display

    @property
    def is_scored(self) -> bool:
        """A score (printed "7 / 10"), not a code (printed as its word alone)."""
        return self.score is not None and not self.code


class SubjectResultQuerySet(models.QuerySet):
    def published(self) -> SubjectResultQuerySet:
        """Of terms whose results the office has published (what families read on the report card)."""
        return self.filter(term__results_status__results_published_at__isnull=False)

    def visible_to(self, user) -> SubjectResultQuerySet:
        """As the marks they are counted from: the office all, teachers their classes' and homeroom
        sections', families their own children's (or their own)."""
        if not user.is_authenticated:
            return self.none()
        roles = user.roles
        if Role.ADMINISTRATOR in roles:
            return self.all()
        condition = Q(pk__in=[])
        if Role.TEACHER in roles:
            condition |= Q(offering__teacher__user=user) | Q(offering__section__homeroom_teacher__user=user)
        condition |= family_q(user, roles)
        return self.filter(pk__in=self.filter(condition).values("pk"))


class SubjectResult(models.Model):
    """A student's average in one class over one term, as the gradebook and the report card compute it
    (exams.grading over every mark given, published or not), stored so that the report builder filters, groups
    and sorts term results in SQL (exams.results). One row per student with marks in the class that term;
    `percent` is None when none of them counts (all excused).

    Counted again when read, where the marks changed since: `marks` and `marked_at` are what the average was
    counted from (how many marks, the latest time one was entered), and a row whose marks no longer match is
    counted again before a report reads it. A mark saved in the gradebook costs nothing more; what changes an
    average without touching its marks (an assessment's maximum, category, term or class; the categories'
    weights) counts its class again at once. The letter and pass are read from the grading scale when
    asked."""

    student = models.ForeignKey("people.Student", on_delete=models.CASCADE, related_name="+")
    offering = models.ForeignKey("academics.CourseOffering", on_delete=models.CASCADE, related_name="+")
    term = models.ForeignKey("academics.Term", on_delete=models.CASCADE, related_name="+")
    percent = models.DecimalField(_("average (%)"), max_digits=4, decimal_places=1, null=True)
    marks = models.PositiveIntegerField(default=0)
    marked_at = models.DateTimeField(null=True)

    objects = SubjectResultQuerySet.as_manager()

    class Meta:
        verbose_name = _("subject result")
        verbose_name_plural = _("subject results")
        constraints = [
            models.UniqueConstraint(fields=["student", "offering", "term"], name="subject_result_unique"),
        ]
        indexes = [models.Index(fields=["term", "offering"], name="subject_result_term")]

    def __str__(self) -> str:
        return f"{self.student_id} · {self.offering_id} · {self.term_id}: {self.percent}"


class TermStatus(models.Model):
    """What the office did with a term's results: published them all, locked them."""

    term = models.OneToOneField("academics.Term", on_delete=models.CASCADE, related_name="results_status")
    results_published_at = models.DateTimeField(_("results published"), null=True, blank=True)
    # When families were told the results are out; published and not notified is owed (see core/fanout.py).
    results_notified_at = models.DateTimeField(null=True, blank=True)
    locked_at = models.DateTimeField(_("locked"), null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("term results")
        verbose_name_plural = _("term results")

    def __str__(self) -> str:
        return str(self.term)


class RenderedCard(models.Model):
    """A report card already laid out: the pages of a PDF in storage that print it. The key is the SHA-256
    of the card's own HTML (its marks, comments, attendance, the school's details, the layout and the
    duplex padding all in it), so a card whose HTML is unchanged is never laid out twice, and a change to
    anything printed on it gives a new key. Kept while in use; `report_cards.rendered_cards_prune` drops
    those unused for STUDENTFLOW_REPORT_CARD_CACHE_DAYS days with their files."""

    key = models.CharField(max_length=64, unique=True)
    file = models.CharField(max_length=255)  # a name in the default storage, shared by the cards of one part
    first_page = models.PositiveIntegerField()  # 0-based
    pages = models.PositiveSmallIntegerField()
    used_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("laid-out report card")
        verbose_name_plural = _("laid-out report cards")

    def __str__(self) -> str:
        return f"{self.file} [{self.first_page}+{self.pages}]"


class CommentKind(models.TextChoices):
    SUBJECT = "subject", _("Subject teacher")
    HOMEROOM = "homeroom", _("Homeroom teacher")
    PRINCIPAL = "principal", _("Principal")


class TermComment(models.Model):
    """A comment on a student's term: per class by its teacher, and overall by the homeroom teacher and the
    principal (offering empty)."""

    student = models.ForeignKey("people.Student", on_delete=models.CASCADE, related_name="term_comments")
    term = models.ForeignKey("academics.Term", on_delete=models.CASCADE, related_name="comments")
    kind = models.CharField(_("kind"), max_length=10, choices=CommentKind.choices)
    offering = models.ForeignKey(
        "academics.CourseOffering",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="term_comments",
    )
    text = models.TextField(_("comment"), max_length=TERM_COMMENT_MAX_LENGTH)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("term comment")
        verbose_name_plural = _("term comments")
        constraints = [
            text_length_check("text", TERM_COMMENT_MAX_LENGTH),
            models.UniqueConstraint(
                fields=["student", "term", "offering"],
                condition=Q(kind="subject"),
                name="comment_one_per_subject",
            ),
            models.UniqueConstraint(
                fields=["student", "term", "kind"],
                condition=~Q(kind="subject"),
                name="comment_one_overall_per_kind",
            ),
            models.CheckConstraint(
                condition=(Q(kind="subject") & Q(offering__isnull=False))
                | (~Q(kind="subject") & Q(offering__isnull=True)),
                name="comment_offering_only_for_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} · {self.term} · {self.get_kind_display()}"


class ExamPeriod(models.Model):
    name = models.CharField(_("name"), max_length=100)
    term = models.ForeignKey(
        "academics.Term", on_delete=models.CASCADE, related_name="exam_periods", verbose_name=_("term")
    )
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    is_published = models.BooleanField(_("visible to students and families"), default=False)

    class Meta:
        ordering = ["-start_date"]
        verbose_name = _("exam period")
        verbose_name_plural = _("exam periods")
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="exam_period_dates"),
        ]

    def __str__(self) -> str:
        return self.name


class ExamSlot(models.Model):
    """One exam sitting: a subject for one or more sections at a date and time, in a room, invigilated."""

    period = models.ForeignKey(ExamPeriod, on_delete=models.CASCADE, related_name="slots")
    subject = models.ForeignKey(
        "academics.Subject", on_delete=models.PROTECT, related_name="+", verbose_name=_("subject")
    )
    sections = models.ManyToManyField(
        "academics.Section", related_name="exam_slots", verbose_name=_("sections")
    )
    date = models.DateField(_("date"))
    start_time = models.TimeField(_("starts"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), validators=[MinValueValidator(10), MaxValueValidator(360)]
    )
    room = models.ForeignKey(
        "academics.Room",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("room"),
    )
    invigilator = models.ForeignKey(
        "people.Staff",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invigilations",
        verbose_name=_("invigilator"),
    )

    class Meta:
        ordering = ["date", "start_time"]
        verbose_name = _("exam")
        verbose_name_plural = _("exam timetable")
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=10, duration_minutes__lte=360), name="exam_duration_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} · {self.date:%Y-%m-%d} {self.start_time:%H:%M}"
