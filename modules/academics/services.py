"""Writes with rules or several rows in the academic structure: current year, setup lists, enrollments."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.academics.events import enrollment_ended, enrollments_created
from modules.academics.models import (
    AcademicYear,
    Enrollment,
    EnrollmentStatus,
    Room,
    Section,
)
from modules.accounts.models import User
from modules.core.audit import audit_log, snapshot
from modules.people.models import Student
from modules.people.services import login_role_ended, login_role_started, student_save


@transaction.atomic
def academic_year_set_current(*, year: AcademicYear, by: User) -> AcademicYear:
    """Make one year the current one. The others are cleared first: the database allows one current year."""
    previous = list(
        AcademicYear.objects.filter(is_current=True).exclude(pk=year.pk).values_list("pk", flat=True)
    )
    AcademicYear.objects.filter(pk__in=previous).update(is_current=False)
    AcademicYear.objects.filter(pk=year.pk).update(is_current=True)
    year.is_current = True
    audit_log(
        actor=by,
        action="academic_year.set_current",
        obj=year,
        before={"current": previous},
        after={"current": [year.pk]},
    )
    return year


def _usage_message(obj: Model) -> str:
    return _("%(name)s is still in use (sections, classes or timetable), so it cannot be deleted.") % {
        "name": obj
    }


@transaction.atomic
def setup_item_delete(*, obj: Model, by: User) -> None:
    """Delete a grade level, subject or room that nothing uses; otherwise raise ValidationError saying so."""
    if isinstance(obj, Room) and (obj.sections.exists() or obj.lessons.exists()):
        # Rooms are SET_NULL in the schema; deleting a room in use would silently empty its lessons' room (in
        # any timetable: the one in effect, earlier ones and drafts).
        raise ValidationError(_usage_message(obj))
    # Written first so it rolls back with the delete when the row turns out to be protected.
    audit_log(actor=by, action=f"{obj._meta.model_name}.delete", obj=obj, before={"name": str(obj)})
    try:
        obj.delete()
    except ProtectedError:
        raise ValidationError(_usage_message(obj)) from None


@transaction.atomic
def enrollments_create(*, section: Section, students: Iterable[Student], by: User) -> list[Enrollment]:
    """Enrol several students in a section for its year, all or none."""
    students = list(students)
    if not students:
        raise ValidationError(_("Tick at least one student to add."))
    inactive = [s.full_name for s in students if not s.is_active]
    if inactive:
        raise ValidationError(_("These students are not active: %(names)s.") % {"names": ", ".join(inactive)})
    already = (
        Enrollment.objects.filter(year_id=section.year_id, student__in=students)
        .select_related("student", "section")
        .order_by("student__last_name")
    )
    if already:
        names = ", ".join(f"{e.student.full_name} ({e.section.name})" for e in already)
        raise ValidationError(_("Already in a section this year: %(names)s.") % {"names": names})
    active_count = section.enrollments.filter(status=EnrollmentStatus.ACTIVE).count()
    free = section.capacity - active_count
    if len(students) > free:
        raise ValidationError(
            _(
                "%(section)s has room for %(free)s more students (capacity %(capacity)s); "
                "you ticked %(count)s."
            )
            % {
                "section": section.name,
                "free": max(free, 0),
                "capacity": section.capacity,
                "count": len(students),
            }
        )
    enrollments = Enrollment.objects.bulk_create(
        [Enrollment(student=s, section=section, year_id=section.year_id) for s in students]
    )
    for enrollment in enrollments:
        audit_log(actor=by, action="enrollment.create", obj=enrollment, after={"section": section.pk})
    enrollments_created.send_on_commit(enrollment_ids=[e.pk for e in enrollments], by=by)
    return enrollments


@transaction.atomic
def enrollment_withdraw(*, enrollment: Enrollment, by: User) -> Enrollment:
    if enrollment.status != EnrollmentStatus.ACTIVE:
        raise ValidationError(
            _("%(student)s is not active in this section.") % {"student": enrollment.student}
        )
    before = {"status": enrollment.status}
    enrollment.status = EnrollmentStatus.WITHDRAWN
    enrollment.ended_on = timezone.localdate()
    enrollment.save(update_fields=["status", "ended_on"])
    audit_log(
        actor=by,
        action="enrollment.withdraw",
        obj=enrollment,
        before=before,
        after={"status": enrollment.status, "ended_on": enrollment.ended_on.isoformat()},
    )
    _ended(enrollment, by=by)
    return enrollment


def _ended(enrollment: Enrollment, *, by: User) -> None:
    # A student who left ends their sessions and, with no other role, their login (people owns the rule).
    login_role_ended(user=enrollment.student.user, by=by, reason="student.withdraw")
    enrollment_ended.send_on_commit(enrollment_id=enrollment.pk, status=enrollment.status, by=by)


ENROLLMENT_AUDITED = ["student", "section", "year", "status", "enrolled_on", "ended_on"]


def _enrollment_values(enrollment: Enrollment) -> dict:
    values = snapshot(enrollment, ENROLLMENT_AUDITED)
    for name in ("enrolled_on", "ended_on"):
        values[name] = values[name].isoformat() if values[name] else None
    return values


@transaction.atomic
def enrollment_save(*, enrollment: Enrollment, by: User) -> Enrollment:
    """Save one enrolment as given, any field (the Django admin's add and change forms), with what the
    other paths do: the audit event, and the domain events (an enrolment that becomes active, new or
    made active again, announces enrollments_created, so fees bills it; one that stops being active ends
    the student's login role and announces enrollment_ended)."""
    stored = Enrollment.objects.filter(pk=enrollment.pk).first() if enrollment.pk else None
    was_active = stored is not None and stored.status == EnrollmentStatus.ACTIVE
    is_active = enrollment.status == EnrollmentStatus.ACTIVE
    if is_active:
        enrollment.ended_on = None
    elif was_active and enrollment.ended_on is None:
        enrollment.ended_on = timezone.localdate()  # ends today unless the form gave the day
    enrollment.save()
    audit_log(
        actor=by,
        action="enrollment.create" if stored is None else "enrollment.update",
        obj=enrollment,
        before=_enrollment_values(stored) if stored is not None else None,
        after=_enrollment_values(enrollment),
    )
    if is_active and not was_active:
        if stored is not None:  # back from withdrawn: the login may sign in again
            login_role_started(user=enrollment.student.user, by=by, reason="student.reactivate")
        enrollments_created.send_on_commit(enrollment_ids=[enrollment.pk], by=by)
    elif was_active and not is_active:
        _ended(enrollment, by=by)
    return enrollment


@transaction.atomic
def enrollment_move(*, enrollment: Enrollment, section: Section, by: User) -> Enrollment:
    """Move an active student to another section of the same year (enrollment_set writes the audit event)."""
    if enrollment.status != EnrollmentStatus.ACTIVE:
        raise ValidationError(_("Only active students can be moved."))
    if section.year_id != enrollment.year_id:
        raise ValidationError(_("%(section)s belongs to another academic year.") % {"section": section.name})
    if section.pk == enrollment.section_id:
        raise ValidationError(
            _("%(student)s is already in %(section)s.")
            % {"student": enrollment.student, "section": section.name}
        )
    return enrollment_set(student=enrollment.student, section=section, by=by)


# --- a student with their section (the student form, the import) ----------------------------------------


@transaction.atomic
def student_save_enrolled(
    *, student: Student, by: User, section: Section | None = None, create_login: bool = False
) -> Student:
    """Create or update a student (people's `student_save`: audit, login); when a section is given, enrol
    them in it for the section's year (or move them there), in the same transaction."""
    student = student_save(student=student, by=by, create_login=create_login)
    if section is not None:
        enrollment_set(student=student, section=section, by=by)
    return student


def enrollment_set(*, student: Student, section: Section, by: User) -> Enrollment:
    """Put a student in a section for the section's year (moving them if they were in another)."""
    enrollment, created = Enrollment.objects.get_or_create(
        student=student, year=section.year, defaults={"section": section}
    )
    if created:
        enrollments_created.send_on_commit(enrollment_ids=[enrollment.pk], by=by)
    if not created and enrollment.section_id != section.pk:
        before = {"section": enrollment.section_id}
        enrollment.section = section
        enrollment.save(update_fields=["section"])
        audit_log(
            actor=by, action="enrollment.move", obj=enrollment, before=before, after={"section": section.pk}
        )
    return enrollment


def student_is_enrolled_or_unplaced(student: Student) -> bool:
    """A student's login keeps its role while their latest enrolment is active (or they have none yet): a
    withdrawn or graduated student's login has no reason to sign in (people's `login_holds_a_role`)."""
    latest = student.enrollments.order_by("-year__start_date").values_list("status", flat=True).first()
    return latest in (None, EnrollmentStatus.ACTIVE)
