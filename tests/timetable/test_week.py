"""Everyone's week through HTTP (modules/timetable/views_week.py): a student's own, a guardian's children's,
a teacher's own (cover included), the office's any section, teacher or room with its picker."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from modules.timetable.models import Cover, Lesson, TeacherAbsence, TimetableSettings
from tests import factories as f
from tests.timetable.week_fixtures import *  # noqa: F403


def _week(client, name, *args, date=None):
    url = reverse(f"timetable:{name}", args=args)
    return client.get(url, {"date": date.isoformat()} if date else {})


def test_it_shows_a_student_their_week_with_subject_teacher_and_room(school, live, student, as_user):
    response = _week(as_user(student), "my_week", date=live.monday + datetime.timedelta(days=2))
    assert response.status_code == 200
    page = response.content.decode()
    assert "My timetable" in page
    assert "Mathematics" in page
    assert school.teacher_staff.full_name in page
    assert "Room 12" in page
    assert "Room Lab 1" in page
    assert "(double)" in page
    assert "Mathematics (continued)" in page
    # 7B's history is not in 7A's week.
    assert "History" not in page


def test_it_marks_a_holiday_with_no_lessons_that_day(school, live, student, as_user):
    f.CalendarEventFactory(name="Founders' Day", start_date=live.monday, end_date=live.monday)
    page = _week(as_user(student), "my_week", date=live.monday).content.decode()
    assert "Founders&#x27; Day" in page
    assert "Holiday" in page
    # Wednesday's double is still there; Monday's lesson is not (one lesson left in the phone list).
    assert page.count('class="list-group-item tt-lesson"') == 1


def test_it_says_when_no_timetable_is_in_effect(school, live, student, as_user):
    before = school.year.start_date - datetime.timedelta(days=30)
    page = _week(as_user(student), "my_week", date=before).content.decode()
    assert "No timetable is in effect that week." in page


def test_it_shows_this_week_for_a_date_not_understood(school, live, student, as_user):
    response = as_user(student).get(reverse("timetable:my_week"), {"date": "9999-12-31"})
    assert response.status_code == 200
    assert "That date was not understood; this week is shown." in response.content.decode()


def test_it_answers_htmx_with_the_week_only(school, live, student, as_user):
    response = as_user(student).get(
        reverse("timetable:my_week"), {"date": live.monday.isoformat()}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="timetable-week"')
    assert "HX-Request" in response["Vary"]


def test_it_shows_a_teacher_their_lessons_and_their_cover(school, live, teacher, as_user):
    absence = TeacherAbsence.objects.create(staff=school.other_teacher_staff, date=live.monday)
    Cover.objects.create(
        lesson=live.history_monday, date=live.monday, absence=absence, teacher=school.teacher_staff
    )
    page = _week(as_user(teacher), "my_week", date=live.monday).content.decode()
    assert "My teaching timetable" in page
    assert "Section 7A" in page
    assert f"Cover for {school.other_teacher_staff.full_name}" in page
    # Tuesday's history stays the other teacher's.
    assert page.count("History") == 2  # the cover, in the grid and in the phone list


def test_it_shows_a_guardian_their_child_and_not_another(school, live, guardian, as_user):
    client = as_user(guardian)
    page = _week(client, "children_week", date=live.monday).content.decode()
    assert f"{school.child.first_name}&#x27;s timetable" in page
    assert "Mathematics" in page
    assert _week(client, "child_week", school.child.pk, date=live.monday).status_code == 200
    assert _week(client, "child_week", school.other_child.pk).status_code == 404
    assert _week(client, "child_week_pdf", school.other_child.pk).status_code == 404


def test_it_lets_a_guardian_switch_between_children(school, live, guardian, as_user):
    sibling = f.StudentFactory(first_name="Sid", last_name="Parent", admission_number="A-0003")
    f.EnrollmentFactory(student=sibling, section=school.other_section)
    f.GuardianLinkFactory(
        student=sibling, guardian=school.guardian_profile, relationship="mother", is_primary=False
    )
    client = as_user(guardian)
    page = _week(client, "child_week", sibling.pk, date=live.monday).content.decode()
    assert "History" in page
    assert reverse("timetable:child_week", args=[school.child.pk]) in page


@pytest.mark.parametrize("name", ["my_week", "children_week", "week_office"])
def test_it_refuses_the_wrong_role(school, live, bursar, as_user, name):
    assert _week(as_user(bursar), name).status_code == 403


def test_it_refuses_a_guardian_the_office_pages(school, live, guardian, student, as_user):
    assert _week(as_user(guardian), "section_week", school.section.pk).status_code == 403
    assert _week(as_user(student), "room_week", live.lab.pk).status_code == 403
    assert _week(as_user(student), "children_week").status_code == 403


def test_it_refuses_a_post(school, live, student, as_user):
    assert as_user(student).post(reverse("timetable:my_week")).status_code == 405


def test_it_shows_the_office_any_section_teacher_or_room(school, live, admin, as_user):
    client = as_user(admin)
    section = _week(client, "section_week", school.other_section.pk, date=live.monday).content.decode()
    assert "Section 7B" in section
    assert "History" in section
    teacher = _week(client, "teacher_week", school.teacher_staff.pk, date=live.monday).content.decode()
    assert "Mathematics" in teacher
    assert "History" not in teacher
    room = _week(client, "room_week", live.lab.pk, date=live.monday).content.decode()
    assert "History" in room
    assert "Mathematics" in room
    assert _week(client, "section_week", 999999).status_code == 404
    assert _week(client, "room_week", 999999).status_code == 404


def test_it_takes_the_office_from_the_picker_to_the_week(school, live, admin, as_user):
    client = as_user(admin)
    page = client.get(reverse("timetable:week_office")).content.decode()
    assert 'for="pick-section"' in page
    assert "7B" in page
    response = client.get(
        reverse("timetable:week_office"), {"room": live.lab.pk, "date": live.monday.isoformat()}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("timetable:room_week", args=[live.lab.pk]) + (
        f"?date={live.monday.isoformat()}"
    )


def _more_lessons(school, live, count: int) -> None:
    for n in range(count):
        offering = f.CourseOfferingFactory(section=school.section, teacher=school.teacher_staff)
        Lesson.objects.create(
            timetable=live.timetable,
            offering=offering,
            teacher=offering.teacher,
            weekday=n % 5,
            period=live.periods[2],
        )


# The user, the enrolment (a student's), the week's timetables, its lessons (with their co-teachers when a
# class has some), their covers, the unread notifications; the same with ten more lessons. The teaching
# periods and days and the week's closures were read by the first page: they are the school's frame, kept
# in the cache (modules/timetable/selectors.py school_frame).
@pytest.mark.parametrize(("persona", "expected"), [("student", 6), ("teacher", 5)])
def test_it_draws_a_week_in_a_fixed_number_of_queries(
    school, live, as_user, request, queries_exactly, persona, expected
):
    client = as_user(request.getfixturevalue(persona))
    _week(client, "my_week", date=live.monday)
    with queries_exactly(expected):
        _week(client, "my_week", date=live.monday)
    _more_lessons(school, live, 10)
    with queries_exactly(expected):
        page = _week(client, "my_week", date=live.monday).content.decode()
    assert page.count("tt-lesson") > 10


@pytest.mark.parametrize(
    ("persona", "name"),
    [("student", "my_week"), ("teacher", "my_week"), ("guardian", "children_week"), ("admin", "week_office")],
)
def test_it_links_the_week_from_the_menu(school, live, as_user, request, persona, name):
    page = as_user(request.getfixturevalue(persona)).get(reverse("home")).content.decode()
    assert f'href="{reverse(f"timetable:{name}")}"' in page


# The teaching periods and closures are kept in the cache (the school's frame): a change shows at once.
def test_it_shows_a_closure_or_a_period_changed_after_the_week_was_drawn(school, live, student, as_user):
    client = as_user(student)
    assert "Staff training" not in _week(client, "my_week", date=live.monday).content.decode()
    f.CalendarEventFactory(
        name="Staff training", kind="closure", start_date=live.monday, end_date=live.monday
    )
    live.periods[0].name = "Registration"
    live.periods[0].save()
    page = _week(client, "my_week", date=live.monday).content.decode()
    assert "Staff training" in page
    assert "Registration" in page
    assert ">P3<" in page
    TimetableSettings.objects.get_or_create(year=school.year)[0].periods.set(live.periods[:2])
    assert ">P3<" not in _week(client, "my_week", date=live.monday).content.decode()
