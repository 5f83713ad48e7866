"""The office's cover pages: marking a teacher away, the day's board with the free teachers, assigning and
removing cover with one click (htmx, and as a plain form without JavaScript); a teacher's own cover lessons.
Each view: the happy path, the wrong method, the wrong role, a missing object."""

from __future__ import annotations

import datetime
import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import strip_tags

from modules.communications.models import Notification
from modules.timetable.models import Cover, TeacherAbsence
from tests import factories as f
from tests.timetable.cover_school import away, build, lesson

pytestmark = pytest.mark.django_db
BOARD = reverse("timetable:cover_board")
NEW = reverse("timetable:cover_absence_new")
ASSIGN = reverse("timetable:cover_assign")
MINE = reverse("timetable:my_cover")
HTMX = {"HX-Request": "true"}


@pytest.fixture
def cs(weekday, school):
    return build(school, weekday)


def board_url(day) -> str:
    return f"{BOARD}?date={day.isoformat()}"


def card(response, lesson) -> str:
    """What the board says about one lesson to cover."""
    found = response.content.decode().split(f'id="lesson-{lesson.pk}">', 1)[1]
    found = found.split('<li class="card', 1)[0].split("</ol>", 1)[0]
    return " ".join(html.unescape(strip_tags(found)).split())


def assign_data(cs, lesson, staff) -> dict:
    return {"lesson": lesson.pk, "date": cs.day.isoformat(), "teacher": staff.pk}


def text(response) -> str:
    """What the page says, tags left out."""
    return " ".join(html.unescape(strip_tags(response.content.decode())).split())


def test_it_shows_the_lessons_to_cover_with_the_free_teachers_in_order(as_user, admin, cs, school):
    away(school.teacher_staff, cs.day)

    response = as_user(admin).get(BOARD)

    page = text(response)
    assert "Tom Teach · the whole day" in page
    assert "2 lessons to cover · 2 without cover yet" in page
    first = card(response, cs.maths_7a)
    assert first.startswith("Mathematics · 7A Period 1 08:00–08:45 · Room 12 In place of Tom Teach")
    assert first.index("Assign Carla") < first.index("Assign Olga Other") < first.index("Assign Dan Free")
    assert "Teaches Mathematics · 0 covers this term" in first
    assert "Eve Busy" not in first
    # The double: Dan teaches Art then; Eve is free.
    double = card(response, cs.maths_7a_double)
    assert "Period 3 10:00–10:45, Period 4 11:00–11:45" in double
    assert "Assign Eve Busy" in double
    assert "Dan Free" not in double


def test_the_board_says_so_when_nobody_is_away_or_it_is_a_holiday(as_user, admin, cs):
    assert "Nobody is marked away on this day." in text(as_user(admin).get(BOARD))
    f.CalendarEventFactory(start_date=cs.day, end_date=cs.day)
    assert "It is a holiday or a closure on the school calendar" in text(as_user(admin).get(BOARD))


def test_the_board_shows_any_day_and_survives_the_ends_of_the_calendar(as_user, admin, cs, school):
    tomorrow = cs.day + datetime.timedelta(days=1)
    away(school.teacher_staff, tomorrow)
    client = as_user(admin)
    assert "Tom Teach" in text(client.get(board_url(tomorrow)))
    for odd in ("9999-12-31", "0001-01-01", "not-a-date"):
        assert client.get(f"{BOARD}?date={odd}").status_code == 200


def test_the_board_costs_the_same_queries_however_many_lessons_to_cover(
    as_user, admin, cs, school, queries_exactly
):
    client = as_user(admin)
    away(school.teacher_staff, cs.day)
    client.get(BOARD)  # the session's first request loads more
    with CaptureQueriesContext(connection) as few:
        client.get(BOARD)
    for n in range(4):
        section = f.SectionFactory(year=school.year, grade_level=school.section.grade_level, name=f"9{n}")
        offering = f.CourseOfferingFactory(section=section, teacher=school.teacher_staff)
        lesson(cs.timetable, offering, cs.day, cs.periods[1])
        away(f.StaffFactory(position="teacher"), cs.day)
    # The login, the closures, the periods, the lessons, the teaching periods, co-teachers, absences (and
    # their periods), covers, teachers, unavailable periods, who teaches what (3), the term, its covers, and
    # the unread notifications of the menu: as many as with one teacher away and two lessons.
    with queries_exactly(17):
        page = text(client.get(BOARD))
    assert "6 lessons to cover" in page
    assert len(few) == 17


