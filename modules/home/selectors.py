"""What each role's home page reads from the modules below: each read here is more than one queryset."""

from __future__ import annotations

import datetime
from typing import Any

from modules.academics import selectors as academics
from modules.academics.models import AcademicYear, CourseOffering, EnrollmentStatus, Section
from modules.academics.selectors import guardian_children
from modules.accounts.models import User
from modules.assignments.selectors_family import homework_due
from modules.attendance.models import Register
from modules.fees.ledger import balances as fee_balances
from modules.fees.models import FeePolicy
from modules.people.models import Staff, Student
from modules.timetable.models import Lesson
from modules.timetable.selectors import teacher_lessons_on


def administrator_overview(*, today: datetime.date, year: AcademicYear | None) -> dict[str, Any]:
    """The office's counts for the year, the current term and today's closure, if any."""
    return {
        "term": academics.current_term(year, today),
        "student_count": Student.objects.active().count(),
        "section_count": Section.objects.filter(year=year).count() if year else 0,
        "staff_count": Staff.objects.filter(is_active=True).count(),
        "unenrolled_count": Student.objects.active().exclude(enrollments__year=year).count() if year else 0,
        "closure": academics.closure_on(today),
    }


def teacher_lessons(*, user: User, day: datetime.date, closed: bool | None = None) -> list[Lesson]:
    """The teacher's lessons on a day in the timetable in effect, those they cover included (`lesson.cover`;
    None for their own). `closed`: whether the day is a closure, when the caller knows already."""
    # The login's staff profile is loaded with it (accounts' backend): no query to find the teacher.
    return teacher_lessons_on(getattr(user, "staff_profile", None) or user, day, closed=closed)


def lessons_with_registers(lessons: list[Lesson], registers: list[Register]) -> list[Lesson]:
    """Each lesson with its register when registers are taken per lesson (`lesson.register`; None: the
    lesson opens its class's gradebook instead, when the class is the teacher's)."""
    lesson_registers = {(r.offering_id, r.period_id): r for r in registers if r.offering_id}
    for lesson in lessons:
        register = lesson_registers.get((lesson.offering_id, lesson.period_id))
        lesson.register = register  # type: ignore[attr-defined]  # a display attribute (see the docstring)
    return lessons


def teacher_sections_with_classes(*, user: User, year: AcademicYear | None) -> list[Section]:
    """The teacher's sections, each listing what the teacher can open there: its attendance when they lead
    it (`section.is_homeroom`) and the classes they teach in it (`section.my_classes`, by subject)."""
    sections = list(academics.teacher_sections(user, year))
    classes: dict[int, list[CourseOffering]] = {}
    for offering in CourseOffering.objects.filter(
        teacher__user=user, section__in=[s.pk for s in sections]
    ).select_related("subject"):
        classes.setdefault(offering.section_id, []).append(offering)
    for section in sections:
        my_classes = sorted(classes.get(section.pk, []), key=lambda o: o.subject.name)
        section.my_classes = my_classes  # type: ignore[attr-defined]  # a display attribute (see the docstring)
        homeroom = section.homeroom_teacher
        is_homeroom = bool(homeroom and homeroom.user_id == user.pk)
        section.is_homeroom = is_homeroom  # type: ignore[attr-defined]  # a display attribute
    return sections


def guardian_children_with_balances(*, user: User, year: AcademicYear | None) -> list[Student]:
    """A guardian's children with what each owes (`child.fee_due`) and their homework overdue and due this
    week (`child.homework`), in a fixed number of queries."""
    children = list(guardian_children(user, year))
    balances = fee_balances([child.pk for child in children])
    homework = homework_due(
        user=user,
        students=children,
        year=year,
        enrollments=[each for child in children for each in getattr(child, "current_enrollments", [])],
    )
    for child in children:
        child.fee_due = balances[child.pk].due  # type: ignore[attr-defined]  # a display attribute
        child.homework = homework[child.pk]  # type: ignore[attr-defined]  # a display attribute
    return children


def student_overview(*, student: Student, year: AcademicYear | None) -> dict[str, Any]:
    """A student's section, subjects and class size this year, their homework overdue and due this week, and
    what they owe if the school shows it."""
    enrollment = academics.current_enrollment(student, year)
    return {
        "student": student,
        "enrollment": enrollment,
        "offerings": list(academics.student_offerings(student, year)) if enrollment else [],
        "homework": (
            homework_due(user=student.user, students=[student], year=year, enrollments=[enrollment])[
                student.pk
            ]
            if enrollment
            else None
        ),
        "classmates": (
            enrollment.section.enrollments.filter(status=EnrollmentStatus.ACTIVE).count() if enrollment else 0
        ),
        # Students see no invoices or payments; only what is owed, and only if the school allows it.
        "fee_balance": (
            fee_balances([student.pk])[student.pk] if FeePolicy.load().students_see_balance else None
        ),
    }
