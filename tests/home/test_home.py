from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from modules.academics.models import CalendarEvent, Section
from modules.timetable.models import Cover, TeacherAbsence
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_it_sends_visitors_to_the_login_page(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_it_shows_the_office_counts_year_and_term(as_user, admin, school):
    response = as_user(admin).get(reverse("home"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Office home" in page
    assert school.year.name in page
    assert "Term 1" in page
    counts = response.context
    assert counts["student_count"] == 2
    assert counts["section_count"] == 2
    assert counts["staff_count"] == 3  # admin, teacher, other teacher
    assert reverse("academics:section_list") in page
    assert reverse("people:import_start") in page


def test_it_shows_the_teacher_todays_classes_and_sections(as_user, teacher, school):
    period = f.PeriodFactory(name="Period 1")
    f.LessonFactory(offering=school.offering, period=period)
    response = as_user(teacher).get(reverse("home"))
    page = response.content.decode()
    assert "Today's classes" in page
    assert "Mathematics" in page
    assert "Period 1" in page
    assert "7A" in page
    assert "1 student" in page
    # The other teacher's class is not on this teacher's home.
    assert "History" not in page
    # Each lesson and section opens something: the class's gradebook (daily registers: a lesson has
    # none) and the homeroom section's attendance.
    assert f'href="{reverse("exams:gradebook", args=[school.offering.pk])}"' in page
    assert f'href="{reverse("attendance:reports_section", args=[school.section.pk])}"' in page


def test_it_shows_the_teacher_a_lesson_they_cover_today_and_not_one_covered_for_them(
    as_user, teacher, other_teacher, school
):
    period = f.PeriodFactory(name="Period 5")
    theirs = f.LessonFactory(offering=school.other_offering, period=period)
    mine = f.LessonFactory(offering=school.offering, period=f.PeriodFactory(name="Period 6"))
    today = timezone.localdate()
    for lesson, absent, covering in (
        (theirs, school.other_teacher_staff, school.teacher_staff),
        (mine, school.teacher_staff, school.other_teacher_staff),
    ):
        absence = TeacherAbsence.objects.create(staff=absent, date=today)
        Cover.objects.create(lesson=lesson, date=today, absence=absence, teacher=covering)
    page = as_user(teacher).get(reverse("home")).content.decode()
    todays_classes = page.split('id="sections-heading"')[0]
    assert "History" in todays_classes
    assert "Cover for Olga Other" in todays_classes
    assert "Period 5" in todays_classes
    assert "Period 6" not in todays_classes
    # Daily registers: the covered class is not the teacher's, so it has no gradebook to open either.
    assert reverse("exams:gradebook", args=[school.other_offering.pk]) not in page


def test_it_tells_the_teacher_the_school_is_closed_today(as_user, teacher, school):
    f.LessonFactory(offering=school.offering)
    f.CalendarEventFactory(name="Snow day", kind="closure")
    page = as_user(teacher).get(reverse("home")).content.decode()
    assert "No classes today" in page
    assert "Snow day" in page
    todays_classes = page.split('id="sections-heading"')[0]
    assert "Mathematics" not in todays_classes


def test_it_shows_one_card_per_child_to_a_guardian(as_user, guardian, school):
    sibling = f.StudentFactory(first_name="Sibyl", last_name="Parent")
    f.EnrollmentFactory(student=sibling, section=school.other_section)
    f.GuardianLinkFactory(student=sibling, guardian=school.guardian_profile, is_primary=True)
    page = as_user(guardian).get(reverse("home")).content.decode()
    assert "Sam Parent" in page
    assert "Sibyl Parent" in page
    assert "Section 7A" in page
    assert "Section 7B" in page
    assert school.teacher_staff.full_name in page  # 7A's homeroom teacher
    assert school.other_teacher_staff.full_name in page  # 7B's homeroom teacher
    assert "Olive" not in page  # another family's child


def test_it_shows_the_student_section_subjects_and_teachers(as_user, student, school):
    page = as_user(student).get(reverse("home")).content.decode()
    assert "Section 7A" in page
    assert "Mathematics" in page
    assert school.teacher_staff.full_name in page
    assert "History" not in page


def test_it_gives_the_bursar_an_empty_state(as_user, bursar, school):
    page = as_user(bursar).get(reverse("home")).content.decode()
    assert "No fee structures yet" in page


def test_it_explains_an_account_without_a_role(as_user, db):
    user = f.UserFactory()
    page = as_user(user).get(reverse("home")).content.decode()
    assert "Your account has no role yet" in page


# Each home's exact count, warm session: a change to one is a decision, not a drift (bench allows 12).
# Guardian and student: +1 for the homework card (the assignments; their hand-ins too once there are any).
# Teacher: today's lessons come from the timetable in effect with the day's covers (timetable.selectors
# teacher_lessons_on: the lessons, their classes' co-teachers, the covers; the home has looked for a closure
# already), +2 on the one query of the old grid.
HOME_QUERIES = {"admin": 10, "teacher": 12, "guardian": 9, "student": 8, "bursar": 12}


@pytest.mark.parametrize("persona", ["admin", "teacher", "guardian", "student", "bursar"])
def test_it_keeps_each_home_within_its_query_budget(
    persona, request, weekday, as_user, school, queries_exactly
):
    # On a weekday: the teacher's home reads today's lessons and registers only when the school is open.
    user = request.getfixturevalue(persona)
    client = as_user(user)
    client.get(reverse("home"))  # warm the session
    with queries_exactly(HOME_QUERIES[persona]):
        assert client.get(reverse("home")).status_code == 200


def test_it_does_not_grow_the_guardian_home_queries_with_more_children(
    as_user, guardian, school, django_assert_num_queries
):
    client = as_user(guardian)
    client.get(reverse("home"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one_child:
        client.get(reverse("home"))
    for _ in range(3):
        child = f.StudentFactory()
        f.EnrollmentFactory(student=child, section=Section.objects.get(name="7B"))
        f.GuardianLinkFactory(student=child, guardian=school.guardian_profile, is_primary=True)
    with CaptureQueriesContext(connection) as four_children:
        client.get(reverse("home"))
    assert len(four_children) == len(one_child)


def test_it_lets_a_teacher_who_is_a_parent_switch_role(as_user, teacher, school):
    f.GuardianFactory(user=teacher, first_name=teacher.first_name, last_name=teacher.last_name)
    teacher.guardian_profile.student_links.create(student=school.other_child, relationship="father")
    client = as_user(teacher)
    page = client.get(reverse("home")).content.decode()
    assert "Acting as" in page
    assert "Today's classes" in page
    response = client.post(reverse("switch_role"), {"role": "guardian"}, follow=True)
    page = response.content.decode()
    assert "My children" in page
    assert "Olive Elsewhere" in page
    client.post(reverse("switch_role"), {"role": "teacher"})
    assert "My sections" in client.get(reverse("home")).content.decode()


def test_it_refuses_a_role_the_user_does_not_hold(as_user, guardian, school):
    client = as_user(guardian)
    response = client.post(reverse("switch_role"), {"role": "administrator"}, follow=True)
    assert "You do not hold that role." in response.content.decode()
    assert "My children" in response.content.decode()


def test_it_refuses_a_get_on_the_role_switch(as_user, guardian):
    assert as_user(guardian).get(reverse("switch_role")).status_code == 405


def test_it_lists_no_holiday_as_today_when_the_event_is_not_a_closure(as_user, teacher, school):
    f.LessonFactory(offering=school.offering)
    CalendarEvent.objects.create(
        name="Sports day", kind="event", start_date=school.term.start_date, end_date=school.term.end_date
    )
    assert "Mathematics" in as_user(teacher).get(reverse("home")).content.decode()


def test_it_links_a_student_to_their_attendance(as_user, student, school):
    page = as_user(student).get(reverse("home")).content.decode()
    assert reverse("attendance:family_child", args=[school.child.pk]) in page
