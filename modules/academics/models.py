from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from modules.accounts.models import Role
from modules.core.limits import NOTES_MAX_LENGTH, text_length_check
from modules.people.models import family_q


class AcademicYearQuerySet(models.QuerySet):
    def current(self) -> AcademicYear | None:
        today = timezone.localdate()
        return (
            self.filter(is_current=True).first()
            or self.filter(start_date__lte=today, end_date__gte=today).first()
        )


class AcademicYear(models.Model):
    name = models.CharField(_("name"), max_length=40, unique=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    is_current = models.BooleanField(_("current year"), default=False)

    objects = AcademicYearQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date"]
        verbose_name = _("academic year")
        verbose_name_plural = _("academic years")
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gt=F("start_date")), name="year_ends_after_start"),
            models.UniqueConstraint(
                fields=["is_current"], condition=Q(is_current=True), name="one_current_year"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.start_date and self.end_date and self.end_date <= self.start_date:
            raise ValidationError({"end_date": _("The year must end after it starts.")})

    def current_term(self) -> Term | None:
        today = timezone.localdate()
        return self.terms.filter(start_date__lte=today, end_date__gte=today).first()


class Term(models.Model):
    year = models.ForeignKey(
        AcademicYear, on_delete=models.CASCADE, related_name="terms", verbose_name=_("year")
    )
    name = models.CharField(_("name"), max_length=40)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))

    class Meta:
        ordering = ["start_date"]
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        constraints = [
            models.UniqueConstraint(fields=["year", "name"], name="term_unique_name_in_year"),
            models.CheckConstraint(condition=Q(end_date__gt=F("start_date")), name="term_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.year})"

    def clean(self):
        errors = {}
        if self.start_date and self.end_date and self.end_date <= self.start_date:
            errors["end_date"] = _("The term must end after it starts.")
        if self.year_id and self.start_date and self.end_date:
            year = self.year
            if self.start_date < year.start_date or self.end_date > year.end_date:
                errors["start_date"] = _(
                    "The term must lie within the academic year (%(start)s – %(end)s)."
                ) % {
                    "start": date_format(year.start_date, "SHORT_DATE_FORMAT"),
                    "end": date_format(year.end_date, "SHORT_DATE_FORMAT"),
                }
            overlapping = Term.objects.filter(
                year=year, start_date__lte=self.end_date, end_date__gte=self.start_date
            ).exclude(pk=self.pk)
            if overlapping.exists():
                errors["end_date"] = _("The term overlaps %(term)s.") % {"term": overlapping.first().name}
        if errors:
            raise ValidationError(errors)


class CedsGrade(models.TextChoices):
    """The grade codes rostering standards use (CEDS entry grade levels, as OneRoster's `grades`)."""

    INFANT = "IT", _("Infant/toddler (IT)")
    PRESCHOOL = "PR", _("Preschool (PR)")
    PRE_K = "PK", _("Prekindergarten (PK)")
    TRANSITIONAL_K = "TK", _("Transitional kindergarten (TK)")
    KINDERGARTEN = "KG", _("Kindergarten (KG)")
    G01 = "01", _("First grade (01)")
    G02 = "02", _("Second grade (02)")
    G03 = "03", _("Third grade (03)")
    G04 = "04", _("Fourth grade (04)")
    G05 = "05", _("Fifth grade (05)")
    G06 = "06", _("Sixth grade (06)")
    G07 = "07", _("Seventh grade (07)")
    G08 = "08", _("Eighth grade (08)")
    G09 = "09", _("Ninth grade (09)")
    G10 = "10", _("Tenth grade (10)")
    G11 = "11", _("Eleventh grade (11)")
    G12 = "12", _("Twelfth grade (12)")
    G13 = "13", _("Grade 13 (13)")
    POSTSECONDARY = "PS", _("Postsecondary (PS)")
    UNGRADED = "UG", _("Ungraded (UG)")
    OTHER = "Other", _("Other")


class GradeLevel(models.Model):
    name = models.CharField(_("name"), max_length=40, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0, help_text=_("Lower levels first."))
    ceds_code = models.CharField(
        _("standard grade"),
        max_length=5,
        choices=CedsGrade.choices,
        blank=True,
        help_text=_(
            "The grade as learning platforms know it, sent with the roster (OneRoster). Leave it empty "
            "when none fits: the roster then leaves the grade out."
        ),
    )

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("grade level")
        verbose_name_plural = _("grade levels")

    def __str__(self) -> str:
        return self.name


class Subject(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    code = models.CharField(_("code"), max_length=12, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")

    def __str__(self) -> str:
        return self.name


class RoomType(models.Model):
    """A kind of room a lesson may need (laboratory, gym, computer room): the timetable places a lesson that
    asks for one in any room of that kind big enough for the class."""

    name = models.CharField(_("name"), max_length=40, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("kind of room")
        verbose_name_plural = _("kinds of room")

    def __str__(self) -> str:
        return self.name


class Room(models.Model):
    name = models.CharField(_("name"), max_length=40, unique=True)
    capacity = models.PositiveSmallIntegerField(_("capacity"), null=True, blank=True)
    room_type = models.ForeignKey(
        RoomType,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rooms",
        verbose_name=_("kind of room"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("room")
        verbose_name_plural = _("rooms")

    def __str__(self) -> str:
        return self.name


class SectionQuerySet(models.QuerySet["Section"]):
    def visible_to(self, user) -> SectionQuerySet:
        if not user.is_authenticated:
            return self.none()
        roles = user.roles
        if Role.ADMINISTRATOR in roles:
            return self.all()
        condition = Q(pk__in=[])
        if Role.TEACHER in roles:
            condition |= Q(offerings__teacher__user=user) | Q(homeroom_teacher__user=user)
        condition |= family_q(user, roles, student="enrollments__student")
        return self.filter(pk__in=self.filter(condition).values("pk"))

    def taught_by(self, user) -> SectionQuerySet:
        return self.filter(
            pk__in=self.filter(Q(offerings__teacher__user=user) | Q(homeroom_teacher__user=user)).values("pk")
        )


class Section(models.Model):
    """A class group within a grade level for one year, e.g. "7A"."""

    year = models.ForeignKey(
        AcademicYear, on_delete=models.CASCADE, related_name="sections", verbose_name=_("year")
    )
    grade_level = models.ForeignKey(
        GradeLevel, on_delete=models.PROTECT, related_name="sections", verbose_name=_("grade level")
    )
    name = models.CharField(_("name"), max_length=40)
    homeroom_teacher = models.ForeignKey(
        "people.Staff",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="homeroom_sections",
        verbose_name=_("homeroom teacher"),
    )
    room = models.ForeignKey(
        Room,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sections",
        verbose_name=_("room"),
    )
    capacity = models.PositiveSmallIntegerField(_("capacity"), default=35)

    objects = SectionQuerySet.as_manager()

    class Meta:
        ordering = ["grade_level__order", "name"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        constraints = [models.UniqueConstraint(fields=["year", "name"], name="section_unique_name_in_year")]

    def __str__(self) -> str:
        return self.name


class CourseOfferingQuerySet(models.QuerySet):
    def taught_by(self, user) -> CourseOfferingQuerySet:
        return self.filter(teacher__user=user)

    def visible_to(self, user) -> CourseOfferingQuerySet:
        if not user.is_authenticated:
            return self.none()
        roles = user.roles
        if Role.ADMINISTRATOR in roles:
            return self.all()
        condition = Q(pk__in=[])
        if Role.TEACHER in roles:
            condition |= Q(teacher__user=user) | Q(section__homeroom_teacher__user=user)
        condition |= family_q(user, roles, student="section__enrollments__student")
        return self.filter(pk__in=self.filter(condition).values("pk"))


class CourseOffering(models.Model):
    """A subject taught to a section by a teacher."""

    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, related_name="offerings", verbose_name=_("subject")
    )
    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, related_name="offerings", verbose_name=_("section")
    )
    teacher = models.ForeignKey(
        "people.Staff",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="offerings",
        verbose_name=_("teacher"),
    )

    objects = CourseOfferingQuerySet.as_manager()

    class Meta:
        ordering = ["section__grade_level__order", "section__name", "subject__name"]
        verbose_name = _("course offering")
        verbose_name_plural = _("course offerings")
        constraints = [models.UniqueConstraint(fields=["subject", "section"], name="offering_unique_subject")]

    def __str__(self) -> str:
        return f"{self.subject} · {self.section}"


class EnrollmentStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    TRANSFERRED = "transferred", _("Transferred")


class Enrollment(models.Model):
    student = models.ForeignKey(
        "people.Student", on_delete=models.CASCADE, related_name="enrollments", verbose_name=_("student")
    )
    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, related_name="enrollments", verbose_name=_("section")
    )
    year = models.ForeignKey(
        AcademicYear, on_delete=models.CASCADE, related_name="enrollments", verbose_name=_("year")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ACTIVE
    )
    enrolled_on = models.DateField(_("enrolled on"), default=datetime.date.today)
    # Set by the services the day the enrolment stops being active, cleared if it is made active again; the
    # census counts leavers and who was on roll by it (an ended enrolment without it has no known day).
    ended_on = models.DateField(
        _("ended on"),
        null=True,
        blank=True,
        help_text=_("The day the student left this section; set when the enrolment stops being active."),
    )

    class Meta:
        ordering = ["section__name", "student__last_name", "student__first_name"]
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        constraints = [
            # One section per student per year: a move is a status change plus a new enrollment next year.
            models.UniqueConstraint(fields=["student", "year"], name="enrollment_one_section_per_year"),
        ]

    def __str__(self) -> str:
        return f"{self.student} in {self.section}"

    def clean(self):
        if self.section_id and self.year_id and self.section.year_id != self.year_id:
            raise ValidationError({"section": _("The section belongs to another academic year.")})


class CalendarEventKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday")
    CLOSURE = "closure", _("School closure")
    EVENT = "event", _("Event (school open)")


class CalendarEventQuerySet(models.QuerySet):
    def closures(self) -> CalendarEventQuerySet:
        return self.filter(kind__in=[CalendarEventKind.HOLIDAY, CalendarEventKind.CLOSURE])

    def on(self, day: datetime.date) -> CalendarEventQuerySet:
        return self.filter(start_date__lte=day, end_date__gte=day)


class CalendarEvent(models.Model):
    """A day or a run of days on the school calendar. Holidays and closures have no lessons or registers."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=CalendarEventKind.choices)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    notes = models.TextField(_("notes"), max_length=NOTES_MAX_LENGTH, blank=True)

    objects = CalendarEventQuerySet.as_manager()

    class Meta:
        ordering = ["start_date"]
        verbose_name = _("calendar event")
        verbose_name_plural = _("calendar events")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="event_ends_on_or_after_start"
            ),
            text_length_check("notes", NOTES_MAX_LENGTH),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The last day cannot be before the first day.")})


class Period(models.Model):
    """A slot of the bell schedule."""

    name = models.CharField(_("name"), max_length=40)
    order = models.PositiveSmallIntegerField(_("order"), unique=True)
    start_time = models.TimeField(_("starts"))
    end_time = models.TimeField(_("ends"))

    class Meta:
        ordering = ["order"]
        verbose_name = _("period")
        verbose_name_plural = _("bell schedule")
        constraints = [
            models.CheckConstraint(condition=Q(end_time__gt=F("start_time")), name="period_ends_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.start_time:%H:%M}–{self.end_time:%H:%M})"


class Weekday(models.IntegerChoices):
    MONDAY = 0, pgettext_lazy("weekday as a label", "Monday")
    TUESDAY = 1, pgettext_lazy("weekday as a label", "Tuesday")
    WEDNESDAY = 2, pgettext_lazy("weekday as a label", "Wednesday")
    THURSDAY = 3, pgettext_lazy("weekday as a label", "Thursday")
    FRIDAY = 4, pgettext_lazy("weekday as a label", "Friday")
    SATURDAY = 5, pgettext_lazy("weekday as a label", "Saturday")
    SUNDAY = 6, pgettext_lazy("weekday as a label", "Sunday")
