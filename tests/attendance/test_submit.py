"""The register as one plain form (no JavaScript) and "Submit register": every changed row in one POST,
all or nothing, then submission, which saves unmarked students present and tells the guardians."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from modules.attendance.models import AttendanceRecord, Register
from modules.core.models import AuditEvent
from tests import factories as f

pytestmark = pytest.mark.django_db


def save_url(register) -> str:
    return reverse("attendance:register_save", args=[register.pk])


def page_data(client, register) -> dict:
    """Every field of the register form as the page drew it (what a browser would send untouched)."""
    return form_data(client.get(reverse("attendance:register_detail", args=[register.pk])).content.decode())


def form_data(page: str) -> dict:
    data = {}
    for chunk in page.split("<input")[1:]:
        tag = chunk.split(">", 1)[0]
        if ' name="' not in tag:
            continue
        name = tag.split(' name="', 1)[1].split('"', 1)[0]
        value = tag.split(' value="', 1)[1].split('"', 1)[0] if ' value="' in tag else ""
        if 'type="radio"' in tag and " checked" not in tag:
            continue
        if name != "csrfmiddlewaretoken":
            data[name] = value
    return data


def choose(data: dict, student, status: str, **fields) -> dict:
    data[f"s{student.pk}-status"] = status
    for name, value in fields.items():
        data[f"s{student.pk}-{name}"] = value
    return data


@pytest.fixture
def classmate(school):
    student = f.StudentFactory(first_name="Cleo", last_name="Mate")
    f.EnrollmentFactory(student=student, section=school.section)
    return student


@pytest.fixture
def register(school):
    return f.RegisterFactory(section=school.section)


def test_it_saves_the_changed_rows_from_the_plain_form(as_user, teacher, school, classmate, register):
    client = as_user(teacher)
    data = choose(page_data(client, register), school.child, "late", late_minutes="10", note="Bus")
    response = client.post(save_url(register), {**data, "action": "save"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("attendance:register_detail", args=[register.pk])
    assert "The register is saved." in response.content.decode()
    record = AttendanceRecord.objects.get(register=register)
    assert (record.student, record.status, record.late_minutes, record.note) == (
        school.child,
        "late",
        10,
        "Bus",
    )
    # Cleo was left as drawn (present, unmarked): nothing is written for her until submission.
    assert not AttendanceRecord.objects.filter(student=classmate).exists()
    assert Register.objects.get(pk=register.pk).state == "in_progress"


def test_it_submits_saving_unmarked_students_present_and_tells_the_guardians(
    as_user, teacher, guardian, school, classmate, register, django_capture_on_commit_callbacks
):
    client = as_user(teacher)
    data = choose(page_data(client, register), school.child, "absent")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(save_url(register), {**data, "action": "submit"}, follow=True)
    page = response.content.decode()
    assert "The register is submitted: 1 present, 1 absent, 0 late, 0 excused." in page
    assert "Submitted by Tom Teach" in page
    register.refresh_from_db()
    assert register.state == "submitted"
    assert register.submitted_by == teacher
    marks = dict(
        AttendanceRecord.objects.filter(register=register).values_list("student__first_name", "status")
    )
    assert marks == {"Sam": "absent", "Cleo": "present"}
    assert [message.to for message in mail.outbox] == [[guardian.email]]
    assert "Sam" in mail.outbox[0].body


def test_it_submits_without_a_guardian_message_when_nobody_is_absent(
    as_user, teacher, school, register, django_capture_on_commit_callbacks
):
    client = as_user(teacher)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(save_url(register), {**page_data(client, register), "action": "submit"})
    assert Register.objects.get(pk=register.pk).state == "submitted"
    assert AttendanceRecord.objects.get(register=register, student=school.child).status == "present"
    assert mail.outbox == []


def test_it_saves_nothing_when_one_row_is_wrong(as_user, teacher, school, classmate, register):
    client = as_user(teacher)
    data = page_data(client, register)
    choose(data, school.child, "absent")
    choose(data, classmate, "late", late_minutes="500")
    response = client.post(save_url(register), {**data, "action": "submit"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Some marks were not saved. Correct the rows below and save again." in page
    assert "Minutes late must be a whole number between 0 and 240." in page
    assert 'value="500"' in page
    assert not AttendanceRecord.objects.exists()
    assert Register.objects.get(pk=register.pk).state == "not_taken"


def test_it_refuses_a_status_that_does_not_exist(as_user, teacher, school, register):
    client = as_user(teacher)
    data = choose(page_data(client, register), school.child, "gone")
    page = client.post(save_url(register), {**data, "action": "save"}).content.decode()
    assert "“gone” is not an attendance status." in page
    assert not AttendanceRecord.objects.exists()


def test_it_refuses_the_teacher_after_the_cut_off(as_user, teacher, school, register):
    client = as_user(teacher)
    data = choose(page_data(client, register), school.child, "absent")
    Register.objects.filter(pk=register.pk).update(date=timezone.localdate() - datetime.timedelta(days=1))
    page = client.post(save_url(register), {**data, "action": "submit"}).content.decode()
    assert "The time for teachers to change this register has passed" in page
    assert not AttendanceRecord.objects.exists()
    assert Register.objects.get(pk=register.pk).state == "not_taken"


def test_it_needs_the_offices_reason_after_the_cut_off(as_user, admin, school):
    old = f.RegisterFactory(
        section=school.section,
        date=timezone.localdate() - datetime.timedelta(days=2),
        state="submitted",
        submitted_at=timezone.now(),
    )
    f.AttendanceRecordFactory(register=old, student=school.child, status="absent")
    client = as_user(admin)
    data = choose(page_data(client, old), school.child, "present")
    page = client.post(save_url(old), {**data, "action": "save"}).content.decode()
    assert "Say why the register is changed after the teachers&#x27; cut-off." in page
    assert AttendanceRecord.objects.get(register=old).status == "absent"

    response = client.post(
        save_url(old), {**data, "action": "save", "change_reason": "Was in the nurse's room"}
    )
    assert response.status_code == 302
    assert AttendanceRecord.objects.get(register=old).status == "present"
    assert AuditEvent.objects.get(action="attendance.change").reason == "Was in the nurse's room"


def test_a_stale_page_does_not_overwrite_a_colleagues_marks(teacher, admin, school, classmate, register):
    at_desk, in_office = Client(), Client()
    at_desk.force_login(teacher, backend="modules.accounts.backends.PortalBackend")
    in_office.force_login(admin, backend="modules.accounts.backends.PortalBackend")
    # Both open the register before either has marked anything.
    desk_data, office_data = page_data(at_desk, register), page_data(in_office, register)
    in_office.post(
        save_url(register), {**choose(office_data, classmate, "excused", reason="Trip"), "action": "save"}
    )
    at_desk.post(save_url(register), {**choose(desk_data, school.child, "absent"), "action": "submit"})
    marks = dict(
        AttendanceRecord.objects.filter(register=register).values_list("student__first_name", "status")
    )
    assert marks == {"Sam": "absent", "Cleo": "excused"}


@pytest.mark.parametrize("persona", ["other_teacher", "guardian", "student", "bursar"])
def test_it_answers_404_to_anyone_but_the_registers_teacher_and_the_office(persona, request, as_user, school):
    register = f.RegisterFactory(section=school.section)
    data = {f"s{school.child.pk}-status": "absent", "action": "submit"}
    response = as_user(request.getfixturevalue(persona)).post(save_url(register), data)
    assert response.status_code == 404
    assert not AttendanceRecord.objects.exists()
    assert Register.objects.get(pk=register.pk).state == "not_taken"


def test_it_refuses_a_get(as_user, teacher, register):
    assert as_user(teacher).get(save_url(register)).status_code == 405


def test_it_sends_a_visitor_to_log_in(client, register):
    response = client.post(save_url(register), {"action": "submit"})
    assert response.status_code == 302
    assert reverse("account_login") in response.url


def test_a_stale_page_refuses_a_row_a_colleague_changed_and_saves_the_others(
    teacher, admin, school, classmate, register
):
    at_desk, in_office = Client(), Client()
    at_desk.force_login(teacher, backend="modules.accounts.backends.PortalBackend")
    in_office.force_login(admin, backend="modules.accounts.backends.PortalBackend")
    office_data = page_data(in_office, register)
    # The teacher marks Sam absent live; the office, on the page it opened before, adds a note to Sam's row
    # (still showing present) and excuses Cleo, then saves the whole form.
    mark = reverse("attendance:register_mark", args=[register.pk])
    teacher_row = {"student": school.child.pk, f"s{school.child.pk}-status": "absent"}
    assert at_desk.post(mark, teacher_row, headers={"HX-Request": "true"}).status_code == 200
    choose(office_data, school.child, "present", note="Collected at 11")
    choose(office_data, classmate, "excused", reason="Trip")
    response = in_office.post(save_url(register), {**office_data, "action": "save"})
    page = response.content.decode()
    assert response.status_code == 409
    marks = dict(
        AttendanceRecord.objects.filter(register=register).values_list("student__first_name", "status")
    )
    assert marks == {"Sam": "absent", "Cleo": "excused"}
    assert "The register is saved" not in page
    assert "1 row saved. 1 row was not saved: someone else changed it since you opened the page." in page
    assert "Someone else changed this row since you opened the page; it is now: Absent." in page
    sam = page.split(f'id="row-{school.child.pk}"', 1)[1].split("</li>", 1)[0]
    assert 'value="Collected at 11"' in sam  # what the office typed, kept
    assert f'name="initial-s{school.child.pk}-status" value="absent"' in sam
    # Saving the page again (its base is now the teacher's mark) replaces it on purpose.
    response = in_office.post(save_url(register), {**form_data(page), "action": "save"})
    assert response.status_code == 302
    record = AttendanceRecord.objects.get(register=register, student=school.child)
    assert (record.status, record.note) == ("present", "Collected at 11")


def test_a_stale_page_does_not_submit_over_a_colleagues_mark(teacher, admin, school, classmate, register):
    at_desk, in_office = Client(), Client()
    at_desk.force_login(teacher, backend="modules.accounts.backends.PortalBackend")
    in_office.force_login(admin, backend="modules.accounts.backends.PortalBackend")
    office_data = page_data(in_office, register)
    desk_data = page_data(at_desk, register)
    at_desk.post(save_url(register), {**choose(desk_data, school.child, "absent"), "action": "save"})
    response = in_office.post(
        save_url(register),
        {**choose(office_data, school.child, "late", late_minutes="5"), "action": "submit"},
    )
    page = response.content.decode()
    assert response.status_code == 409
    assert "No row was saved." in page
    assert "The register is not submitted yet." in page
    assert AttendanceRecord.objects.get(register=register, student=school.child).status == "absent"
    assert Register.objects.get(pk=register.pk).state == "in_progress"
    assert not mail.outbox


def test_it_pins_the_queries_of_a_submission(as_user, teacher, school, classmate, register, queries_exactly):
    """The submission itself; the guardians' message runs after commit, in its task. Of the 33, nine keep
    the tallies: the mark takes the register's lock and recounts it (3), the submission recounts it (2),
    finds its term and recounts the students' term tallies (4)."""
    client = as_user(teacher)
    data = choose(page_data(client, register), school.child, "absent")
    with queries_exactly(33):
        response = client.post(save_url(register), {**data, "action": "submit"})
    assert response.status_code == 302
    assert Register.objects.get(pk=register.pk).state == "submitted"
