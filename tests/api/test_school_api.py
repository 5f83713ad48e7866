"""The API beyond the roster, through HTTP with real tokens: attendance read and written by a register's
teacher (the register page's rules: what is typed is saved as typed, a row someone else changed is not
overwritten, bad values are 422 with the field named), marks entered as in the gradebook and read by
families only when published and only their own child's, term results only once published (the report
card's figure), fees for the bursar and guardians, each person's own notifications; and the scopes each role
may hold."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from modules.accounts.models import Role
from modules.api.tokens import TokenError, token_create
from modules.attendance.models import AttendanceRecord, Register
from modules.communications.models import Notification
from modules.exams.models import Mark, TermStatus
from modules.fees.ledger import record_payment
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rates():
    cache.clear()
    yield
    cache.clear()


def made(user, *scopes: str) -> dict[str, str]:
    secret = token_create(user=user, name="Sync", scopes=list(scopes), days=30).secret
    return {"Authorization": f"Bearer {secret}"}


def get(client, path: str, headers, **params):
    return client.get(f"/api/v1{path}", params, headers=headers)


def put(client, path: str, headers, body: dict):
    return client.put(f"/api/v1{path}", body, content_type="application/json", headers=headers)


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


# --- attendance ---------------------------------------------------------------------------------------------


@pytest.fixture
def register(school) -> Register:
    return f.RegisterFactory(section=school.section)


def test_a_teacher_marks_through_the_api_and_what_was_typed_is_saved(client, teacher, school, register):
    token = made(teacher, "attendance:read", "attendance:write")
    path = f"/registers/{register.pk}/marks/{school.child.pk}"
    response = put(client, path, token, {"status": "late", "late_minutes": 7, "note": "Bus"})
    assert response.status_code == 200
    assert response.json()["late_minutes"] == 7
    assert response.json()["status"] == "late"
    record = AttendanceRecord.objects.get(register=register, student=school.child)
    assert (record.status, record.late_minutes, record.note, record.marked_by) == ("late", 7, "Bus", teacher)
    register.refresh_from_db()
    assert register.state == "in_progress"
    listed = results(get(client, "/attendance-records", token, register=register.pk))
    assert [(row["student_id"], row["status"], row["late_minutes"]) for row in listed] == [
        (school.child.pk, "late", 7)
    ]


def test_bad_marks_are_422_with_the_field_and_nothing_is_written(client, teacher, school, register):
    token = made(teacher, "attendance:write")
    path = f"/registers/{register.pk}/marks/{school.child.pk}"
    for body, field in (
        ({"status": "sleeping"}, "status"),
        ({"status": "late", "late_minutes": 999}, "late_minutes"),
        ({"status": "late", "late_minutes": "seven"}, "late_minutes"),
        ({}, "status"),
    ):
        response = put(client, path, token, body)
        assert response.status_code == 422, body
        assert response.json()["code"] == "invalid"
        assert field in {error["field"] for error in response.json()["errors"]}, response.json()
    stranger = f.StudentFactory(first_name="Not", last_name="Here")
    refused = put(client, f"/registers/{register.pk}/marks/{stranger.pk}", token, {"status": "absent"})
    assert refused.status_code == 422
    assert refused.json()["message"] == "That student is not on this register."
    assert not AttendanceRecord.objects.exists()


def test_a_mark_changed_by_someone_else_since_it_was_read_is_not_overwritten(
    client, teacher, admin, school, register
):
    path = f"/registers/{register.pk}/marks/{school.child.pk}"
    unmarked = {"status": "present", "late_minutes": None, "reason": "", "note": ""}
    office = put(client, path, made(admin, "attendance:write"), {"status": "absent", "base": unmarked})
    assert office.status_code == 200
    # The teacher read the row before the office's change: theirs is refused, the office's stands.
    clash = put(client, path, made(teacher, "attendance:write"), {"status": "late", "base": unmarked})
    assert clash.status_code == 409
    assert clash.json()["code"] == "conflict"
    assert clash.json()["current"]["status"] == "absent"
    assert AttendanceRecord.objects.get(register=register).status == "absent"


def test_submitting_saves_the_rest_present_and_families_then_see_their_child_s_marks_only(
    client, teacher, guardian, other_guardian, school, register
):
    classmate = f.StudentFactory(first_name="Cleo", last_name="Classmate")
    f.EnrollmentFactory(student=classmate, section=school.section)
    token = made(teacher, "attendance:write")
    put(client, f"/registers/{register.pk}/marks/{school.child.pk}", token, {"status": "absent"})
    family = made(guardian, "attendance:read")
    assert results(get(client, "/attendance-records", family)) == []  # not submitted yet
    submitted = client.post(f"/api/v1/registers/{register.pk}/submit", headers=token)
    assert submitted.status_code == 200
    assert submitted.json()["state"] == "submitted"
    assert submitted.json()["saved_present"] == 1
    seen = results(get(client, "/attendance-records", family))
    assert [(row["student_id"], row["status"]) for row in seen] == [(school.child.pk, "absent")]
    assert results(get(client, "/attendance-records", made(other_guardian, "attendance:read"))) == []
    assert results(get(client, "/registers", family)) == []


def test_another_teacher_cannot_read_or_mark_the_register(client, other_teacher, school, register):
    token = made(other_teacher, "attendance:read", "attendance:write")
    assert get(client, f"/registers/{register.pk}", token).status_code == 404
    marked = put(client, f"/registers/{register.pk}/marks/{school.child.pk}", token, {"status": "absent"})
    assert marked.status_code == 404
    assert not AttendanceRecord.objects.exists()


def test_a_teacher_s_change_after_the_cut_off_is_refused_with_the_page_s_message(
    client, teacher, school, weekday
):
    old = f.RegisterFactory(section=school.section, date=weekday - datetime.timedelta(days=30))
    token = made(teacher, "attendance:write")
    response = put(client, f"/registers/{old.pk}/marks/{school.child.pk}", token, {"status": "absent"})
    assert response.status_code == 422
    assert response.json()["code"] == "refused"
    assert "Ask the office" in response.json()["message"]


def test_changed_since_keeps_the_day_s_marks_changed_after_the_time(client, admin, school, register):
    f.AttendanceRecordFactory(
        register=register, student=school.child, marked_at=timezone.now() - datetime.timedelta(hours=2)
    )
    later = f.StudentFactory(first_name="Late", last_name="Comer")
    f.EnrollmentFactory(student=later, section=school.section)
    f.AttendanceRecordFactory(register=register, student=later, status="absent")
    since = (timezone.now() - datetime.timedelta(hours=1)).isoformat()
    token = made(admin, "attendance:read")
    day = results(get(client, "/attendance-records", token, date=register.date.isoformat()))
    assert len(day) == 2
    changed = results(
        get(client, "/attendance-records", token, date=register.date.isoformat(), changed_since=since)
    )
    assert [row["student_id"] for row in changed] == [later.pk]
    # The same moment written with another offset, even one PostgreSQL refuses (beyond ±15:59: schemathesis
    # found the 500), is the same moment.
    moment = timezone.now() - datetime.timedelta(hours=1)
    far = moment.astimezone(datetime.timezone(-datetime.timedelta(hours=17, minutes=45))).isoformat()
    changed = results(
        get(client, "/attendance-records", token, date=register.date.isoformat(), changed_since=far)
    )
    assert [row["student_id"] for row in changed] == [later.pk]
    outside = get(client, "/attendance-records", token, changed_since="0001-01-01T00:00:00+05:00")
    assert outside.status_code == 422


# --- grades -------------------------------------------------------------------------------------------------


@pytest.fixture
def quiz(school):
    return f.AssessmentFactory(offering=school.offering, term=school.term, max_score=20)


def test_a_teacher_enters_marks_as_typed_in_the_gradebook(client, teacher, school, quiz):
    token = made(teacher, "grades:write", "grades:read")
    path = f"/assessments/{quiz.pk}/marks/{school.child.pk}"
    response = put(client, path, token, {"mark": "7,5"})
    assert response.status_code == 200
    assert response.json() == {"assessment_id": quiz.pk, "student_id": school.child.pk, "mark": "7.5"}
    assert Mark.objects.get().score == Decimal("7.5")
    too_high = put(client, path, token, {"mark": "25"})
    assert too_high.status_code == 422
    assert too_high.json()["errors"] == [{"field": "mark", "message": "25 is above the maximum of 20."}]
    assert Mark.objects.get().score == Decimal("7.5")
    assert put(client, path, token, {"mark": "ex"}).json()["mark"] == "ex"
    listed = results(get(client, "/marks", token, assessment=quiz.pk))
    assert [(row["score"], row["code"]) for row in listed] == [(None, "ex")]
    assert put(client, path, token, {"mark": ""}).json()["mark"] == ""
    assert not Mark.objects.exists()


def test_a_mark_changed_since_it_was_read_is_not_overwritten(client, teacher, admin, school, quiz):
    path = f"/assessments/{quiz.pk}/marks/{school.child.pk}"
    assert put(client, path, made(admin, "grades:write"), {"mark": "12", "base": ""}).status_code == 200
    clash = put(client, path, made(teacher, "grades:write"), {"mark": "14", "base": ""})
    assert clash.status_code == 409
    assert clash.json()["current"] == "12"
    assert Mark.objects.get().score == Decimal("12")


def test_families_read_only_their_child_s_published_marks(
    client, guardian, other_guardian, student, school, quiz
):
    classmate = f.StudentFactory(first_name="Cleo", last_name="Classmate")
    f.EnrollmentFactory(student=classmate, section=school.section)
    f.MarkFactory(assessment=quiz, student=school.child, score=15)
    f.MarkFactory(assessment=quiz, student=classmate, score=9)
    family = made(guardian, "grades:read")
    assert results(get(client, "/marks", family)) == []
    assert results(get(client, "/assessments", family)) == []
    quiz.published_at = timezone.now()
    quiz.save()
    assert [row["student_id"] for row in results(get(client, "/marks", family))] == [school.child.pk]
    assert [row["student_id"] for row in results(get(client, "/marks", made(student, "grades:read")))] == [
        school.child.pk
    ]
    assert results(get(client, "/marks", made(other_guardian, "grades:read"))) == []
    assert get(client, f"/assessments/{quiz.pk}", made(other_guardian, "grades:read")).status_code == 404


def test_term_results_are_read_once_published_with_the_report_card_s_figure(
    client, teacher, guardian, school, quiz
):
    token = made(teacher, "grades:write")
    put(client, f"/assessments/{quiz.pk}/marks/{school.child.pk}", token, {"mark": "15"})
    family = made(guardian, "grades:read")
    assert results(get(client, "/term-results", family, term=school.term.pk)) == []
    TermStatus.objects.create(term=school.term, results_published_at=timezone.now())
    # A mark changed after publication is counted before the results are read.
    put(client, f"/assessments/{quiz.pk}/marks/{school.child.pk}", token, {"mark": "17"})
    rows = results(get(client, "/term-results", family, term=school.term.pk))
    assert rows == [
        {
            "student_id": school.child.pk,
            "class_id": school.offering.pk,
            "term_id": school.term.pk,
            "percent": "85.0",
        }
    ]
    missing = get(client, "/term-results", family)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "term"


def test_a_teacher_cannot_enter_marks_in_another_teacher_s_class(client, other_teacher, school, quiz):
    token = made(other_teacher, "grades:write")
    response = put(client, f"/assessments/{quiz.pk}/marks/{school.child.pk}", token, {"mark": "10"})
    assert response.status_code == 404
    assert not Mark.objects.exists()


# --- fees and messages --------------------------------------------------------------------------------------


def test_guardians_read_their_children_s_invoices_and_payments_the_bursar_all(
    client, guardian, other_guardian, bursar, admin, school
):
    invoice = f.InvoiceFactory(year=school.year, student=school.child, total=Decimal("500.00"))
    f.InvoiceFactory(year=school.year, student=school.other_child)
    record_payment(student_id=school.child.pk, amount=Decimal("120.50"), method="cash", key="k1", by=admin)
    family = made(guardian, "fees:read")
    rows = results(get(client, "/invoices", family))
    assert [(row["number"], row["balance"]) for row in rows] == [(invoice.number, "379.50")]
    detail = get(client, f"/invoices/{invoice.pk}", family).json()
    assert detail["lines"] == [{"description": "Tuition", "amount": "500.00"}]
    assert [row["amount"] for row in results(get(client, "/payments", family))] == ["120.50"]
    assert len(results(get(client, "/invoices", made(other_guardian, "fees:read")))) == 1
    assert len(results(get(client, "/invoices", made(bursar, "fees:read")))) == 2
    assert results(get(client, "/invoices", made(guardian, "fees:read"), status="paid")) == []


def test_notifications_are_each_person_s_own(client, teacher, guardian, school):
    Notification.objects.create(recipient=guardian, kind="general", title="Trip", key="a")
    Notification.objects.create(
        recipient=guardian, kind="general", title="Old", key="b", read_at=timezone.now()
    )
    Notification.objects.create(recipient=teacher, kind="general", title="Staff meeting", key="c")
    token = made(guardian, "messages:read")
    assert {row["title"] for row in results(get(client, "/notifications", token))} == {"Trip", "Old"}
    assert [row["title"] for row in results(get(client, "/notifications", token, unread=True))] == ["Trip"]


# --- scopes -------------------------------------------------------------------------------------------------


def test_a_role_is_offered_only_the_scopes_it_may_hold(as_user, bursar, teacher, school):
    page = as_user(bursar).get(reverse("api:tokens")).content.decode()
    assert 'value="fees:read"' in page
    assert 'value="grades:read"' not in page
    with pytest.raises(TokenError):
        token_create(user=bursar, name="Marks", scopes=["grades:read"], days=30)
    refused = as_user(bursar).post(
        reverse("api:tokens"), {"name": "Marks", "scopes": ["grades:read"], "days": "30"}
    )
    assert refused.status_code == 400
    assert "sf_" not in refused.content.decode()
    teacher_page = as_user(teacher).get(reverse("api:tokens")).content.decode()
    assert 'value="grades:write"' in teacher_page
    assert 'value="fees:read"' not in teacher_page


def test_a_token_loses_a_scope_when_its_owner_loses_the_role(client, teacher, school, quiz):
    token = made(teacher, "grades:write", "roster:read")
    staff = teacher.staff_profile
    staff.position = "bursar"
    staff.save()
    teacher.__dict__.pop("_roles", None)
    assert Role.TEACHER not in teacher.roles
    response = put(client, f"/assessments/{quiz.pk}/marks/{school.child.pk}", token, {"mark": "10"})
    assert response.status_code == 403
    assert response.json()["code"] == "scope"
    assert get(client, "/me", token).status_code == 200


def test_a_day_s_marks_are_read_in_the_same_queries_however_many(
    client, admin, school, register, queries_exactly
):
    token = made(admin, "attendance:read", "roster:read")
    assert get(client, "/me", token).status_code == 200  # the token's first use is written once
    for number in range(30):
        pupil = f.StudentFactory(first_name=f"Pupil{number}", last_name="Many")
        f.AttendanceRecordFactory(register=register, student=pupil)
    # The token with its owner, the page of marks.
    with queries_exactly(2):
        rows = results(get(client, "/attendance-records", token, date=register.date.isoformat()))
    assert len(rows) == 30


# --- what the API refuses to guess -------------------------------------------------------------------------


def test_what_cannot_be_read_as_sent_is_422_naming_it_never_a_guess_or_a_500(
    client, teacher, school, register
):
    token = made(teacher, "attendance:read", "attendance:write")

    def fields(response) -> set[str]:
        assert response.status_code == 422, response.content
        assert response.json()["code"] == "invalid"
        return {error["field"] for error in response.json()["errors"]}

    # A misspelt filter is not ignored (the caller would read every mark as if it were what they asked for).
    assert fields(get(client, "/attendance-records", token, chnaged_since="2026-01-01T00:00:00Z")) == {
        "chnaged_since"
    }
    # A number is not read as seconds after 1970, nor a day from a timestamp.
    assert fields(get(client, "/attendance-records", token, changed_since="0.5")) == {"changed_since"}
    assert fields(get(client, "/registers", token, date_to="0")) == {"date_to"}
    # NUL characters, which PostgreSQL refuses, in the query and in the body.
    assert fields(get(client, "/attendance-records", token, status="late\x00")) == {"status"}
    path = f"/registers/{register.pk}/marks/{school.child.pk}"
    assert fields(put(client, path, token, {"status": "late", "note": "a\x00b"})) == {""}
    not_json = client.put(f"/api/v1{path}", b"status=late", content_type="application/json", headers=token)
    assert fields(not_json) == {""}
    # An id larger than the database holds.
    assert fields(get(client, f"/registers/{2**70}", token)) == {"register_id"}
    assert fields(get(client, "/attendance-records", token, student=str(2**70))) == {"student"}
    assert not AttendanceRecord.objects.exists()


# --- timetable ----------------------------------------------------------------------------------------------


def test_a_day_s_lessons_are_those_of_the_published_timetable_the_caller_sees(
    client, teacher, guardian, other_guardian, school
):
    ours = f.LessonFactory(offering=school.offering)
    theirs = f.LessonFactory(offering=school.other_offering)
    draft = f.TimetableFactory(year=school.year, status="draft")
    f.LessonFactory(offering=school.offering, timetable=draft, period=ours.period)
    today = timezone.localdate().isoformat()

    def lesson_ids(user) -> set[int]:
        return {row["id"] for row in results(get(client, "/lessons", made(user, "roster:read"), date=today))}

    assert lesson_ids(teacher) == {ours.pk}
    assert lesson_ids(guardian) == {ours.pk}
    assert lesson_ids(other_guardian) == {theirs.pk}
    row = results(get(client, "/lessons", made(teacher, "roster:read")))[0]
    assert (row["class_id"], row["period_id"], row["length"]) == (school.offering.pk, ours.period_id, 1)
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    assert results(get(client, "/lessons", made(teacher, "roster:read"), date=tomorrow)) == []
    periods = results(get(client, "/periods", made(guardian, "roster:read")))
    assert {row["id"] for row in periods} == {ours.period_id, theirs.period_id}
