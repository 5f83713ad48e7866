"""One live mark (HTMX): the row and the counters come back, refusals come back in the row with the person's
choice still shown, and two people marking at once lose nothing."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from modules.attendance.models import AttendancePolicy, AttendanceRecord, Register
from modules.core.models import AuditEvent
from tests import factories as f

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def mark_url(register) -> str:
    return reverse("attendance:register_mark", args=[register.pk])


def row_data(student, status, *, late_minutes="", reason="", note="", base=None) -> dict:
    """What a row sends: its own field names (s<id>-...), the student, and the row's base (the hidden
    initial-s<id>-... copies of what it showed: `base`, else an unmarked row's present)."""
    prefix = f"s{student.pk}"
    shown = {"status": "present", "late_minutes": "", "reason": "", "note": "", **(base or {})}
    return {
        "student": student.pk,
        f"{prefix}-status": status,
        f"{prefix}-late_minutes": late_minutes,
        f"{prefix}-reason": reason,
        f"{prefix}-note": note,
        **{f"initial-{prefix}-{name}": value for name, value in shown.items()},
    }


def assert_refused(response) -> None:
    """A refused mark answers 200 (the row to show, like a form re-shown with its errors; a 4xx would put an
    error in the browser's console), the row marked refused: red, its message, work not saved."""
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="register-row has-error' in page
    assert "data-unsaved" in page


def radio(page: str, student, status: str) -> str:
    return page.split(f'id="s{student.pk}-status-{status}"', 1)[1].split(">", 1)[0]


@pytest.fixture
def register(school):
    return f.RegisterFactory(section=school.section)


def test_it_saves_an_absence_and_answers_the_row_and_the_counters(as_user, teacher, school, register):
    response = as_user(teacher).post(mark_url(register), row_data(school.child, "absent"), headers=HTMX)
    assert response.status_code == 200
    record = AttendanceRecord.objects.get(register=register, student=school.child)
    assert record.status == "absent"
    assert record.marked_by == teacher
    register.refresh_from_db()
    assert register.state == "in_progress"
    page = response.content.decode()
    assert page.lstrip().startswith(f'<li class="register-row" id="row-{school.child.pk}"')
    assert " checked" in radio(page, school.child, "absent")
    assert "Saved" in page
    assert 'id="register-counters" hx-swap-oob="innerHTML"' in page
    assert 'data-count="absent">1<' in page
    assert 'data-count="present">0<' in page
    assert 'data-count="unmarked">0<' in page
    # The saved values travel with the row, so that a whole-page save does not write it again.
    assert f'name="initial-s{school.child.pk}-status" value="absent"' in page


def test_it_saves_late_minutes_an_excuse_and_a_note(as_user, teacher, school, register):
    client = as_user(teacher)
    client.post(
        mark_url(register), row_data(school.child, "late", late_minutes="15", note="Bus"), headers=HTMX
    )
    record = AttendanceRecord.objects.get(register=register, student=school.child)
    assert (record.status, record.late_minutes, record.note) == ("late", 15, "Bus")
    shown = {"status": "late", "late_minutes": "15", "note": "Bus"}
    response = client.post(
        mark_url(register), row_data(school.child, "excused", late_minutes="15", reason="Flu", base=shown)
    )
    record.refresh_from_db()
    assert (record.status, record.late_minutes, record.reason) == ("excused", None, "Flu")
    assert 'data-count="excused">1<' in response.content.decode()


def test_it_accepts_plain_field_names(as_user, teacher, school, register):
    data = {"student": school.child.pk, "status": "late", "late_minutes": "5", "reason": "", "note": "Rain"}
    response = as_user(teacher).post(mark_url(register), data, headers=HTMX)
    assert response.status_code == 200
    record = AttendanceRecord.objects.get(register=register, student=school.child)
    assert (record.status, record.late_minutes, record.note) == ("late", 5, "Rain")


def test_it_refuses_a_status_that_does_not_exist_in_the_row(as_user, teacher, school, register):
    response = as_user(teacher).post(
        mark_url(register), row_data(school.child, "asleep", note="Keep me"), headers=HTMX
    )
    assert_refused(response)
    page = response.content.decode()
    assert f'id="row-{school.child.pk}"' in page
    assert "“asleep” is not an attendance status." in page
    assert 'value="Keep me"' in page  # what the person typed is still there
    assert not AttendanceRecord.objects.exists()
    assert "hx-swap-oob" not in page


