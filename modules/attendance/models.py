"""Registers (attendance sessions) and their records, absence notes, and the school's attendance policy."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.db.models import CharField, Exists, OuterRef, Q, StringAgg, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from modules.accounts.models import Role
from modules.core.limits import REASON_MAX_LENGTH, text_length_check
from modules.core.uploads import private_upload_path
from modules.people.models import family_q
from modules.timetable.models import Cover

POLICY_CACHE_KEY = "attendance:policy"
# Each web process may keep its own cache (local memory): a change reaches all of them within this time.
POLICY_CACHE_SECONDS = 60


class RegisterMode(models.TextChoices):
    DAILY = "daily", _("Daily: one register per section per day, taken by the homeroom teacher")
    LESSON = "lesson", _("Per lesson: one register per class per timetabled period")


class AttendancePolicy(models.Model):
    """The school's attendance rules (one row)."""

    mode = models.CharField(
        _("registers"), max_length=10, choices=RegisterMode.choices, default=RegisterMode.DAILY
    )
    teacher_edit_days = models.PositiveSmallIntegerField(
        _("teachers may edit for"),
        default=0,
        help_text=_(
            "Days after the register's date during which its teacher may still change it (0 = same day)."
        ),
    )
    chronic_absence_percent = models.DecimalField(
        _("chronic absence threshold (%)"), max_digits=4, decimal_places=1, default=10
    )
    notify_absences = models.BooleanField(_("tell guardians about unexcused absences"), default=True)
    late_after = models.TimeField(
        _("late after"),
        null=True,
        blank=True,
        help_text=_(
            "A check-in at an attendance reader after this time marks the student late (empty: present)."
        ),
    )

    class Meta:
        verbose_name = _("attendance policy")
        verbose_name_plural = _("attendance policy")

    def __str__(self) -> str:
        return str(_("Attendance policy"))

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        cache.delete(POLICY_CACHE_KEY)

    @classmethod
    def load(cls) -> AttendancePolicy:
        """The policy with its grade levels' register modes (`modes`), from the cache when possible: every
        register page and home reads it. One query when the cache has nothing (the grade levels' modes are
        read in the same query)."""
        policy = cache.get(POLICY_CACHE_KEY)
        if policy is None:
            policy = cls.objects.annotate(grade_modes=Subquery(_grade_modes_text())).order_by("pk").first()
            if policy is None:
                # No grade has a mode of its own yet either: GradeRegisterMode.save makes the policy first.
                policy = cls.objects.create()
                policy.grade_modes = None
            policy.modes = RegisterModes.parse(policy.mode, policy.grade_modes)
            cache.set(POLICY_CACHE_KEY, policy, POLICY_CACHE_SECONDS)
        return policy

    @property
    def modes(self) -> RegisterModes:
        """The register mode of each grade level (the school's `mode` where a grade has none of its own)."""
        modes = self.__dict__.get("modes")
        if modes is None or modes.default != self.mode:
            text = self.__dict__["grade_modes"] if "grade_modes" in self.__dict__ else _grade_modes_read()
            modes = RegisterModes.parse(self.mode, text)
            self.__dict__["modes"] = modes
        return modes

    @modes.setter
    def modes(self, value: RegisterModes) -> None:
        self.__dict__["modes"] = value

    def teacher_cutoff(self, register_date: datetime.date) -> datetime.date:
        """The last day on which the register's own teacher may change it."""
        return register_date + datetime.timedelta(days=self.teacher_edit_days)


class GradeRegisterMode(models.Model):
    """A grade level whose registers differ from the school's mode (AttendancePolicy.mode): its sections take
    a register a day, or one per lesson, whatever the rest of the school does."""

    grade_level = models.OneToOneField(
        "academics.GradeLevel",
        on_delete=models.CASCADE,
        related_name="register_mode",
        verbose_name=_("grade level"),
    )
    mode = models.CharField(_("registers"), max_length=10, choices=RegisterMode.choices)

    class Meta:
        verbose_name = _("grade level's register mode")
        verbose_name_plural = _("grade levels' register modes")

    def __str__(self) -> str:
        return f"{self.grade_level_id}: {self.mode}"

    def save(self, *args, **kwargs):
        # The policy's row first, so that AttendancePolicy.load(), which reads the grades' modes with it,
        # never finds grade modes without a policy.
        if not AttendancePolicy.objects.exists():
            AttendancePolicy.objects.create()
        super().save(*args, **kwargs)


