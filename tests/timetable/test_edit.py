"""Editing a timetable by hand: the list of free slots, moving a lesson (clashes refused in words, stale
pages refused), locking, copying the live timetable into a draft, deleting a draft."""

from __future__ import annotations

import pytest
from django.urls import reverse

from modules.academics.models import Weekday
from modules.core.models import AuditEvent
from modules.timetable.models import Lesson, Requirement, Timetable, TimetableStatus, Unavailability
from tests import factories as f
from tests.timetable.drafts_school import hand_made_draft

pytestmark = pytest.mark.django_db


def move_url(draft, lesson) -> str:
    return reverse("timetable:lesson_move", args=[draft.timetable.pk, lesson.pk])


def slot(weekday: int, period, room=None) -> str:
    return f"{weekday}:{period.pk}:{room.pk if room else ''}"


def test_it_lists_only_the_slots_where_the_lesson_clashes_with_nothing(school, admin, as_user):
    draft = hand_made_draft(school)
    p1, p2, p3, _p4 = draft.small.periods
    Unavailability.objects.create(year=school.year, staff=school.teacher_staff, weekday=1, period=p1)

    response = as_user(admin).get(move_url(draft, draft.maths))

    assert response.status_code == 200
    listed = {(s.weekday, s.period.pk) for s in response.context["slots"]}
    assert (0, p2.pk) not in listed  # 7A has English, and the teacher teaches Science
    assert (0, p1.pk) not in listed  # where it is now
    assert (1, p1.pk) not in listed  # the teacher is not available on Tuesday P1
    assert (0, p3.pk) in listed
    assert (1, p2.pk) in listed
    assert "Tuesday P2 · Room 1" in response.text


def test_it_moves_a_lesson_to_a_listed_slot(school, admin, as_user):
    draft = hand_made_draft(school)
    p3 = draft.small.periods[2]
    version = draft.timetable.version

    response = as_user(admin).post(move_url(draft, draft.maths), {"version": version, "slot": slot(2, p3)})

    assert response.status_code == 302
    draft.maths.refresh_from_db()
    assert (draft.maths.weekday, draft.maths.period_id) == (2, p3.pk)
    assert draft.maths.room == draft.small.rooms[0]  # it keeps its room when it is free there
    draft.timetable.refresh_from_db()
    assert draft.timetable.version == version + 1
    page = as_user(admin).get(response["Location"])
    assert "Mathematics · 7A moved to Wednesday P3." in page.text
    assert AuditEvent.objects.filter(action="timetable.lesson_move", object_id=str(draft.maths.pk)).exists()


def test_it_refuses_a_slot_that_clashes_and_names_the_clash(school, admin, as_user):
    draft = hand_made_draft(school)
    p2 = draft.small.periods[1]

    response = as_user(admin).post(
        move_url(draft, draft.history), {"version": draft.timetable.version, "weekday": 0, "period": p2.pk}
    )

    assert response.status_code == 400
    assert "7B already has Science on Monday P2." in response.text
    assert "Olga Other already teaches 7A English on Monday P2." in response.text
    draft.history.refresh_from_db()
    assert draft.history.period == draft.small.periods[0]


def test_it_refuses_a_move_from_a_page_drawn_before_another_change(school, admin, as_user):
    draft = hand_made_draft(school)
    p3, p4 = draft.small.periods[2], draft.small.periods[3]
    seen = draft.timetable.version
    client = as_user(admin)
    assert (
        client.post(move_url(draft, draft.english), {"version": seen, "slot": slot(0, p3)}).status_code == 302
    )

    response = client.post(move_url(draft, draft.maths), {"version": seen, "slot": slot(0, p4)}, follow=True)

    assert "Someone changed this timetable since you opened the page" in response.text
    draft.maths.refresh_from_db()
    assert draft.maths.period == draft.small.periods[0]