@pytest.mark.parametrize("minutes", ["-5", "241", "lots"])
def test_it_refuses_absurd_late_minutes_keeping_the_choice_visible(
    minutes, as_user, teacher, school, register
):
    response = as_user(teacher).post(
        mark_url(register), row_data(school.child, "late", late_minutes=minutes), headers=HTMX
    )
    assert_refused(response)
    page = response.content.decode()
    assert "Minutes late must be a whole number between 0 and 240." in page
    assert " checked" in radio(page, school.child, "late")
    # What was typed stays, in a text field (a number field would have turned "lots" into nothing, saved as 0)
    # that selects its content on focus so that typing replaces it (portal.js).
    assert (
        f'<input type="text" class="form-control form-control-sm" name="s{school.child.pk}-late_minutes" '
        f'id="s{school.child.pk}-late_minutes" inputmode="numeric" data-select-on-focus value="{minutes}">'
    ) in page
    assert not AttendanceRecord.objects.exists()


def test_it_refuses_a_student_who_is_not_on_the_register(as_user, teacher, school, register):
    response = as_user(teacher).post(mark_url(register), row_data(school.other_child, "absent"), headers=HTMX)
    assert_refused(response)
    page = response.content.decode()
    assert "That student is not on this register." in page
    assert school.other_child.full_name not in page
    assert not AttendanceRecord.objects.exists()


def test_it_refuses_a_mark_without_a_student(as_user, teacher, register):
    response = as_user(teacher).post(mark_url(register), {"status": "absent"}, headers=HTMX)
    assert_refused(response)
    assert "Say which student to mark." in response.content.decode()


def test_it_refuses_a_day_that_has_not_come(as_user, teacher, school):
    tomorrow = f.RegisterFactory(
        section=school.section, date=timezone.localdate() + datetime.timedelta(days=1)
    )
    response = as_user(teacher).post(mark_url(tomorrow), row_data(school.child, "absent"), headers=HTMX)
    assert_refused(response)
    assert "which has not come yet" in response.content.decode()
    assert not AttendanceRecord.objects.exists()


def test_it_refuses_the_teacher_after_the_cut_off(as_user, teacher, school):
    yesterday = f.RegisterFactory(
        section=school.section, date=timezone.localdate() - datetime.timedelta(days=1)
    )
    response = as_user(teacher).post(mark_url(yesterday), row_data(school.child, "absent"), headers=HTMX)
    assert_refused(response)
    page = response.content.decode()
    assert "The time for teachers to change this register has passed" in page
    assert " checked" in radio(page, school.child, "absent")  # the choice stays visible with the message
    assert not AttendanceRecord.objects.exists()


def test_it_lets_the_office_correct_after_the_cut_off_only_with_a_reason(as_user, admin, school):
    AttendancePolicy.objects.create(teacher_edit_days=0)
    old = f.RegisterFactory(
        section=school.section,
        date=timezone.localdate() - datetime.timedelta(days=2),
        state="submitted",
        submitted_at=timezone.now(),
    )
    f.AttendanceRecordFactory(register=old, student=school.child, status="absent")
    client = as_user(admin)
    shown = {"base": {"status": "absent"}}
    refused = client.post(
        mark_url(old), row_data(school.child, "excused", reason="Note from home", **shown), headers=HTMX
    )
    assert_refused(refused)
    assert "Give a reason for changing a submitted register" in refused.content.decode()
    assert AttendanceRecord.objects.get(register=old).status == "absent"

    data = {
        **row_data(school.child, "excused", reason="Note from home", **shown),
        "change_reason": "Parent phoned",
    }
    response = client.post(mark_url(old), data, headers=HTMX)
    assert response.status_code == 200
    assert AttendanceRecord.objects.get(register=old).status == "excused"
    event = AuditEvent.objects.get(action="attendance.change")
    assert event.reason == "Parent phoned"
    assert event.before["status"] == "absent"
    assert event.after["status"] == "excused"


@pytest.mark.parametrize("persona", ["other_teacher", "guardian", "student", "bursar"])
def test_it_answers_404_to_anyone_but_the_registers_teacher_and_the_office(persona, request, as_user, school):
    register = f.RegisterFactory(section=school.section)
    response = as_user(request.getfixturevalue(persona)).post(
        mark_url(register), row_data(school.child, "absent"), headers=HTMX
    )
    assert response.status_code == 404
    assert not AttendanceRecord.objects.exists()


def test_it_sends_a_visitor_to_log_in(client, school, register):
    response = client.post(mark_url(register), row_data(school.child, "absent"))
    assert response.status_code == 302
    assert not AttendanceRecord.objects.exists()


def test_it_refuses_a_get(as_user, teacher, register):
    assert as_user(teacher).get(mark_url(register)).status_code == 405


