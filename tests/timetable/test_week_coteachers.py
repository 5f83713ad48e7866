"""Co-teachers on the week pages through HTTP (modules/timetable/templatetags/timetable_week.py): each of a
lesson's teachers, co-teachers included, links to that teacher's week where the viewer may open it (the
office: any teacher's week; a student, a guardian or a teacher opens none, so their weeks list plain names;
the PDF has no links); and a co-teacher's cover told as such: the lesson's teacher still teaches it
("Co-teacher … covered by …" on every week but the absent co-teacher's own), the covering teacher stands in
for the co-teacher ("Cover for <co-teacher>"), on the pages and in the calendar feeds alike."""

from __future__ import annotations

import datetime
import html
import io
import re

import pytest
from django.urls import reverse
from django.utils.html import strip_tags
from pypdf import PdfReader

from modules.timetable.models import Cover, Requirement, TeacherAbsence
from tests import factories as f
from tests.timetable.cover_school import teacher_user
from tests.timetable.test_feeds import _events, _feed, _make, _next_monday
from tests.timetable.week_fixtures import *  # noqa: F403


@pytest.fixture
def cody(school):
    """Cody Coteach co-teaches 7A's Mathematics (its teacher: the `teacher` persona)."""
    user = teacher_user("cody@school.test", "Cody", "Coteach")
    requirement = Requirement.objects.create(offering=school.offering, periods_per_week=3, double_lessons=1)
    requirement.co_teachers.add(user.staff_profile)
    return user


def _week(client, name, *args, date):
    response = client.get(reverse(f"timetable:{name}", args=args), {"date": date.isoformat()})
    assert response.status_code == 200
    return response.content.decode()


def _text(page: str) -> str:
    return " ".join(html.unescape(strip_tags(page)).split())


def _teacher_links(page: str) -> list[str]:
    """The links to a teacher's week on a page, as (href, name)."""
    prefix = reverse("timetable:teacher_week", args=[0]).removesuffix("0/")
    return re.findall(rf'<a href="({re.escape(prefix)}\d+/[^"]*)">([^<]+)</a>', page)


def _away(staff, day, lesson, covering):
    absence = TeacherAbsence.objects.create(staff=staff, date=day)
    return Cover.objects.create(lesson=lesson, date=day, absence=absence, teacher=covering)


# Links ----------------------------------------------------------------------------------------------------


def test_it_lists_co_teachers_as_plain_names_to_a_student_and_a_guardian(
    school, live, cody, student, guardian, as_user
):
    tom, cody_name = school.teacher_staff.full_name, cody.staff_profile.full_name
    for persona, name, args in (
        (student, "my_week", ()),
        (guardian, "child_week", (school.child.pk,)),
    ):
        page = _week(as_user(persona), name, *args, date=live.monday)
        assert f'<span class="tt-line">{tom}, {cody_name}</span>' in page
        assert _teacher_links(page) == []
    # Neither may open a teacher's week: nothing to link to.
    teachers_week = reverse("timetable:teacher_week", args=[cody.staff_profile.pk])
    assert as_user(guardian).get(teachers_week).status_code == 403
    assert as_user(student).get(teachers_week).status_code == 403


def test_it_links_each_teacher_of_a_lesson_to_their_week_for_the_office(school, live, cody, admin, as_user):
    client = as_user(admin)
    page = _week(client, "section_week", school.section.pk, date=live.monday + datetime.timedelta(days=3))
    on = live.monday.isoformat()
    tom_week = reverse("timetable:teacher_week", args=[school.teacher_staff.pk]) + f"?date={on}"
    cody_week = reverse("timetable:teacher_week", args=[cody.staff_profile.pk])
    wednesday = (live.monday + datetime.timedelta(days=2)).isoformat()
    # Each lesson drawn twice (the grid and the phone's list), its teacher first, then its co-teacher.
    assert (
        f'<span class="tt-line"><a href="{tom_week}">{school.teacher_staff.full_name}</a>, '
        f'<a href="{cody_week}?date={on}">{cody.staff_profile.full_name}</a></span>'
    ) in page
    assert _teacher_links(page).count((f"{cody_week}?date={wednesday}", "Cody Coteach")) == 2
    assert len(_teacher_links(page)) == 8  # Monday's lesson and Wednesday's double, two teachers, twice
    # The link opens the co-teacher's week, with the lesson they co-teach.
    assert "Mathematics" in _text(_week(client, "teacher_week", cody.staff_profile.pk, date=live.monday))
    # A room's week links too (7B's History has no co-teacher: one link, its teacher's, twice).
    room = _week(client, "room_week", live.lab.pk, date=live.monday)
    other = reverse("timetable:teacher_week", args=[school.other_teacher_staff.pk]) + f"?date={on}"
    assert _teacher_links(room).count((other, school.other_teacher_staff.full_name)) == 2
    assert (f"{cody_week}?date={wednesday}", "Cody Coteach") in _teacher_links(room)