def _grade_modes_text():
    """A subquery giving every grade level's own mode as one text, "3:lesson,4:lesson" (None: no grade has
    one), so that the policy and the grades' modes are read in one query."""
    pair = Concat(
        Cast("grade_level_id", output_field=CharField()), Value(":"), "mode", output_field=CharField()
    )
    return (
        GradeRegisterMode.objects.annotate(whole=Value(1))
        .values("whole")
        .annotate(text=StringAgg(pair, delimiter=Value(",")))
        .values("text")
    )


def _grade_modes_read() -> str:
    return ",".join(
        f"{pk}:{mode}" for pk, mode in GradeRegisterMode.objects.values_list("grade_level_id", "mode")
    )


@dataclass(frozen=True)
class RegisterModes:
    """Which kind of register counts for each grade level: `default` (the school's mode) unless the grade has
    its own in `by_grade` (only the grades that differ from the default are kept).

    The one rule of every figure: a possible session is a submitted register whose kind is the mode of its
    section's grade level (selectors.AttendanceSummary)."""

    default: str
    by_grade: tuple[tuple[int, str], ...] = ()

    @classmethod
    def parse(cls, default: str, text: str | None) -> RegisterModes:
        pairs = []
        for item in (text or "").split(","):
            if item:
                grade, mode = item.split(":", 1)
                if mode != default:
                    pairs.append((int(grade), mode))
        return cls(default=default, by_grade=tuple(sorted(pairs)))

    @classmethod
    def of(cls, default: str, by_grade: dict[int, str] | None = None) -> RegisterModes:
        pairs = sorted((grade, mode) for grade, mode in (by_grade or {}).items() if mode != default)
        return cls(default=default, by_grade=tuple(pairs))

    @classmethod
    def coerce(cls, value: RegisterModes | str) -> RegisterModes:
        """Modes as given, or one kind of register for every grade level."""
        return value if isinstance(value, RegisterModes) else cls(default=value)

    def for_grade(self, grade_id: int | None) -> str:
        for grade, mode in self.by_grade:
            if grade == grade_id:
                return mode
        return self.default

    @property
    def grades(self) -> dict[int, str]:
        return dict(self.by_grade)

    @property
    def uniform(self) -> bool:
        """Every grade level takes the school's kind of register."""
        return not self.by_grade

    def kinds(self) -> set[str]:
        return {self.default, *(mode for _grade, mode in self.by_grade)}

    def counts(self, kind: str, grade_id: int | None) -> bool:
        """Whether a register of `kind` of a section of that grade level is a possible session."""
        return kind == self.for_grade(grade_id)

    def counted_q(self, prefix: str = "", grade_of: dict[int, int] | None = None) -> Q:
        """A filter matching the registers whose kind is the mode of their section's grade level; `prefix`
        reaches the register ("register__" from a record). Without grades of their own, no join; with
        `grade_of` (each section's grade level, every section the registers may be of), none either: the
        sections are named."""
        if self.uniform:
            return Q(**{f"{prefix}kind": self.default})
        own = [pk for pk, _mode in self.by_grade]
        if grade_of is None:
            where, of = f"{prefix}section__grade_level_id__in", lambda grades: grades
        else:
            where = f"{prefix}section_id__in"

            def of(grades: list[int]) -> list[int]:
                return sorted(section for section, grade in grade_of.items() if grade in grades)

        counted = Q(**{f"{prefix}kind": self.default}) & ~Q(**{where: of(own)})
        for mode in sorted(self.kinds() - {self.default}):
            grades = [pk for pk, grade_mode in self.by_grade if grade_mode == mode]
            counted |= Q(**{f"{prefix}kind": mode, where: of(grades)})
        return counted

    @property
    def signature(self) -> str:
        """A short text that changes whenever any grade's mode does (the stored patterns' key)."""
        return ";".join([self.default, *(f"{pk}={mode}" for pk, mode in self.by_grade)])


@receiver(post_save, sender=GradeRegisterMode, dispatch_uid="attendance.on_grade_mode_saved")
@receiver(post_delete, sender=GradeRegisterMode, dispatch_uid="attendance.on_grade_mode_deleted")
@receiver(post_delete, sender=AttendancePolicy, dispatch_uid="attendance.on_policy_deleted")
def on_modes_changed(sender, **kwargs) -> None:
    cache.delete(POLICY_CACHE_KEY)