def test_the_office_marks_a_teacher_away_for_the_whole_day(as_user, admin, cs, school):
    client = as_user(admin)
    assert "Mark a teacher away" in text(client.get(NEW))

    response = client.post(
        NEW, {"staff": school.teacher_staff.pk, "date": cs.day.isoformat(), "scope": "day", "note": "Flu"}
    )

    assert response.status_code == 302
    assert response["Location"] == board_url(cs.day)
    absence = TeacherAbsence.objects.get(staff=school.teacher_staff, date=cs.day)
    assert absence.note == "Flu"
    assert not absence.periods.exists()
    assert "Tom Teach is marked away on" in text(client.get(response["Location"]))


def test_the_office_marks_a_teacher_away_for_some_periods(as_user, admin, cs, school):
    client = as_user(admin)
    data = {"staff": school.teacher_staff.pk, "date": cs.day.isoformat(), "scope": "periods"}

    refused = client.post(NEW, data)
    assert refused.status_code == 200
    assert "Tick the periods the teacher is away, or choose the whole day." in text(refused)
    assert not TeacherAbsence.objects.filter(staff=school.teacher_staff).exists()

    client.post(NEW, {**data, "periods": [cs.periods[0].pk]})
    page = text(client.get(board_url(cs.day)))
    assert "Tom Teach · Period 1" in page
    assert "1 lesson to cover" in page


def test_the_absence_form_refuses_a_missing_teacher_or_date(as_user, admin, cs):
    page = text(as_user(admin).post(NEW, {"staff": "999999", "date": "", "scope": "day"}))
    assert "Choose one of the school's teachers." in page
    assert "Choose the day." in page


def test_the_office_assigns_cover_without_javascript(
    as_user, admin, cs, school, django_capture_on_commit_callbacks, mailoutbox
):
    away(school.teacher_staff, cs.day)
    client = as_user(admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ASSIGN, assign_data(cs, cs.maths_7a, cs.carla.staff_profile))

    assert response.status_code == 302
    assert response["Location"] == board_url(cs.day)
    page = text(client.get(response["Location"]))
    assert "Carla Cover covers Mathematics · 7A. They have been told." in page
    assert "Covered by Carla Cover" in page
    assert Notification.objects.get(recipient=cs.carla).kind == "cover_assigned"
    assert [message.to for message in mailoutbox] == [["carla@school.test"]]
    assert "You cover Mathematics for 7A on" in mailoutbox[0].body


def test_the_office_assigns_cover_with_one_click(as_user, admin, cs, school):
    away(school.teacher_staff, cs.day)

    response = as_user(admin).post(ASSIGN, assign_data(cs, cs.maths_7a, cs.carla.staff_profile), headers=HTMX)

    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    page = text(response)
    assert "<html" not in page
    assert "Carla Cover covers Mathematics · 7A." in page
    assert "Covered by Carla Cover" in page
    assert "1 without cover yet" in page


def test_a_cover_someone_else_assigned_meanwhile_is_refused_with_a_clear_message(as_user, admin, cs, school):
    away(school.teacher_staff, cs.day)
    client = as_user(admin)
    client.post(ASSIGN, assign_data(cs, cs.maths_7a, cs.carla.staff_profile))

    page = text(client.post(ASSIGN, assign_data(cs, cs.maths_7a, school.other_teacher_staff), headers=HTMX))

    assert "Carla Cover was assigned to cover this lesson meanwhile." in page
    assert Cover.objects.get(lesson=cs.maths_7a).teacher == cs.carla.staff_profile


def test_assigning_a_busy_teacher_says_why(as_user, admin, cs, school):
    away(school.teacher_staff, cs.day)
    page = text(as_user(admin).post(ASSIGN, assign_data(cs, cs.maths_7a, cs.eve.staff_profile), headers=HTMX))
    assert "Eve Busy teaches English · 8A then." in page
    assert not Cover.objects.filter(date=cs.day).exists()


def test_assigning_a_lesson_that_is_gone_shows_the_board_again(as_user, admin, cs, school):
    response = as_user(admin).post(
        ASSIGN, {"lesson": 999999, "date": cs.day.isoformat(), "teacher": cs.carla.staff_profile.pk}
    )
    assert response.status_code == 302
    assert "That lesson or teacher is no longer there" in text(as_user(admin).get(response["Location"]))


