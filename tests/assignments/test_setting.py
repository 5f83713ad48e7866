"""Setting homework through the teacher's pages: for one or several classes, with its gradebook column, files,
dates in the school's time zone, late policy and publication; and every refusal of bad input."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from modules.assignments import setting
from modules.assignments.events import assignment_published
from modules.assignments.models import Assignment, AssignmentFile
from modules.core.models import AuditEvent
from modules.exams.models import Assessment, AssessmentCategory, AssessmentKind
from tests import factories as f

CREATE = reverse("assignments:teacher_create")


def local(value: datetime.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def in_days(days: int, hour: int = 8) -> datetime.datetime:
    moment = timezone.localtime() + datetime.timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


def form_data(school, **overrides) -> dict:
    data = {
        "offerings": [school.offering.pk],
        "title": "Fractions worksheet",
        "instructions": "Do **all** the exercises.",
        "hand_in": "file",
        "allowed_extensions": ["pdf", "docx"],
        "opens_at": local(in_days(0, 0)),
        "due_at": local(in_days(7)),
        "late_policy": "accept",
        "late_until": "",
        "late_penalty_percent": "10",
        "grading": "graded",
        "max_score": "20",
        "publish": "now",
        "publish_at": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def published():
    """The ids announced by assignment_published, as receivers see them (after commit)."""
    seen: list[int] = []

    def receiver(sender, assignment_id, by, **kwargs):
        seen.append(assignment_id)

    assignment_published.connect(receiver, dispatch_uid="tests.assignments.test_setting.published")
    yield seen
    assignment_published.disconnect(dispatch_uid="tests.assignments.test_setting.published")


@pytest.fixture
def physics(school):
    """A second class of the teacher's, in the other section (7B), with weighted categories."""
    offering = f.CourseOfferingFactory(
        subject=f.SubjectFactory(name="Physics", code="PHYS"),
        section=school.other_section,
        teacher=school.teacher_staff,
    )
    return offering


# --- creating ---------------------------------------------------------------------------------------------