class RegisterState(models.TextChoices):
    NOT_TAKEN = "not_taken", _("Not taken")
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Submitted")


class RegisterQuerySet(models.QuerySet):
    def visible_to(self, user) -> RegisterQuerySet:
        """The office sees every register; a teacher the registers they take (their homeroom sections' daily
        registers and their classes' lesson registers, and the register of a lesson they cover, on its date
        only: modules/timetable/covering.py)."""
        if not user.is_authenticated:
            return self.none()
        roles = user.roles
        if Role.ADMINISTRATOR in roles:
            return self.all()
        if Role.TEACHER in roles:
            return self.filter(
                Q(kind=RegisterMode.DAILY, section__homeroom_teacher__user=user)
                | Q(kind=RegisterMode.LESSON, offering__teacher__user=user)
                | Q(
                    Exists(
                        Cover.objects.taking_register().filter(
                            teacher__user=user,
                            date=OuterRef("date"),
                            lesson__offering=OuterRef("offering"),
                            lesson__period=OuterRef("period"),
                        )
                    ),
                    kind=RegisterMode.LESSON,
                )
            )
        return self.none()

    def on(self, day: datetime.date) -> RegisterQuerySet:
        return self.filter(date=day)


class Register(models.Model):
    """One attendance session: a section's day (daily mode) or a class's lesson (per-lesson mode)."""

    kind = models.CharField(_("kind"), max_length=10, choices=RegisterMode.choices)
    date = models.DateField(_("date"), db_index=True)
    section = models.ForeignKey(
        "academics.Section", on_delete=models.CASCADE, related_name="registers", verbose_name=_("section")
    )
    offering = models.ForeignKey(
        "academics.CourseOffering",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="registers",
        verbose_name=_("class"),
    )
    period = models.ForeignKey(
        "academics.Period",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("period"),
    )
    state = models.CharField(
        _("state"),
        max_length=12,
        choices=RegisterState.choices,
        default=RegisterState.NOT_TAKEN,
        db_index=True,
    )
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # When the last notice run for this register started (modules/attendance/notices.py): a register submitted
    # again, or with a record changed, after it still owes notices (found again if its task was lost).
    notified_at = models.DateTimeField(null=True, blank=True)

    objects = RegisterQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "period__order", "section__name"]
        verbose_name = _("register")
        verbose_name_plural = _("registers")
        constraints = [
            models.UniqueConstraint(
                fields=["section", "date"], condition=Q(kind="daily"), name="register_one_daily_per_section"
            ),
            models.UniqueConstraint(
                fields=["offering", "date", "period"],
                condition=Q(kind="lesson"),
                name="register_one_per_lesson",
            ),
            models.CheckConstraint(
                condition=Q(kind="daily", offering__isnull=True, period__isnull=True)
                | Q(kind="lesson", offering__isnull=False, period__isnull=False),
                name="register_kind_fields",
            ),
        ]
        indexes = [models.Index(fields=["date", "state"], name="register_date_state")]

    def __str__(self) -> str:
        if self.kind == RegisterMode.LESSON and self.offering_id:
            return f"{self.offering} · {self.date:%Y-%m-%d} · {self.period.name if self.period_id else ''}"
        return f"{self.section} · {self.date:%Y-%m-%d}"


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("Present")
    ABSENT = "absent", _("Absent")
    LATE = "late", _("Late")
    EXCUSED = "excused", _("Excused")


# Late arrivals beyond this many minutes are a data-entry mistake, not a late arrival.
MAX_LATE_MINUTES = 240


class RecordSource(models.TextChoices):
    PERSON = "person", _("A person")
    DEVICE = "device", _("An attendance reader")


class AttendanceRecordQuerySet(models.QuerySet):
    def visible_to(self, user) -> AttendanceRecordQuerySet:
        """The office every mark; a teacher the marks of the registers they take (Register.visible_to);
        families their own children's (or their own) marks once the register is submitted (what guardians
        are told and the attendance pages count)."""
        if not user.is_authenticated:
            return self.none()
        roles = user.roles
        if Role.ADMINISTRATOR in roles:
            return self.all()
        condition = Q(pk__in=[])
        if Role.TEACHER in roles:
            condition |= Q(register__in=Register.objects.visible_to(user).values("pk"))
        family = family_q(user, roles)
        condition |= family & Q(register__state=RegisterState.SUBMITTED)
        return self.filter(pk__in=self.filter(condition).values("pk"))


