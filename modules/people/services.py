from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from modules.academics.models import AcademicYear, Enrollment, Section
from modules.accounts.groups import group_for
from modules.accounts.models import User
from modules.accounts.services import user_create_for_person, user_invite
from modules.core.audit import audit_log
from modules.people.models import Guardian, GuardianLink, Person, Position, Staff, Student

PROFILE_ATTR = {Student: "student_profile", Guardian: "guardian_profile", Staff: "staff_profile"}


def login_for_email(
    *, person_class: type[Person], email: str, exclude_user_id: int | None = None
) -> User | None:
    """The existing login a new profile would join, or None when a new one is needed.

    One login may hold several profiles (a teacher who is also a parent); it may not hold two of a kind.
    Raises ValidationError with a message for the form's email field.
    """
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None or user.pk == exclude_user_id:
        return None
    try:
        getattr(user, PROFILE_ATTR[person_class])
    except ObjectDoesNotExist:
        return user
    raise ValidationError(
        _("%(email)s already belongs to another %(kind)s.")
        % {"email": email, "kind": person_class._meta.verbose_name}
    )


def _attach_login(*, person: Person, email: str, invite: bool) -> User:
    existing = login_for_email(person_class=type(person), email=email)
    if existing is not None:
        return existing
    user = user_create_for_person(
        email=email,
        first_name=person.first_name,
        last_name=person.last_name,
        language=getattr(person, "preferred_language", "en") or "en",
    )
    if invite:
        user_invite(user=user)
    return user


@transaction.atomic
def student_save(
    *, student: Student, by: User, section: Section | None = None, create_login: bool = False
) -> Student:
    """Create or update a student; optionally enrol them in a section and give them a login."""
    created = student.pk is None
    if create_login and student.user_id is None and student.email:
        student.user = _attach_login(person=student, email=student.email, invite=True)
    student.save()
    if section is not None:
        enrollment_set(student=student, section=section, by=by)
    audit_log(actor=by, action="student.create" if created else "student.update", obj=student)
    return student


def enrollment_set(*, student: Student, section: Section, by: User) -> Enrollment:
    """Put a student in a section for the section's year (moving them if they were in another)."""
    enrollment, created = Enrollment.objects.get_or_create(
        student=student, year=section.year, defaults={"section": section}
    )
    if created:
        from modules.fees.billing import bill_late_enrolment  # fees builds on people, not the reverse

        bill_late_enrolment(enrollment=enrollment, by=by)
    if not created and enrollment.section_id != section.pk:
        before = {"section": enrollment.section_id}
        enrollment.section = section
        enrollment.save(update_fields=["section"])
        audit_log(
            actor=by, action="enrollment.move", obj=enrollment, before=before, after={"section": section.pk}
        )
    return enrollment


@transaction.atomic
def guardian_save(*, guardian: Guardian, by: User, create_login: bool = False) -> Guardian:
    created = guardian.pk is None
    if create_login and guardian.user_id is None and guardian.email:
        guardian.user = _attach_login(person=guardian, email=guardian.email, invite=True)
    guardian.save()
    audit_log(actor=by, action="guardian.create" if created else "guardian.update", obj=guardian)
    return guardian


@transaction.atomic
def staff_save(*, staff: Staff, by: User) -> Staff:
    """Create or update a staff member. Staff always have a login; its group follows the position."""
    created = staff.pk is None
    if staff.user_id is None:
        staff.user = _attach_login(person=staff, email=staff.email, invite=True)
    user = staff.user
    user.first_name, user.last_name = staff.first_name, staff.last_name
    if (
        user.email != staff.email.lower()
        and not User.objects.filter(email__iexact=staff.email).exclude(pk=user.pk).exists()
    ):
        user.email = staff.email
    user.is_staff = staff.position == Position.ADMINISTRATOR and staff.is_active
    user.save()
    staff.save()
    user.groups.remove(*[group_for(position) for position in Position.values])
    if staff.is_active:
        user.groups.add(group_for(staff.position))
    audit_log(actor=by, action="staff.create" if created else "staff.update", obj=staff)
    return staff


@transaction.atomic
def guardian_link_create(
    *,
    student: Student,
    guardian: Guardian,
    relationship: str,
    is_primary: bool,
    receives_notifications: bool,
    by: User,
) -> GuardianLink:
    if GuardianLink.objects.filter(student=student, guardian=guardian).exists():
        raise ValidationError(
            _("%(guardian)s is already linked to %(student)s.") % {"guardian": guardian, "student": student}
        )
    if is_primary:
        GuardianLink.objects.filter(student=student, is_primary=True).update(is_primary=False)
    link = GuardianLink.objects.create(
        student=student,
        guardian=guardian,
        relationship=relationship,
        is_primary=is_primary,
        receives_notifications=receives_notifications,
    )
    audit_log(actor=by, action="guardian_link.create", obj=link)
    return link


@transaction.atomic
def guardian_link_delete(*, link: GuardianLink, by: User) -> None:
    audit_log(
        actor=by,
        action="guardian_link.delete",
        obj=link,
        before={"guardian": link.guardian_id, "student": link.student_id},
    )
    link.delete()


def current_section_choices(year: AcademicYear | None):
    return Section.objects.filter(year=year).select_related("grade_level") if year else Section.objects.none()