def test_it_sets_homework_for_two_classes_with_their_gradebook_columns(
    school, teacher, physics, as_user, published, django_capture_on_commit_callbacks
):
    homework = AssessmentCategory.objects.create(offering=school.offering, name="Homework", weight=40)
    AssessmentCategory.objects.create(offering=school.offering, name="Tests", weight=60)
    labs = AssessmentCategory.objects.create(offering=physics, name="Labs", weight=100)
    data = form_data(
        school,
        offerings=[school.offering.pk, physics.pk],
        **{f"category_{school.offering.pk}": homework.pk, f"category_{physics.pk}": labs.pk},
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(teacher).post(CREATE, data)

    assert response.status_code == 302
    assert response.url == reverse("assignments:teacher_list")
    maths, lab = Assignment.objects.order_by("offering__subject__name").select_related("assessment")
    assert (maths.offering, lab.offering) == (school.offering, physics)
    assert maths.lineage == lab.lineage
    assert maths.allowed_extensions == "pdf,docx"
    assert maths.late_penalty_percent == Decimal("10")
    assert maths.published_at is not None
    assert maths.term == school.term
    assert maths.assessment.kind == AssessmentKind.HOMEWORK
    assert maths.assessment.max_score == Decimal("20")
    assert maths.assessment.category == homework
    assert lab.assessment.category == labs
    assert maths.assessment.offering == school.offering
    assert lab.assessment.offering == physics
    assert maths.assessment.date == timezone.localdate(maths.due_at)
    assert maths.assessment.name == "Fractions worksheet"
    assert sorted(published) == sorted([maths.pk, lab.pk])
    assert AuditEvent.objects.filter(action="assignment.create").count() == 2
    assert AuditEvent.objects.filter(action="assessment.create").count() == 2


def test_it_opens_the_assignment_page_after_setting_it_for_one_class(school, teacher, as_user):
    response = as_user(teacher).post(
        CREATE, form_data(school, instructions="Read <script>x()</script>**p. 4**")
    )

    assignment = Assignment.objects.get()
    assert response.url == reverse("assignments:teacher_detail", args=[assignment.pk])
    page = as_user(teacher).get(response.url).content.decode()
    assert "<strong>p. 4</strong>" in page
    assert "<script>x()" not in page


def test_it_sets_ungraded_homework_without_a_gradebook_column(school, teacher, as_user):
    response = as_user(teacher).post(CREATE, form_data(school, grading="not_graded", max_score=""))

    assert response.status_code == 302
    assert Assignment.objects.get().assessment is None
    assert not Assessment.objects.exists()


@override_settings(TIME_ZONE="Europe/Madrid")
def test_it_reads_the_dates_in_the_school_time_zone(school, teacher, as_user):
    due = in_days(5)
    as_user(teacher).post(CREATE, form_data(school, due_at=due.strftime("%Y-%m-%dT18:30")))

    stored = Assignment.objects.get().due_at
    assert stored == datetime.datetime.combine(
        due.date(), datetime.time(18, 30), tzinfo=ZoneInfo("Europe/Madrid")
    )
    page = as_user(teacher).get(reverse("assignments:teacher_edit", args=[Assignment.objects.get().pk]))
    assert due.strftime("%Y-%m-%dT18:30") in page.content.decode()


def test_it_schedules_publication_and_the_queue_publishes_it_once(
    school, teacher, as_user, published, django_capture_on_commit_callbacks
):
    when = timezone.localtime() + datetime.timedelta(hours=3)
    as_user(teacher).post(CREATE, form_data(school, publish="later", publish_at=local(when)))
    assignment = Assignment.objects.get()
    assert assignment.published_at is None
    assert assignment.publish_at is not None
    assert not Assignment.objects.visible_to(school.child.user).exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert setting.assignments_publish_due(now=timezone.now()) == 0
        assert setting.assignments_publish_due(now=timezone.now() + datetime.timedelta(hours=4)) == 1
        assert setting.assignments_publish_due(now=timezone.now() + datetime.timedelta(hours=5)) == 0

    assignment.refresh_from_db()
    assert assignment.published_at is not None
    assert published == [assignment.pk]


def test_it_keeps_a_draft_from_students_until_published_by_hand(
    school, teacher, as_user, published, django_capture_on_commit_callbacks
):
    as_user(teacher).post(CREATE, form_data(school, publish="draft"))
    assignment = Assignment.objects.get()
    assert assignment.publish_at is None
    assert assignment.published_at is None
    assert setting.assignments_publish_due(now=timezone.now() + datetime.timedelta(days=30)) == 0

    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(teacher).post(reverse("assignments:teacher_publish", args=[assignment.pk]))
        again = as_user(teacher).post(reverse("assignments:teacher_publish", args=[assignment.pk]))

    assert response.status_code == again.status_code == 302
    assert published == [assignment.pk]
    assert Assignment.objects.visible_to(school.child.user).get() == assignment


def test_it_attaches_files_and_serves_them_as_downloads_to_the_class(
    school, teacher, student, guardian, other_guardian, as_user
):
    sheet = SimpleUploadedFile("sheet.txt", b"1. 3/4 + 1/4 =", content_type="text/plain")
    as_user(teacher).post(CREATE, {**form_data(school), "attachments": [sheet]})
    item = AssignmentFile.objects.get()
    assert item.name == "sheet.txt"
    assert item.size == 14
    assert len(item.sha256) == 64
    assert "sheet" not in item.file.name  # a random stored name
    url = reverse("assignments:attachment", args=[item.pk])

    response = as_user(student).get(url)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"1. 3/4 + 1/4 ="
    assert as_user(guardian).get(url).status_code == 200
    assert as_user(other_guardian).get(url).status_code == 404


def test_it_hides_the_files_of_a_draft_from_students(school, teacher, student, as_user):
    sheet = SimpleUploadedFile("sheet.txt", b"secret answers", content_type="text/plain")
    as_user(teacher).post(CREATE, {**form_data(school, publish="draft"), "attachments": [sheet]})

    url = reverse("assignments:attachment", args=[AssignmentFile.objects.get().pk])

    assert as_user(student).get(url).status_code == 404
    assert as_user(teacher).get(url).status_code == 200


# --- bad input --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"due_at": local(in_days(-1))}, "The due time must be after the time it opens."),
        ({"late_until": local(in_days(6))}, "The cut-off for late work must be after the due time."),
        ({"late_penalty_percent": "101"}, "The penalty per day must be between 0 and 100%."),
        ({"late_penalty_percent": "-1"}, "The penalty per day must be between 0 and 100%."),
        ({"max_score": ""}, "Give the maximum score, or choose “Not graded”."),
        ({"max_score": "0"}, "The maximum score must be more than 0."),
        ({"title": "   "}, "Give the assignment a title."),
        ({"allowed_extensions": ["exe"]}, "The portal does not accept .exe files."),
        ({"publish": "later", "publish_at": ""}, "Choose when to publish it."),
        ({"publish": "later", "publish_at": local(in_days(8))}, "Publish it before it is due."),
        (
            {"publish": "later", "publish_at": local(in_days(-2))},
            "Choose a time still to come, or publish now.",
        ),
        ({"due_at": "next friday"}, "Type a date and time."),
        ({"due_at": local(in_days(800))}, "The due date falls outside"),
    ],
)
def test_it_refuses_bad_input_with_a_message_and_writes_nothing(school, teacher, as_user, overrides, message):
    data = form_data(school, **overrides)

    response = as_user(teacher).post(CREATE, data)

    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Assignment.objects.exists()
    assert not Assessment.objects.exists()
    # What was typed is kept.
    assert "Do **all** the exercises." in response.content.decode()