class AttendanceRecord(models.Model):
    register = models.ForeignKey(Register, on_delete=models.CASCADE, related_name="records")
    student = models.ForeignKey("people.Student", on_delete=models.CASCADE, related_name="attendance_records")
    status = models.CharField(_("status"), max_length=10, choices=AttendanceStatus.choices)
    late_minutes = models.PositiveSmallIntegerField(_("minutes late"), null=True, blank=True)
    reason = models.CharField(_("excuse reason"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    # Denormalised from the register so that analytics group by day without a join.
    date = models.DateField(_("date"))
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    marked_at = models.DateTimeField(default=timezone.now)
    # When the guardians were told of this absence (for the correction notice if it is changed later).
    absence_notified_at = models.DateTimeField(null=True, blank=True)
    # Who set the mark: a person on the register (or the office), or an attendance reader's check-in, whose
    # time is kept (the earliest check-in of the day stands; a person's mark is never changed by a reader).
    source = models.CharField(
        _("marked by"), max_length=10, choices=RecordSource.choices, default=RecordSource.PERSON
    )
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)

    objects = AttendanceRecordQuerySet.as_manager()

    class Meta:
        ordering = ["student__last_name", "student__first_name"]
        verbose_name = _("attendance record")
        verbose_name_plural = _("attendance records")
        constraints = [
            models.UniqueConstraint(
                fields=["register", "student"], name="record_one_per_student_per_register"
            ),
            models.CheckConstraint(
                condition=Q(late_minutes__isnull=True) | Q(late_minutes__lte=MAX_LATE_MINUTES),
                name="record_late_minutes_sane",
            ),
            models.CheckConstraint(
                condition=Q(status="late") | Q(late_minutes__isnull=True),
                name="record_minutes_only_when_late",
            ),
        ]
        indexes = [
            models.Index(fields=["student", "date"], name="record_student_date"),
            # Covering for the analytics (counts per register and per student over a period read the
            # index alone, without visiting the table).
            models.Index(fields=["date", "status", "register", "student"], name="record_date_status"),
            # A day's marks page by page (the API's cursor: WHERE date = … AND id > … ORDER BY id LIMIT n)
            # read only the page's rows, not the whole day's to sort them each page.
            models.Index(fields=["date", "id"], name="record_date_id"),
        ]

    def __str__(self) -> str:
        return f"{self.student} · {self.date:%Y-%m-%d} · {self.get_status_display()}"


@receiver(post_delete, sender=AttendanceRecord, dispatch_uid="attendance.on_record_deleted")
def on_record_deleted(sender, instance: AttendanceRecord, using: str, **kwargs) -> None:
    """A record deleted (with its student, or by hand in the admin) leaves its register's tally too high:
    the register is recounted once the deletion commits. Not inside it: when the register itself is being
    deleted, a tally written back meanwhile would outlive it."""
    from modules.attendance.services import record_tallies_after_delete

    values = {"register_id": instance.register_id, "student_id": instance.student_id, "day": instance.date}
    transaction.on_commit(lambda: record_tallies_after_delete(**values), using=using)


class AbsenceNoteStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the school")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Not accepted")


def absence_note_upload_to(instance, filename: str) -> str:
    return private_upload_path("absence-notes", instance, filename)