def test_a_teachers_week_shows_no_teachers_and_no_links(school, live, cody, teacher, admin, as_user):
    # A teacher's week (their own, or the office's page of it) lists sections, not teachers.
    for page in (
        _week(as_user(teacher), "my_week", date=live.monday),
        _week(as_user(cody), "my_week", date=live.monday),
        _week(as_user(admin), "teacher_week", cody.staff_profile.pk, date=live.monday),
    ):
        assert "Section 7A" in page
        assert _teacher_links(page) == []
        assert "Tom Teach, Cody Coteach" not in page


def test_the_office_pdf_has_no_links(school, live, cody, admin, as_user):
    response = as_user(admin).get(
        reverse("timetable:section_pdf", args=[school.section.pk]), {"date": live.monday.isoformat()}
    )
    assert response.status_code == 200
    (page,) = PdfReader(io.BytesIO(response.content)).pages
    assert "Cody Coteach" in page.extract_text()
    assert "/Annots" not in page  # no link anywhere on the page


# Cover ----------------------------------------------------------------------------------------------------


def test_a_co_teachers_cover_leaves_the_lesson_with_its_teacher_on_every_week(
    school, live, cody, teacher, other_teacher, student, admin, as_user
):
    tom, olga = school.teacher_staff.full_name, school.other_teacher_staff.full_name
    _away(cody.staff_profile, live.monday, live.maths_monday, school.other_teacher_staff)
    told = f"Co-teacher Cody Coteach covered by {olga}"

    # The lesson's teacher still teaches it: not "Covered by".
    own = _text(_week(as_user(teacher), "my_week", date=live.monday))
    assert own.count(told) == 2  # the grid and the phone's list
    assert "Covered by" not in own
    # The covering teacher stands in for the co-teacher, not for the lesson's teacher.
    covering = _text(_week(as_user(other_teacher), "my_week", date=live.monday))
    assert covering.count("Cover for Cody Coteach") == 2
    assert f"Cover for {tom}" not in covering
    # The absent co-teacher's own week: simply covered.
    absent = _text(_week(as_user(admin), "teacher_week", cody.staff_profile.pk, date=live.monday))
    assert absent.count(f"Covered by {olga}") == 2
    assert "Co-teacher" not in absent
    # The class and the office: the co-teacher away and who covers them.
    for page in (
        _week(as_user(student), "my_week", date=live.monday),
        _week(as_user(admin), "section_week", school.section.pk, date=live.monday),
    ):
        assert _text(page).count(told) == 2
        assert "Covered by" not in _text(page)
    # The next week, nobody is away.
    assert "covered by" not in _text(
        _week(as_user(teacher), "my_week", date=live.monday + datetime.timedelta(days=7))
    )


def test_the_pdf_and_the_booklet_tell_a_co_teachers_cover(school, live, cody, admin, as_user):
    _away(cody.staff_profile, live.monday, live.maths_monday, school.other_teacher_staff)
    client = as_user(admin)
    told = "Co-teacher Cody Coteach covered by Olga Other"
    section = client.get(
        reverse("timetable:section_pdf", args=[school.section.pk]), {"date": live.monday.isoformat()}
    )
    (page,) = PdfReader(io.BytesIO(section.content)).pages
    assert told in " ".join(page.extract_text().split())
    booklet = client.post(reverse("timetable:booklet", args=["sections"]), {"date": live.monday.isoformat()})
    pages = [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(booklet.content)).pages]
    assert sum(told in page for page in pages) == 1  # 7A's page