def test_it_refuses_a_class_not_theirs(school, teacher, as_user):
    response = as_user(teacher).post(CREATE, form_data(school, offerings=[school.other_offering.pk]))

    assert response.status_code == 422
    assert "Choose among your own classes." in response.content.decode()
    assert not Assignment.objects.exists()


def test_it_refuses_a_category_of_another_class(school, teacher, physics, as_user):
    AssessmentCategory.objects.create(offering=school.offering, name="Homework", weight=100)
    theirs = AssessmentCategory.objects.create(offering=physics, name="Labs", weight=100)
    other = AssessmentCategory.objects.create(offering=school.other_offering, name="Essays", weight=100)

    for category in (theirs, other):
        response = as_user(teacher).post(
            CREATE, form_data(school, **{f"category_{school.offering.pk}": category.pk})
        )
        assert response.status_code == 422
        assert "Choose one of this class&#x27;s own categories." in response.content.decode()
    assert not Assignment.objects.exists()


def test_the_service_refuses_a_category_of_another_class(school, teacher, physics):
    labs = AssessmentCategory.objects.create(offering=physics, name="Labs", weight=100)
    fields = setting.AssignmentFields(
        title="Lab report", opens_at=in_days(0), due_at=in_days(7), max_score=Decimal(10)
    )

    with pytest.raises(setting.SettingError) as refused:
        setting.assignments_create(
            offerings=[school.offering], fields=fields, categories={school.offering.pk: labs}, by=teacher
        )

    assert refused.value.field == "category"
    assert not Assignment.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "page.html",
            b"<html><script>alert(1)</script></html>",
            "page.html is not an accepted kind of file.",
        ),
        ("fake.pdf", b"MZ\x90\x00 not a pdf", "fake.pdf is not really a .pdf file."),
        ("empty.txt", b"", "empty.txt is empty."),
    ],
)
def test_it_refuses_a_disallowed_file_and_keeps_nothing(school, teacher, as_user, name, content, message):
    upload = SimpleUploadedFile(name, content)

    response = as_user(teacher).post(CREATE, {**form_data(school), "attachments": [upload]})

    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Assignment.objects.exists()
    assert not AssignmentFile.objects.exists()


def test_it_refuses_a_file_over_the_school_limit(school, teacher, as_user):
    from modules.assignments.models import HomeworkPolicy

    policy = HomeworkPolicy.current()
    policy.max_file_bytes = 1024
    policy.save()
    upload = SimpleUploadedFile("long.txt", b"a" * 2000)

    response = as_user(teacher).post(CREATE, {**form_data(school), "attachments": [upload]})

    assert response.status_code == 422
    assert "long.txt is too large" in response.content.decode()
    assert not Assignment.objects.exists()