class AbsenceNote(models.Model):
    """A guardian's explanation of an absence; accepting it turns the absences it covers into excused ones."""

    student = models.ForeignKey("people.Student", on_delete=models.CASCADE, related_name="absence_notes")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    date_from = models.DateField(pgettext_lazy("date range", "from"))
    date_to = models.DateField(_("to"))
    reason = models.TextField(_("reason"), max_length=REASON_MAX_LENGTH)
    file = models.FileField(_("document"), upload_to=absence_note_upload_to, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=AbsenceNoteStatus.choices, default=AbsenceNoteStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("note to the family"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("absence note")
        verbose_name_plural = _("absence notes")
        constraints = [
            models.CheckConstraint(
                condition=Q(date_to__gte=models.F("date_from")), name="absence_note_dates"
            ),
            text_length_check("reason", REASON_MAX_LENGTH),
        ]

    def __str__(self) -> str:
        return f"{self.student} {self.date_from:%Y-%m-%d}–{self.date_to:%Y-%m-%d}"


class PatternKind(models.TextChoices):
    CONSECUTIVE = "consecutive", _("Absent several days in a row")
    WEEKDAY = "weekday", _("The same weekday missed repeatedly")
    LESSON = "lesson", _("The same lesson missed repeatedly")
    LATENESS = "lateness", _("Rising lateness")


class FlaggedPattern(models.Model):
    """An absence pattern once it was first seen for a student, so the weekly digest names only new ones.

    `key` tells instances of a kind apart: the first day of a run of absences, the weekday, the class. A
    pattern that stops being seen for a while and comes back is new again (`first_seen` moves).
    """

    student = models.ForeignKey(
        "people.Student", on_delete=models.CASCADE, related_name="attendance_flags", verbose_name=_("student")
    )
    kind = models.CharField(_("pattern"), max_length=20, choices=PatternKind.choices)
    key = models.CharField(max_length=40, blank=True)
    first_seen = models.DateField(_("first seen"))
    last_seen = models.DateField(_("last seen"))

    class Meta:
        ordering = ["-first_seen"]
        verbose_name = _("flagged attendance pattern")
        verbose_name_plural = _("flagged attendance patterns")
        constraints = [
            models.UniqueConstraint(fields=["student", "kind", "key"], name="flagged_pattern_unique"),
        ]
        indexes = [models.Index(fields=["first_seen"], name="flagged_pattern_first_seen")]

    def __str__(self) -> str:
        return f"{self.student} · {self.get_kind_display()} · {self.first_seen:%Y-%m-%d}"


class RegisterTally(models.Model):
    """A register's marks counted by status, kept in step with its records by the services that write them
    (services.register_tally_recount, in the same transaction as the mark, under the register's row lock),
    so that the reports add up a few numbers per register instead of counting every record of a term.

    A submitted register without a tally (one written in bulk, outside the services) is counted from its
    records by the reports; `manage.py attendance_tallies` (and the migration that made this table) fills in
    the missing ones and corrects any that drifted."""

    register = models.OneToOneField(
        Register, on_delete=models.CASCADE, primary_key=True, related_name="tally", verbose_name=_("register")
    )
    present = models.PositiveIntegerField(_("present"), default=0)
    late = models.PositiveIntegerField(_("late"), default=0)
    absent = models.PositiveIntegerField(_("absent"), default=0)
    excused = models.PositiveIntegerField(_("excused"), default=0)

    class Meta:
        verbose_name = _("register tally")
        verbose_name_plural = _("register tallies")

    def __str__(self) -> str:
        return f"{self.register_id}: {self.present}/{self.late}/{self.absent}/{self.excused}"


class StudentTermTally(models.Model):
    """A student's marks over one term on submitted registers of one register mode, counted by status
    (selectors.attendance_summary over the term: the one definition), kept in step by the services that
    submit registers and change marks on submitted ones, in the same transaction. The office's reports read
    the chronically absent of a term so far from these rows instead of counting a term of records.

    Kept only while every submitted register has its RegisterTally: the reports fall back to counting the
    records when one does not (see RegisterTally)."""

    student = models.ForeignKey("people.Student", on_delete=models.CASCADE, related_name="+")
    term = models.ForeignKey("academics.Term", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=RegisterMode.choices)
    present = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)
    absent = models.PositiveIntegerField(default=0)
    excused = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("student term tally")
        verbose_name_plural = _("student term tallies")
        constraints = [
            models.UniqueConstraint(fields=["student", "term", "kind"], name="student_term_tally_unique"),
        ]
        indexes = [models.Index(fields=["term", "kind"], name="student_term_tally_term")]

    def __str__(self) -> str:
        return f"{self.student_id} · {self.term_id} · {self.kind}"


class StoredPattern(models.Model):
    """An absence pattern as the last detection on the queue found it (patterns.patterns_refresh), so the
    reports page reads patterns instead of working them out from six weeks of records on every view.

    The set is the one `PatternSnapshot` describes (as of which day, over which period, in which register
    mode); the page uses it only when that is the page's own period and mode."""

    student = models.ForeignKey("people.Student", on_delete=models.CASCADE, related_name="+")
    section = models.ForeignKey("academics.Section", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=PatternKind.choices)
    key = models.CharField(max_length=40, blank=True)
    count = models.PositiveSmallIntegerField()
    out_of = models.PositiveSmallIntegerField(default=0)
    first = models.DateField(null=True, blank=True)
    last = models.DateField(null=True, blank=True)
    weekday = models.PositiveSmallIntegerField(null=True, blank=True)
    subject = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("detected attendance pattern")
        verbose_name_plural = _("detected attendance patterns")
        indexes = [models.Index(fields=["section", "student"], name="stored_pattern_section")]

    def __str__(self) -> str:
        return f"{self.student_id} · {self.kind} · {self.key}"


class PatternSnapshot(models.Model):
    """What the stored patterns are (one row): detected as of `as_of`, with runs of absences read from
    `since` (the period's first day), for the register modes whose signature (RegisterModes.signature) is
    `mode`; `refreshed_at` is when a run last wrote."""

    as_of = models.DateField()
    since = models.DateField()
    # The register modes' signature (RegisterModes.signature): the school's mode and each grade's own.
    mode = models.CharField(max_length=255)
    refreshed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("attendance pattern snapshot")
        verbose_name_plural = _("attendance pattern snapshots")

    def __str__(self) -> str:
        return f"{self.as_of:%Y-%m-%d} ({self.mode})"


class DeviceQuerySet(models.QuerySet):
    def usable(self) -> DeviceQuerySet:
        return self.filter(revoked_at__isnull=True)


class AttendanceDevice(models.Model):
    """An attendance reader (RFID, barcode or fingerprint) registered by the office. At the gate, its
    check-ins mark students present (or late, after the policy's time) on their section's daily register,
    of the sections it feeds (none chosen: every section); at a classroom's door (`room`), on the register of
    the lesson in that room at that time (late after the lesson's start). It calls the API with its own key
    (shown once, stored as its SHA-256: modules/attendance/devices.py)."""

    name = models.CharField(_("name"), max_length=80)
    place = models.CharField(_("place"), max_length=120, blank=True)
    sections = models.ManyToManyField(
        "academics.Section",
        blank=True,
        related_name="+",
        verbose_name=_("sections it feeds"),
        help_text=_("None chosen: every section."),
    )
    room = models.ForeignKey(
        "academics.Room",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("classroom"),
        help_text=_(
            "A reader at a classroom's door: its check-ins mark the register of the lesson in this room at "
            "that time. Empty: a gate reader, marking daily registers."
        ),
    )
    key_prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last heard from"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = DeviceQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("attendance reader")
        verbose_name_plural = _("attendance readers")

    def __str__(self) -> str:
        return self.name


class EventOutcome(models.TextChoices):
    PRESENT = "present", _("Marked present")
    LATE = "late", _("Marked late")
    EARLIER = "earlier", _("Already checked in earlier")
    PERSON_MARK = "person_mark", _("Kept the mark a person set")
    SUBMITTED = "submitted", _("Register already submitted")
    UNKNOWN_CARD = "unknown_card", _("Unknown card")
    NOT_ENROLLED = "not_enrolled", _("Not in a section this reader feeds")
    LESSON_REGISTERS = "lesson_registers", _("The student's grade takes lesson registers")
    NOT_SCHOOL_DAY = "not_school_day", _("Not a school day")
    TOO_LATE = "too_late", _("Too late in the day to count as late")
    FUTURE = "future", _("Stamped ahead of the school's clock (check the reader's clock)")
    NO_LESSON = "no_lesson", _("No lesson in the room at that time")
    NOT_IN_CLASS = "not_in_class", _("Not in the class having the lesson")
    DAILY_REGISTERS = "daily_registers", _("The student's grade takes daily registers")


APPLIED_OUTCOMES = (EventOutcome.PRESENT, EventOutcome.LATE)


class DeviceEvent(models.Model):
    """One check-in a reader sent, kept as sent with what it did (the audit of every device mark; the
    office's list of unknown cards and of check-ins that marked nothing). A reader's event id is unique:
    the same event sent again (a batch resent after a lost answer) is not recorded twice."""

    device = models.ForeignKey(AttendanceDevice, on_delete=models.CASCADE, related_name="events")
    event_id = models.CharField(max_length=64)
    card = models.CharField(_("card"), max_length=64, blank=True)
    student = models.ForeignKey(
        "people.Student", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    occurred_at = models.DateTimeField(_("checked in"))
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    outcome = models.CharField(_("outcome"), max_length=20, choices=EventOutcome.choices)
    record = models.ForeignKey(
        AttendanceRecord, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        constraints = [
            models.UniqueConstraint(fields=["device", "event_id"], name="device_event_once"),
        ]
        indexes = [models.Index(fields=["outcome", "-occurred_at"], name="device_event_outcome")]

    def __str__(self) -> str:
        return f"{self.device_id} · {self.event_id}"