def test_two_people_marking_different_students_at_once_both_land(teacher, admin, school, register):
    classmate = f.StudentFactory(first_name="Cleo")
    f.EnrollmentFactory(student=classmate, section=school.section)
    at_desk, in_office = Client(), Client()
    at_desk.force_login(teacher, backend="modules.accounts.backends.PortalBackend")
    in_office.force_login(admin, backend="modules.accounts.backends.PortalBackend")
    first = at_desk.post(mark_url(register), row_data(school.child, "absent"), headers=HTMX)
    second = in_office.post(mark_url(register), row_data(classmate, "late", late_minutes="5"), headers=HTMX)
    assert first.status_code == second.status_code == 200
    marks = dict(
        AttendanceRecord.objects.filter(register=register).values_list("student__first_name", "status")
    )
    assert marks == {"Sam": "absent", "Cleo": "late"}
    # The second answer's counters include the first person's mark.
    assert 'data-count="absent">1<' in second.content.decode()
    assert 'data-count="late">1<' in second.content.decode()


def test_a_row_someone_else_marked_since_the_page_was_drawn_is_refused_not_overwritten(
    teacher, admin, school, register
):
    at_desk, in_office = Client(), Client()
    at_desk.force_login(teacher, backend="modules.accounts.backends.PortalBackend")
    in_office.force_login(admin, backend="modules.accounts.backends.PortalBackend")
    # Both pages showed Sam unmarked (present). The teacher marks Sam absent with a note; the office, on its
    # stale page, marks Sam late.
    first = at_desk.post(mark_url(register), row_data(school.child, "absent", note="No call"), headers=HTMX)
    assert first.status_code == 200
    response = in_office.post(
        mark_url(register), row_data(school.child, "late", late_minutes="5"), headers=HTMX
    )
    page = response.content.decode()
    assert_refused(response)
    record = AttendanceRecord.objects.get(register=register, student=school.child)
    assert (record.status, record.note, record.marked_by) == ("absent", "No call", teacher)
    assert (
        "Someone else changed this row since you opened the page; it is now: Absent, note “No call”. "
        "Your change is not saved yet." in page
    )
    assert " checked" in radio(page, school.child, "late")  # the office's choice, kept on screen
    assert page.split(f'id="s{school.child.pk}-late_minutes"', 1)[1].split(">", 1)[0].endswith('value="5"')
    assert f'name="initial-s{school.child.pk}-status" value="absent"' in page  # the new base
    assert "Save mine" in page
    assert 'data-count="absent">1<' in page

    # Having seen it, the office saves its choice on purpose: the row's base is now the teacher's mark.
    shown = {"status": "absent", "note": "No call"}
    data = row_data(school.child, "late", late_minutes="5", note="No call", base=shown)
    assert in_office.post(mark_url(register), data, headers=HTMX).status_code == 200
    records = AttendanceRecord.objects.filter(register=register, student=school.child)
    assert records.count() == 1
    assert (records.get().status, records.get().late_minutes, records.get().marked_by) == ("late", 5, admin)


def test_a_row_sent_as_it_was_drawn_leaves_a_newer_mark_alone(teacher, admin, school, register):
    at_desk, in_office = Client(), Client()
    at_desk.force_login(teacher, backend="modules.accounts.backends.PortalBackend")
    in_office.force_login(admin, backend="modules.accounts.backends.PortalBackend")
    at_desk.post(mark_url(register), row_data(school.child, "absent"), headers=HTMX)
    # The office's row sends exactly what its page showed (present): not a change of theirs.
    response = in_office.post(mark_url(register), row_data(school.child, "present"), headers=HTMX)
    assert response.status_code == 200
    assert AttendanceRecord.objects.get(register=register, student=school.child).status == "absent"
    assert " checked" in radio(response.content.decode(), school.child, "absent")


def test_saving_the_same_row_twice_builds_on_the_first_save(as_user, teacher, school, register):
    client = as_user(teacher)
    client.post(mark_url(register), row_data(school.child, "late", late_minutes="5"), headers=HTMX)
    shown = {"status": "late", "late_minutes": "5"}
    response = client.post(
        mark_url(register), row_data(school.child, "late", late_minutes="10", base=shown), headers=HTMX
    )
    assert response.status_code == 200
    assert AttendanceRecord.objects.get(register=register, student=school.child).late_minutes == 10


def test_it_keeps_a_mark_within_a_fixed_number_of_queries(
    as_user, teacher, school, register, queries_exactly
):
    client = as_user(teacher)
    client.post(mark_url(register), row_data(school.child, "absent"), headers=HTMX)
    for _ in range(30):
        f.EnrollmentFactory(student=f.StudentFactory(), section=school.section)
    # (One of them the register's row lock, taken for its tally before the stale mark is refused.)
    with queries_exactly(10):
        response = client.post(mark_url(register), row_data(school.child, "late"), headers=HTMX)
    assert 'data-count="unmarked">30<' in response.content.decode()
    assert Register.objects.get(pk=register.pk).state == "in_progress"