def test_the_office_removes_a_cover(as_user, admin, cs, school):
    away(school.teacher_staff, cs.day)
    client = as_user(admin)
    client.post(ASSIGN, assign_data(cs, cs.maths_7a, cs.carla.staff_profile))
    cover = Cover.objects.get(lesson=cs.maths_7a, date=cs.day)

    page = text(client.post(reverse("timetable:cover_remove", args=[cover.pk]), headers=HTMX))

    assert "Carla Cover no longer covers Mathematics · 7A." in page
    assert "Assign Carla Cover" in page
    assert not Cover.objects.filter(pk=cover.pk).exists()


def test_the_office_removes_an_absence(as_user, admin, cs, school):
    absence = away(school.teacher_staff, cs.day)
    response = as_user(admin).post(reverse("timetable:cover_absence_remove", args=[absence.pk]))
    assert response.status_code == 302
    assert response["Location"] == board_url(cs.day)
    assert not TeacherAbsence.objects.filter(pk=absence.pk).exists()


def test_a_teacher_sees_the_lessons_they_cover(as_user, admin, cs, school):
    away(school.teacher_staff, cs.day)
    as_user(admin).post(ASSIGN, assign_data(cs, cs.maths_7a, cs.carla.staff_profile))

    page = text(as_user(cs.carla).get(MINE))

    assert "1 cover lesson" in page
    assert "Today Period 1 08:00 Mathematics · 7A Room 12 Tom Teach" in page
    assert "No cover lessons" in text(as_user(cs.dan).get(MINE))


@pytest.mark.parametrize(
    ("url", "method"),
    [
        (BOARD, "post"),
        (NEW, "put"),
        (ASSIGN, "get"),
        (MINE, "post"),
    ],
)
def test_it_refuses_the_wrong_method(as_user, admin, teacher, url, method):
    user = teacher if url == MINE else admin
    assert getattr(as_user(user), method)(url).status_code == 405


def test_the_remove_actions_are_posts_only(as_user, admin, cs, school):
    absence = away(school.teacher_staff, cs.day)
    cover = Cover.objects.create(
        lesson=cs.maths_7a, date=cs.day, absence=absence, teacher=cs.carla.staff_profile
    )
    client = as_user(admin)
    assert client.get(reverse("timetable:cover_remove", args=[cover.pk])).status_code == 405
    assert client.get(reverse("timetable:cover_absence_remove", args=[absence.pk])).status_code == 405


def test_teachers_and_families_cannot_use_the_office_pages(as_user, teacher, guardian, cs, school):
    absence = away(school.teacher_staff, cs.day)
    cover = Cover.objects.create(
        lesson=cs.maths_7a, date=cs.day, absence=absence, teacher=cs.carla.staff_profile
    )
    for user in (teacher, guardian, cs.carla):
        client = as_user(user)
        assert client.get(BOARD).status_code == 403
        assert client.get(NEW).status_code == 403
        assert client.post(ASSIGN, assign_data(cs, cs.maths_7a, cs.carla.staff_profile)).status_code == 403
        assert client.post(reverse("timetable:cover_remove", args=[cover.pk])).status_code == 403
        assert client.post(reverse("timetable:cover_absence_remove", args=[absence.pk])).status_code == 403
    assert Cover.objects.filter(pk=cover.pk).exists()


def test_only_teachers_have_a_cover_list(as_user, guardian, admin):
    assert as_user(guardian).get(MINE).status_code == 403
    assert as_user(admin).get(MINE).status_code == 403


def test_a_missing_cover_or_absence_is_404(as_user, admin):
    client = as_user(admin)
    assert client.post(reverse("timetable:cover_remove", args=[999999])).status_code == 404
    assert client.post(reverse("timetable:cover_absence_remove", args=[999999])).status_code == 404


def test_visitors_are_sent_to_log_in(client):
    for url in (BOARD, NEW, MINE):
        assert client.get(url).status_code == 302


def test_the_absence_form_starts_on_the_day_of_the_board(as_user, admin, cs):
    tomorrow = cs.day + datetime.timedelta(days=1)
    page = as_user(admin).get(f"{NEW}?date={tomorrow.isoformat()}").content.decode()
    assert f'value="{tomorrow.isoformat()}"' in page


def test_removing_an_absence_with_one_click_redraws_the_board(as_user, admin, cs, school):
    absence = away(school.teacher_staff, cs.day)
    response = as_user(admin).post(reverse("timetable:cover_absence_remove", args=[absence.pk]), headers=HTMX)
    page = text(response)
    assert "Tom Teach is no longer marked away on" in page
    assert "Nobody is marked away on this day." in page
    assert "<html" not in response.content.decode()