def test_the_lessons_teachers_cover_is_told_as_before(school, live, cody, teacher, other_teacher, as_user):
    tom, olga = school.teacher_staff.full_name, school.other_teacher_staff.full_name
    _away(school.teacher_staff, live.monday, live.maths_monday, school.other_teacher_staff)
    assert _text(_week(as_user(teacher), "my_week", date=live.monday)).count(f"Covered by {olga}") == 2
    covering = _text(_week(as_user(other_teacher), "my_week", date=live.monday))
    assert covering.count(f"Cover for {tom}") == 2
    assert "Cover for Cody Coteach" not in covering
    co_teacher = _text(_week(as_user(cody), "my_week", date=live.monday))
    assert co_teacher.count(f"Covered by {olga}") == 2
    assert "Co-teacher" not in co_teacher


def test_the_feeds_tell_a_co_teachers_cover_in_the_same_words(
    school, live, cody, guardian, other_teacher, as_user
):
    monday = _next_monday()
    olga = school.other_teacher_staff.full_name
    _away(cody.staff_profile, monday, live.maths_monday, school.other_teacher_staff)
    _calendar, events = _events(_feed(as_user(guardian), _make(as_user(guardian))))
    name = school.child.first_name
    covered = next(
        event
        for event in events
        if event.decoded("DTSTART").date() == monday and str(event["SUMMARY"]) == f"{name}: Mathematics"
    )
    assert str(covered["DESCRIPTION"]) == f"Co-teacher Cody Coteach covered by {olga}"
    _calendar, events = _events(_feed(as_user(other_teacher), _make(as_user(other_teacher))))
    cover = next(event for event in events if str(event["SUMMARY"]) == "Cover: Mathematics · 7A")
    assert cover.decoded("DTSTART").date() == monday
    assert str(cover["DESCRIPTION"]) == "Cover for Cody Coteach"


def test_a_co_teachers_cover_leaves_the_lesson_in_its_teachers_feed(school, live, cody, teacher, as_user):
    monday = _next_monday()
    _away(cody.staff_profile, monday, live.maths_monday, school.other_teacher_staff)
    days = {
        (event.decoded("DTSTART").date(), str(event["SUMMARY"]))
        for event in _events(_feed(as_user(teacher), _make(as_user(teacher))))[1]
    }
    assert (monday, "Mathematics · 7A") in days
    # The absent co-teacher's feed leaves that day out (the week after is theirs as usual).
    days = {
        (event.decoded("DTSTART").date(), str(event["SUMMARY"]))
        for event in _events(_feed(as_user(cody), _make(as_user(cody))))[1]
    }
    assert (monday, "Mathematics · 7A") not in days
    assert (monday + datetime.timedelta(days=7), "Mathematics · 7A") in days


# Queries --------------------------------------------------------------------------------------------------


def _more_co_taught_lessons(school, live, count):
    for n in range(count):
        offering = f.CourseOfferingFactory(
            section=school.section, subject=f.SubjectFactory(name=f"Extra {n}", code=f"X{n}")
        )
        requirement = Requirement.objects.create(offering=offering, periods_per_week=1)
        requirement.co_teachers.add(school.other_teacher_staff)
        live.timetable.lessons.create(
            offering=offering, teacher=offering.teacher, weekday=n % 5, period=live.periods[2], room=live.room
        )


# As tests/timetable/test_week.py pins them, with co-teachers read in one query more and the office's
# links made without any: the user, the student's enrolment, the week's timetables, its lessons, their
# co-teachers, their covers (with the absent teacher, in the same query), the unread notifications; the
# office: the section instead of the enrolment, and the picker's current year, sections, teachers and rooms.
@pytest.mark.parametrize(
    ("persona", "name", "expected"), [("student", "my_week", 7), ("admin", "section", 11)]
)
def test_it_draws_a_co_taught_week_in_a_fixed_number_of_queries(
    school, live, cody, as_user, request, queries_exactly, persona, name, expected
):
    client = as_user(request.getfixturevalue(persona))
    args = (school.section.pk,) if name == "section" else ()
    url_name = "section_week" if name == "section" else name
    _away(cody.staff_profile, live.monday, live.maths_monday, school.other_teacher_staff)
    _week(client, url_name, *args, date=live.monday)
    with queries_exactly(expected):
        _week(client, url_name, *args, date=live.monday)
    _more_co_taught_lessons(school, live, 10)
    with queries_exactly(expected):
        page = _week(client, url_name, *args, date=live.monday)
    assert page.count("tt-lesson") > 10
