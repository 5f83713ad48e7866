"""Who may write to whom: messaging_contacts(user) fills the "To" choices, can_message() validates."""

from __future__ import annotations

import pytest

from modules.academics.models import Enrollment, EnrollmentStatus
from modules.communications.messaging import (
    about_student_choices,
    can_be_about,
    can_message,
    messaging_contacts,
)
from tests import factories as f

pytestmark = pytest.mark.django_db


def contacts(user) -> set[str]:
    return set(messaging_contacts(user).values_list("email", flat=True))


def test_it_lets_a_guardian_write_to_their_childs_teacher_and_the_office(
    school, admin, bursar, guardian, teacher, other_teacher, other_guardian, student
):
    assert contacts(guardian) == {teacher.email, admin.email}
    assert can_message(guardian, teacher)
    assert can_message(guardian, admin)
    for stranger in (other_teacher, other_guardian, student, bursar):
        assert not can_message(guardian, stranger)


def test_it_counts_a_class_teacher_who_is_not_the_homeroom_teacher(school, guardian, other_teacher):
    f.CourseOfferingFactory(
        subject=f.SubjectFactory(name="Art", code="ART"),
        section=school.section,
        teacher=other_teacher.staff_profile,
    )
    assert can_message(guardian, other_teacher)
    assert can_message(other_teacher, guardian)


def test_it_forgets_the_teachers_once_the_child_has_left(school, guardian, teacher, admin):
    Enrollment.objects.filter(student=school.child).update(status=EnrollmentStatus.WITHDRAWN)
    assert contacts(guardian) == {admin.email}
    assert not can_message(teacher, guardian)


def test_it_lets_a_teacher_write_to_colleagues_and_the_families_they_teach(
    school, admin, bursar, teacher, other_teacher, guardian, other_guardian, student
):
    assert contacts(teacher) == {
        admin.email,
        bursar.email,
        other_teacher.email,
        guardian.email,
        student.email,
    }
    assert not can_message(teacher, other_guardian)
    assert not can_message(other_teacher, guardian)
    assert not can_message(other_teacher, student)


def test_it_lets_a_student_write_only_to_their_teachers(
    school, admin, teacher, other_teacher, guardian, student
):
    assert contacts(student) == {teacher.email}
    assert not can_message(student, admin)


def test_it_lets_the_bursar_write_to_staff_and_guardians(
    school, admin, bursar, teacher, other_teacher, guardian, other_guardian, student
):
    expected = {admin.email, teacher.email, other_teacher.email, guardian.email, other_guardian.email}
    assert contacts(bursar) == expected
    assert not can_message(bursar, student)


def test_it_lets_the_office_write_to_every_active_login_but_itself(school, admin, guardian, other_guardian):
    gone = f.UserFactory(email="gone@school.test", is_active=False)
    f.GuardianFactory(user=gone)
    assert guardian.email in contacts(admin)
    assert other_guardian.email in contacts(admin)
    assert gone.email not in contacts(admin)
    assert not can_message(admin, admin)


def test_it_refuses_a_login_without_a_role(school, teacher):
    nobody = f.UserFactory(email="nobody@school.test")
    assert contacts(nobody) == set()
    assert not can_message(nobody, teacher)
    assert not can_message(teacher, nobody)


def test_it_leaves_out_staff_who_have_left(school, guardian, teacher):
    teacher.staff_profile.is_active = False
    teacher.staff_profile.save()
    assert not can_message(guardian, teacher)


def test_it_lets_a_guardian_write_only_about_their_own_children(school, guardian, teacher):
    assert list(about_student_choices(guardian)) == [school.child]
    assert can_be_about(guardian, teacher, school.child)
    assert not can_be_about(guardian, teacher, school.other_child)


def test_it_never_names_another_child_to_a_family(school, teacher, guardian):
    classmate = f.StudentFactory(first_name="Cleo", last_name="Classmate")
    f.EnrollmentFactory(student=classmate, section=school.section)
    assert classmate in about_student_choices(teacher)
    assert can_be_about(teacher, guardian, school.child)
    assert not can_be_about(teacher, guardian, classmate)
