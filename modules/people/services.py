from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from modules.accounts.groups import group_for
from modules.accounts.models import User
from modules.accounts.services import (
    login_deactivate,
    login_email_change,
    login_reactivate,
    user_create_for_person,
    user_invite,
    user_sessions_end,
)
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
def student_save(*, student: Student, by: User, create_login: bool = False) -> Student:
    """Create or update a student; optionally give them a login. (Enrolling them in a section is academics'
    `student_save_enrolled`, a floor above.)"""
    created = student.pk is None
    was_active = _stored_is_active(Student, student)
    if create_login and student.user_id is None and student.email:
        student.user = _attach_login(person=student, email=student.email, invite=True)
    student.save()
    audit_log(actor=by, action="student.create" if created else "student.update", obj=student)
    _login_follow_active(person=student, was_active=was_active, by=by, reason="student.leave")
    return student


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
    was_active = _stored_is_active(Staff, staff)
    if staff.user_id is None:
        staff.user = _attach_login(person=staff, email=staff.email, invite=True)
    user = staff.user
    user.first_name, user.last_name = staff.first_name, staff.last_name
    user.is_staff = staff.position == Position.ADMINISTRATOR and staff.is_active
    user.save()
    login_email_change(user=user, email=staff.email, by=by)
    staff.save()
    user.groups.remove(*[group_for(position) for position in Position.values])
    if staff.is_active:
        user.groups.add(group_for(staff.position))
    audit_log(actor=by, action="staff.create" if created else "staff.update", obj=staff)
    _login_follow_active(person=staff, was_active=was_active, by=by, reason="staff.deactivate")
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
    login_role_started(user=guardian.user, by=by, reason="guardian_link.create")
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
    guardian = link.guardian
    if guardian.user_id is not None and not guardian.student_links.exists():
        login_role_ended(user=guardian.user, by=by, reason="guardian.unlinked")


def _stored_is_active(model: type[Staff] | type[Student], person: Staff | Student) -> bool | None:
    """The saved value of `is_active` (the form has already changed the instance); None when new."""
    if person.pk is None:
        return None
    return model.objects.filter(pk=person.pk).values_list("is_active", flat=True).first()


def _login_follow_active(*, person: Staff | Student, was_active: bool | None, by: User, reason: str) -> None:
    if person.user_id is None or was_active is None or was_active == person.is_active:
        return
    if person.is_active:
        login_role_started(user=person.user, by=by, reason=reason.split(".")[0] + ".reactivate")
    else:
        login_role_ended(user=person.user, by=by, reason=reason)


def login_holds_a_role(user: User) -> bool:
    """Whether a login still has a reason to sign in: an active staff post, a student still at the school
    (active, and not withdrawn from their latest year), a linked child, or superuser status."""
    if user.is_superuser or Staff.objects.filter(user=user, is_active=True).exists():
        return True
    if GuardianLink.objects.filter(guardian__user=user).exists():
        return True
    student = Student.objects.filter(user=user, is_active=True).first()
    return student is not None and all(check(student) for check in _STUDENT_STANDING.values())


# Whether an active student is still at the school beyond their own record (academics: their latest enrolment
# is not withdrawn or graduated) is for the floors above to say: they register a check when Django starts
# (`AcademicsConfig.ready`), so people never imports them.
_STUDENT_STANDING: dict[str, Callable[[Student], bool]] = {}


def student_standing_register(name: str, check: Callable[[Student], bool]) -> None:
    """Add (or replace, by name) a check that an active student still holds their role at the school."""
    _STUDENT_STANDING[name] = check


@transaction.atomic
def login_role_ended(*, user: User | None, by: User, reason: str) -> None:
    """One of a login's roles has ended (staff deactivated, student left or withdrawn, guardian unlinked from
    their last child). Its sessions end now on every node; the login itself is deactivated unless it still
    holds another role (a teacher who is also a parent keeps signing in as a parent)."""
    if user is None:
        return
    if login_holds_a_role(user):
        user_sessions_end(user=user, by=by, reason=reason)
    else:
        login_deactivate(user=user, by=by, reason=reason)


@transaction.atomic
def login_role_started(*, user: User | None, by: User, reason: str) -> None:
    """A role came back (reactivated, linked to a child): a deactivated login may sign in again."""
    if user is not None and not user.is_active and login_holds_a_role(user):
        login_reactivate(user=user, by=by, reason=reason)