def test_it_takes_the_slot_and_room_a_double_needs(school, admin, as_user):
    draft = hand_made_draft(school)
    p3, p4 = draft.small.periods[2], draft.small.periods[3]
    Lesson.objects.filter(pk=draft.maths.pk).update(length=2)

    page = as_user(admin).get(move_url(draft, draft.maths))
    listed = {(s.weekday, s.period.pk) for s in page.context["slots"]}
    assert (0, p4.pk) not in listed  # the last period: no next one for the double
    assert (0, p3.pk) in listed

    response = as_user(admin).post(
        move_url(draft, draft.maths), {"version": draft.timetable.version, "weekday": 0, "period": p4.pk}
    )
    assert response.status_code == 400
    assert "A double lesson needs the next period too, and P4 is the last of the day." in response.text


def test_it_locks_a_lesson_and_a_locked_lesson_does_not_move(school, admin, as_user):
    draft = hand_made_draft(school)
    client = as_user(admin)
    url = reverse("timetable:lesson_lock", args=[draft.timetable.pk, draft.maths.pk])

    response = client.post(url, {"version": draft.timetable.version, "locked": "on"}, follow=True)

    assert "Mathematics · 7A is locked where it is." in response.text
    draft.maths.refresh_from_db()
    assert draft.maths.locked
    draft.timetable.refresh_from_db()
    refused = client.post(
        move_url(draft, draft.maths),
        {"version": draft.timetable.version, "slot": slot(3, draft.small.periods[3])},
    )
    assert refused.status_code == 400
    assert "The lesson is locked: unlock it first to move it." in refused.text

    client.post(url, {"version": draft.timetable.version})
    draft.maths.refresh_from_db()
    assert not draft.maths.locked


def test_it_places_an_unplaced_lesson(school, admin, as_user):
    draft = hand_made_draft(school)
    Lesson.objects.filter(pk=draft.science.pk).update(weekday=None, period=None, reason={"code": "no_room"})
    p4 = draft.small.periods[3]

    page = as_user(admin).get(reverse("timetable:timetable", args=[draft.timetable.pk]))
    assert "1 lesson not placed" in page.text

    response = as_user(admin).post(
        move_url(draft, draft.science), {"version": draft.timetable.version, "slot": slot(4, p4)}
    )

    assert response.status_code == 302
    draft.science.refresh_from_db()
    assert (draft.science.weekday, draft.science.period_id, draft.science.reason) == (4, p4.pk, {})


def test_it_gives_the_board_the_free_slots_as_json(school, admin, as_user):
    draft = hand_made_draft(school)
    url = reverse("timetable:lesson_slots", args=[draft.timetable.pk, draft.maths.pk])

    answer = as_user(admin).get(url).json()

    slots = {(s["weekday"], s["period"]) for s in answer["slots"]}
    assert (0, draft.small.periods[1].pk) not in slots
    assert (0, draft.small.periods[2].pk) in slots
    assert len(slots) == 5 * 4 - 2  # its own slot and Monday P2


def test_it_shows_the_week_by_section_teacher_and_room(school, admin, as_user):
    draft = hand_made_draft(school)
    client = as_user(admin)
    url = reverse("timetable:timetable", args=[draft.timetable.pk])

    by_section = client.get(url, {"by": "section", "id": school.section.pk})
    by_teacher = client.get(url, {"by": "teacher", "id": school.teacher_staff.pk})
    by_room = client.get(url, {"by": "room", "id": draft.small.rooms[1].pk})

    assert "The week of 7A" in by_section.text
    assert {lesson.pk for lesson in _shown(by_section)} == {draft.maths.pk, draft.english.pk}
    assert {lesson.pk for lesson in _shown(by_teacher)} == {draft.maths.pk, draft.science.pk}
    assert {lesson.pk for lesson in _shown(by_room)} == {draft.history.pk, draft.science.pk}
    assert client.get(url, {"by": "section", "id": "999999"}).status_code == 200  # the first section instead


def _shown(response) -> list[Lesson]:
    return [lesson for row in response.context["grid"].rows for cell in row.cells for lesson in cell.lessons]


def test_it_copies_the_live_timetable_into_a_new_draft(school, admin, as_user):
    live = hand_made_draft(school, status=TimetableStatus.PUBLISHED, name="Autumn")
    url = reverse("timetable:timetable_copy", args=[live.timetable.pk])

    response = as_user(admin).post(url, {"name": "Autumn, changed"}, follow=True)

    draft = Timetable.objects.get(name="Autumn, changed")
    assert draft.status == TimetableStatus.DRAFT
    assert "Autumn, changed is a new draft to edit." in response.text
    copied = sorted(draft.lessons.values_list("offering_id", "weekday", "period_id", "room_id"))
    original = sorted(live.timetable.lessons.values_list("offering_id", "weekday", "period_id", "room_id"))
    assert copied == original