def test_it_refuses_a_graded_assignment_in_a_locked_term(school, teacher, admin, as_user):
    from modules.exams.models import TermStatus

    TermStatus.objects.create(term=school.term, locked_at=timezone.now(), locked_by=admin)

    response = as_user(teacher).post(CREATE, form_data(school))

    assert response.status_code == 422
    assert "The results of Term 1 are locked" in response.content.decode()
    assert not Assignment.objects.exists()
    assert not Assessment.objects.exists()


# --- access -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["teacher_list", "teacher_create", "teacher_copy_pick"])
def test_it_refuses_everyone_but_teachers(name, school, student, guardian, bursar, admin, as_user):
    for user in (student, guardian, bursar, admin):
        assert as_user(user).get(reverse(f"assignments:{name}")).status_code == 403


def test_it_answers_405_to_the_wrong_method(school, teacher, as_user):
    assignment = f.AssignmentFactory(offering=school.offering, term=school.term, published_at=None)
    client = as_user(teacher)

    assert client.put(CREATE).status_code == 405
    assert client.post(reverse("assignments:teacher_list")).status_code == 405
    assert client.get(reverse("assignments:teacher_publish", args=[assignment.pk])).status_code == 405
    assert client.delete(reverse("assignments:teacher_delete", args=[assignment.pk])).status_code == 405
    assert client.post(reverse("assignments:teacher_detail", args=[assignment.pk])).status_code == 405
    assert client.post(reverse("assignments:teacher_calendar_load")).status_code == 405
    assignment.refresh_from_db()
    assert assignment.published_at is None


def test_another_teacher_gets_404_on_each_page_of_an_assignment(school, other_teacher, as_user):
    assignment = f.AssignmentFactory(offering=school.offering, term=school.term, published_at=None)
    client = as_user(other_teacher)

    for name in ("teacher_detail", "teacher_edit", "teacher_delete"):
        assert client.get(reverse(f"assignments:{name}", args=[assignment.pk])).status_code == 404
    assert client.post(reverse("assignments:teacher_publish", args=[assignment.pk])).status_code == 404
    assert client.post(reverse("assignments:teacher_delete", args=[assignment.pk])).status_code == 404
    assert client.get(f"{CREATE}?from={assignment.pk}").status_code == 404
    assert (
        client.get(reverse("assignments:teacher_calendar_load"), {"assignment": assignment.pk}).status_code
        == 404
    )
    assignment.refresh_from_db()
    assert assignment.published_at is None


# --- the list ---------------------------------------------------------------------------------------------


def _hand_ins(assignment, students, *, returned=0):
    now = timezone.now()
    for index, student in enumerate(students):
        f.SubmissionFactory(
            assignment=assignment, student=student, returned_at=now if index < returned else None
        )


def test_it_lists_each_class_with_counts_handed_in_and_to_mark(school, teacher, physics, as_user):
    pupils = [school.child] + [f.StudentFactory() for _ in range(3)]
    for pupil in pupils[1:]:
        f.EnrollmentFactory(student=pupil, section=school.section)
    essay = f.AssignmentFactory(offering=school.offering, term=school.term, title="Essay")
    _hand_ins(essay, pupils[:3], returned=1)
    f.AssignmentFactory(offering=physics, term=school.term, title="Lab report", published_at=None)
    f.AssignmentFactory(offering=school.other_offering, term=school.term, title="Not mine")

    page = as_user(teacher).get(reverse("assignments:teacher_list")).content.decode()

    assert "Mathematics · 7A" in page
    assert "Physics · 7B" in page
    assert "Essay" in page
    assert "Lab report" in page
    assert "Not mine" not in page
    assert "3 of 4" in page  # handed in, of the class's students
    assert '<span class="badge text-bg-primary">2</span>' in page  # to mark: handed in, not returned
    assert "Draft" in page
    assert reverse("assignments:inbox", args=[essay.pk]) in page


def test_the_list_takes_the_same_queries_however_many_assignments_and_hand_ins(
    school, teacher, physics, as_user, queries_exactly
):
    client = as_user(teacher)
    url = reverse("assignments:teacher_list")
    f.AssignmentFactory(offering=school.offering, term=school.term)
    client.get(url)  # the session and the user are cached from here on

    with queries_exactly(5):
        assert client.get(url).status_code == 200

    for _ in range(4):
        assignment = f.AssignmentFactory(offering=school.offering, term=school.term)
        _hand_ins(assignment, [school.child], returned=1)
        f.AssignmentFactory(
            offering=physics,
            term=school.term,
            assessment=f.AssessmentFactory(offering=physics, term=school.term),
        )
    with queries_exactly(5):
        assert client.get(url).status_code == 200


# --- the calendar load ------------------------------------------------------------------------------------


def test_it_shows_what_else_the_class_has_due_that_day_and_week(school, teacher, as_user):
    due = in_days(14, hour=9)
    monday = due - datetime.timedelta(days=due.weekday())
    history = f.CourseOfferingFactory(subject=f.SubjectFactory(name="Geography"), section=school.section)
    f.AssignmentFactory(offering=history, term=school.term, due_at=due.replace(hour=17))
    f.AssignmentFactory(
        offering=school.offering, term=school.term, due_at=due.replace(hour=8), published_at=None
    )
    f.AssignmentFactory(
        offering=history, term=school.term, due_at=monday + datetime.timedelta(days=7, hours=1)
    )
    other_day = due + datetime.timedelta(days=1) if due.weekday() < 6 else due - datetime.timedelta(days=1)
    f.AssignmentFactory(offering=history, term=school.term, due_at=other_day)
    f.AssignmentFactory(offering=school.other_offering, term=school.term, due_at=due)  # 7B: not this class

    response = as_user(teacher).get(
        reverse("assignments:teacher_calendar_load"),
        {"due_at": local(due), "offerings": [school.offering.pk]},
        headers={"HX-Request": "true"},
    )

    text = " ".join(response.content.decode().split())
    assert "<html" not in text  # the fragment only
    assert "2 due that day (Geography, Mathematics)" in text
    assert "3 that week" in text


def test_the_calendar_load_ignores_a_class_not_theirs(school, teacher, as_user):
    f.AssignmentFactory(offering=school.other_offering, term=school.term, due_at=in_days(3))

    response = as_user(teacher).get(
        reverse("assignments:teacher_calendar_load"),
        {"due_at": local(in_days(3)), "offerings": [school.other_offering.pk]},
    )

    assert "due that day" not in response.content.decode()
    assert "7B" not in response.content.decode()


def test_the_form_shows_the_load_of_the_due_date_it_was_sent_with(school, teacher, as_user):
    due = in_days(10)
    f.AssignmentFactory(offering=school.offering, term=school.term, due_at=due)

    response = as_user(teacher).post(CREATE, form_data(school, due_at=local(due), title=""))

    assert response.status_code == 422
    assert "1 due that day (Mathematics)" in " ".join(response.content.decode().split())


def test_the_form_takes_the_same_queries_however_many_classes_and_categories(
    school, teacher, physics, as_user, queries_exactly
):
    client = as_user(teacher)
    AssessmentCategory.objects.create(offering=school.offering, name="Homework", weight=100)
    f.AssignmentFactory(offering=school.offering, term=school.term, due_at=in_days(7))
    url = f"{CREATE}?offering={school.offering.pk}"
    client.get(url)

    with queries_exactly(7):
        assert client.get(url).status_code == 200

    for name in ("Chemistry", "Biology", "Art"):
        offering = f.CourseOfferingFactory(
            subject=f.SubjectFactory(name=name), section=school.section, teacher=school.teacher_staff
        )
        AssessmentCategory.objects.create(offering=offering, name="Homework", weight=100)
    with queries_exactly(7):
        assert client.get(url).status_code == 200


def test_the_assignment_page_takes_a_fixed_number_of_queries(school, teacher, as_user, queries_exactly):
    client = as_user(teacher)
    assignment = f.AssignmentFactory(offering=school.offering, term=school.term)
    url = reverse("assignments:teacher_detail", args=[assignment.pk])
    client.get(url)

    with queries_exactly(7):
        assert client.get(url).status_code == 200