def test_it_deletes_a_draft_but_never_a_published_timetable(school, admin, as_user):
    draft = hand_made_draft(school)
    client = as_user(admin)
    url = reverse("timetable:timetable_delete", args=[draft.timetable.pk])
    assert client.get(url).status_code == 200

    response = client.post(url, {"version": draft.timetable.version}, follow=True)

    assert "Draft A was deleted." in response.text
    assert not Timetable.objects.filter(pk=draft.timetable.pk).exists()
    assert not Lesson.objects.filter(timetable_id=draft.timetable.pk).exists()
    published = Timetable.objects.create(year=school.year, name="Live", status=TimetableStatus.PUBLISHED)
    assert client.get(reverse("timetable:timetable_delete", args=[published.pk])).status_code == 404


def test_it_lets_only_the_office_edit(school, admin, teacher, as_user):
    draft = hand_made_draft(school)
    assert as_user(teacher).get(move_url(draft, draft.maths)).status_code == 403
    assert as_user(teacher).post(move_url(draft, draft.maths), {}).status_code == 403
    other = Timetable.objects.create(year=school.year, name="Other")
    foreign = reverse("timetable:lesson_move", args=[other.pk, draft.maths.pk])
    assert as_user(admin).get(foreign).status_code == 404
    lock = reverse("timetable:lesson_lock", args=[draft.timetable.pk, draft.maths.pk])
    assert as_user(admin).get(lock).status_code == 405
    assert str(Weekday(0).label) == "Monday"


def test_it_draws_the_week_in_queries_that_do_not_grow_with_the_lessons(school, admin, as_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    draft = hand_made_draft(school)
    client = as_user(admin)
    url = reverse("timetable:timetable", args=[draft.timetable.pk])
    client.get(url)  # the session and the like, once
    with CaptureQueriesContext(connection) as few:
        client.get(url, {"by": "section", "id": school.section.pk})
    p3, p4 = draft.small.periods[2], draft.small.periods[3]
    for weekday in (1, 2, 3):
        for period in (p3, p4):
            Lesson.objects.create(
                timetable=draft.timetable,
                offering=draft.small.maths,
                teacher=school.teacher_staff,
                weekday=weekday,
                period=period,
                locked=weekday == 2,
            )
    with CaptureQueriesContext(connection) as many:
        response = client.get(url, {"by": "section", "id": school.section.pk})

    assert len(_shown(response)) == 8
    assert len(many) == len(few)


def test_it_shows_a_co_teachers_week_and_keeps_them_in_one_place_at_a_time(school, admin, as_user):
    draft = hand_made_draft(school)
    helper = f.StaffFactory(first_name="Cora", last_name="Helper")
    Requirement.objects.get(offering=draft.small.maths).co_teachers.add(helper)
    art = f.CourseOfferingFactory(
        subject=f.SubjectFactory(name="Art", code="ART"),
        section=f.SectionFactory(year=school.year, name="7C"),
    )
    Requirement.objects.create(offering=art, periods_per_week=1).co_teachers.add(helper)
    art_lesson = Lesson.objects.create(
        timetable=draft.timetable, offering=art, teacher=art.teacher, weekday=1, period=draft.small.periods[0]
    )
    client = as_user(admin)
    url = reverse("timetable:timetable", args=[draft.timetable.pk])

    response = client.get(url, {"by": "teacher", "id": helper.pk})

    assert helper in response.context["choices"]["teacher"]
    assert {lesson.pk for lesson in _shown(response)} == {draft.maths.pk, art_lesson.pk}
    refused = client.post(
        move_url(draft, art_lesson),
        {"version": draft.timetable.version, "weekday": 0, "period": draft.small.periods[0].pk},
    )
    assert refused.status_code == 400
    assert "Cora Helper already teaches 7A Mathematics on Monday P1." in refused.text
