"""Changing, copying and deleting homework: the gradebook column kept in step, lateness re-reckoned, copies
sharing a lineage with their files copied, deletion keeping or dropping marks, and two tabs never
overwriting each other silently."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from modules.assignments import setting
from modules.assignments.models import Assignment, AssignmentFile, Submission
from modules.exams.models import Assessment, AssessmentCategory, AssessmentKind, Mark
from tests import factories as f
from tests.assignments.test_setting import form_data, in_days, local

CREATE = reverse("assignments:teacher_create")


def edit_url(assignment) -> str:
    return reverse("assignments:teacher_edit", args=[assignment.pk])


def _graded(school, teacher, **overrides) -> Assignment:
    fields = setting.AssignmentFields(
        **{
            "title": "Essay",
            "opens_at": in_days(-1),
            "due_at": in_days(7),
            "max_score": Decimal(20),
            "publish_at": timezone.now(),
            **overrides,
        }
    )
    return setting.assignments_create(offerings=[school.offering], fields=fields, by=teacher)[0]


def _edit_data(school, assignment, client, **overrides) -> dict:
    """What the edit page sends back as it was drawn (its stale-edit base included), with `overrides`."""
    page = client.get(edit_url(assignment))
    form = page.context["form"]
    data = form_data(
        school,
        title=assignment.title,
        due_at=local(assignment.due_at),
        opens_at=local(assignment.opens_at),
        max_score=str(assignment.assessment.max_score) if assignment.assessment_id else "",
        grading="graded" if assignment.assessment_id else "not_graded",
        allowed_extensions=assignment.extensions(),
        late_penalty_percent=str(assignment.late_penalty_percent),
        instructions=assignment.instructions,
    )
    del data["offerings"]
    data["edit_base"] = form["edit_base"].value()
    data.update(overrides)
    return data


# --- editing ----------------------------------------------------------------------------------------------


def test_it_keeps_the_gradebook_column_in_step(school, teacher, as_user):
    assignment = _graded(school, teacher)
    homework = AssessmentCategory.objects.create(offering=school.offering, name="Homework", weight=100)
    later_term = f.TermFactory(year=school.year, name="Term 2", start_date=in_days(20).date())
    school.term.end_date = in_days(19).date()
    school.term.save()
    client = as_user(teacher)
    due = in_days(25)

    response = client.post(
        edit_url(assignment),
        _edit_data(
            school,
            assignment,
            client,
            title="Essay on rivers",
            max_score="30",
            due_at=local(due),
            **{f"category_{school.offering.pk}": homework.pk},
        ),
    )

    assert response.status_code == 302
    assignment.refresh_from_db()
    assessment = Assessment.objects.get()
    assert assignment.title == "Essay on rivers"
    assert assignment.term == later_term
    assert assessment.pk == assignment.assessment_id
    assert assessment.name == "Essay on rivers"
    assert assessment.max_score == Decimal(30)
    assert assessment.category == homework
    assert assessment.term == later_term
    assert assessment.date == due.date()
    assert assessment.kind == AssessmentKind.HOMEWORK


def test_it_drops_the_gradebook_column_of_homework_made_not_graded(school, teacher, as_user):
    assignment = _graded(school, teacher)
    client = as_user(teacher)

    response = client.post(edit_url(assignment), _edit_data(school, assignment, client, grading="not_graded"))

    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.assessment is None
    assert not Assessment.objects.exists()


def test_it_keeps_homework_with_marks_graded(school, teacher, as_user):
    assignment = _graded(school, teacher)
    f.MarkFactory(assessment=assignment.assessment, student=school.child, score=12, max_score=20)
    client = as_user(teacher)

    response = client.post(edit_url(assignment), _edit_data(school, assignment, client, grading="not_graded"))

    assert response.status_code == 422
    assert "Marks for it are already in the gradebook" in response.content.decode()
    assignment.refresh_from_db()
    assert assignment.assessment is not None


def test_it_refuses_a_maximum_below_a_mark_given(school, teacher, as_user):
    assignment = _graded(school, teacher)
    f.MarkFactory(assessment=assignment.assessment, student=school.child, score=18, max_score=20)
    client = as_user(teacher)

    response = client.post(
        edit_url(assignment), _edit_data(school, assignment, client, title="Renamed", max_score="10")
    )

    assert response.status_code == 422
    assert "the maximum cannot be lower than that" in response.content.decode()
    assignment.refresh_from_db()
    assert assignment.title == "Essay"  # nothing half-written
    assert Assessment.objects.get().max_score == Decimal(20)


def test_it_makes_ungraded_homework_graded(school, teacher, as_user):
    assignment = _graded(school, teacher, max_score=None)
    client = as_user(teacher)
    data = _edit_data(school, assignment, client, grading="graded", max_score="15")

    assert client.post(edit_url(assignment), data).status_code == 302

    assignment.refresh_from_db()
    assert assignment.assessment.max_score == Decimal(15)
    assert assignment.assessment.offering == school.offering


def test_a_later_due_date_makes_late_work_on_time(school, teacher, as_user):
    assignment = _graded(school, teacher, opens_at=in_days(-5), due_at=in_days(-2))
    handed = Submission.objects.create(
        assignment=assignment,
        student=school.child,
        submitted_at=timezone.now() - datetime.timedelta(days=1),
        version=1,
        is_late=True,
        days_late=1,
    )
    client = as_user(teacher)

    client.post(edit_url(assignment), _edit_data(school, assignment, client, due_at=local(in_days(3))))

    handed.refresh_from_db()
    assert (handed.is_late, handed.days_late) == (False, 0)


def test_it_adds_and_removes_files(school, teacher, as_user, django_capture_on_commit_callbacks):
    assignment = _graded(school, teacher)
    old = AssignmentFile(
        assignment=assignment, name="old.txt", size=3, sha256="0" * 64, content_type="text/plain"
    )
    old.file.save("old.txt", ContentFile(b"old"), save=False)
    old.save()
    stored_name = old.file.name
    client = as_user(teacher)
    data = _edit_data(school, assignment, client, remove_files=[old.pk])
    data["attachments"] = [SimpleUploadedFile("new.txt", b"new sheet")]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(edit_url(assignment), data)

    assert response.status_code == 302
    assert list(assignment.files.values_list("name", flat=True)) == ["new.txt"]
    assert not old.file.storage.exists(stored_name)


def test_two_tabs_do_not_overwrite_each_other(school, teacher, as_user):
    assignment = _graded(school, teacher)
    client = as_user(teacher)
    first = _edit_data(school, assignment, client, title="First tab's title")
    second = _edit_data(school, assignment, client, title="Second tab's title")

    assert client.post(edit_url(assignment), first).status_code == 302
    response = client.post(edit_url(assignment), second)

    assert response.status_code == 422
    assert "Someone else changed this to “First tab&#x27;s title”" in response.content.decode()
    assert 'value="Second tab&#x27;s title"' in response.content.decode()  # kept, not saved
    assignment.refresh_from_db()
    assert assignment.title == "First tab's title"


def test_it_keeps_a_published_assignment_published(school, teacher, as_user):
    assignment = _graded(school, teacher)
    published_at = assignment.published_at
    client = as_user(teacher)

    page = client.get(edit_url(assignment)).content.decode()
    data = _edit_data(school, assignment, client, publish="draft", title="Still out")

    assert 'name="publish"' not in page
    assert client.post(edit_url(assignment), data).status_code == 302
    assignment.refresh_from_db()
    assert assignment.published_at == published_at


# --- copying ----------------------------------------------------------------------------------------------


def test_it_copies_last_years_homework_into_this_year(school, teacher, as_user):
    last_year = f.AcademicYearFactory(
        name="Last year",
        start_date=school.year.start_date.replace(year=school.year.start_date.year - 1),
        end_date=school.year.end_date.replace(year=school.year.end_date.year - 1),
        is_current=False,
    )
    old_term = f.TermFactory(year=last_year, name="Old term")
    old_section = f.SectionFactory(year=last_year, grade_level=school.section.grade_level, name="6A")
    old_offering = f.CourseOfferingFactory(
        subject=school.offering.subject, section=old_section, teacher=school.teacher_staff
    )
    old_homework = AssessmentCategory.objects.create(offering=old_offering, name="Homework", weight=100)
    homework = AssessmentCategory.objects.create(offering=school.offering, name="Homework", weight=100)
    due = in_days(-360)
    old_assessment = f.AssessmentFactory(
        offering=old_offering, term=old_term, max_score=25, category=old_homework, kind="homework"
    )
    source = f.AssignmentFactory(
        offering=old_offering,
        term=old_term,
        title="Volcanoes",
        instructions="Draw one.",
        opens_at=due - datetime.timedelta(days=7),
        due_at=due,
        assessment=old_assessment,
        late_policy="refuse",
    )
    sheet = AssignmentFile(
        assignment=source, name="map.txt", size=4, sha256="1" * 64, content_type="text/plain"
    )
    sheet.file.save("map.txt", ContentFile(b"map!"), save=False)
    sheet.save()
    client = as_user(teacher)

    page = client.get(f"{CREATE}?from={source.pk}")
    form = page.context["form"]
    assert form.initial["title"] == "Volcanoes"
    assert form.initial["due_at"].weekday() == timezone.localtime(due).weekday()
    assert school.year.start_date <= timezone.localdate(form.initial["due_at"]) <= school.year.end_date
    assert form.initial[f"category_{school.offering.pk}"] == homework.pk
    assert form.initial["keep_files"] == [sheet.pk]

    data = form_data(
        school,
        title="Volcanoes",
        instructions="Draw one.",
        late_policy="refuse",
        max_score="25",
        keep_files=[sheet.pk],
        **{f"category_{school.offering.pk}": homework.pk},
    )
    response = client.post(f"{CREATE}?from={source.pk}", data)

    assert response.status_code == 302
    copy = Assignment.objects.exclude(pk=source.pk).get()
    assert copy.lineage == source.lineage
    assert copy.copied_from == source
    assert copy.offering == school.offering
    assert copy.assessment.category == homework
    assert copy.assessment.max_score == Decimal(25)
    assert copy.assessment != source.assessment
    copied = copy.files.get()
    assert copied.name == "map.txt"
    assert copied.file.name != sheet.file.name
    assert copied.file.read() == b"map!"


def test_it_copies_to_another_class_of_the_teacher(school, teacher, as_user):
    physics = f.CourseOfferingFactory(section=school.other_section, teacher=school.teacher_staff)
    source = _graded(school, teacher)
    client = as_user(teacher)

    response = client.post(
        f"{CREATE}?from={source.pk}", form_data(school, title="Essay", offerings=[physics.pk])
    )

    assert response.status_code == 302
    copy = Assignment.objects.get(offering=physics)
    assert copy.lineage == source.lineage
    assert copy.assessment.offering == physics
    page = client.get(reverse("assignments:teacher_detail", args=[source.pk])).content.decode()
    assert "Also set for" in page
    assert reverse("assignments:teacher_detail", args=[copy.pk]) in page


def test_it_does_not_copy_another_assignments_files(school, teacher):
    source = _graded(school, teacher)
    other = f.AssignmentFactory(offering=school.other_offering, term=school.term)
    foreign = AssignmentFile(
        assignment=other, name="x.txt", size=1, sha256="2" * 64, content_type="text/plain"
    )
    foreign.file.save("x.txt", ContentFile(b"x"), save=False)
    foreign.save()
    fields = setting.AssignmentFields(title="Copy", opens_at=in_days(0), due_at=in_days(3))

    copy = setting.assignment_copy(
        source=source, offerings=[school.offering], fields=fields, by=teacher, keep_files=[foreign]
    )[0]

    assert not copy.files.exists()


def test_the_copy_picker_lists_only_the_teachers_own(school, teacher, as_user):
    f.AssignmentFactory(offering=school.offering, term=school.term, title="Mine to copy")
    f.AssignmentFactory(offering=school.other_offering, term=school.term, title="Someone else's")

    page = as_user(teacher).get(reverse("assignments:teacher_copy_pick")).content.decode()
    found = as_user(teacher).get(
        reverse("assignments:teacher_copy_pick"), {"q": "nothing like it"}, headers={"HX-Request": "true"}
    )

    assert "Mine to copy" in page
    assert "Someone else" not in page
    assert "No assignment of yours has that in its title." in found.content.decode()
    assert "<html" not in found.content.decode()


# --- deleting ---------------------------------------------------------------------------------------------


def test_it_deletes_homework_with_its_empty_gradebook_column_and_files(
    school, teacher, as_user, django_capture_on_commit_callbacks
):
    assignment = _graded(school, teacher)
    item = AssignmentFile(
        assignment=assignment, name="a.txt", size=1, sha256="3" * 64, content_type="text/plain"
    )
    item.file.save("a.txt", ContentFile(b"a"), save=False)
    item.save()
    storage = item.file.storage
    client = as_user(teacher)

    page = client.get(reverse("assignments:teacher_delete", args=[assignment.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("assignments:teacher_delete", args=[assignment.pk]))

    assert "which has no marks, is removed too" in page.content.decode()
    assert response.url == reverse("assignments:teacher_list")
    assert not Assignment.objects.exists()
    assert not Assessment.objects.exists()
    assert not storage.exists(item.file.name)


@pytest.mark.parametrize("keep", [True, False])
def test_deleting_homework_keeps_its_marks_only_when_asked(school, teacher, as_user, keep):
    assignment = _graded(school, teacher)
    f.MarkFactory(assessment=assignment.assessment, student=school.child, score=12, max_score=20)
    f.SubmissionFactory(assignment=assignment, student=school.child)
    client = as_user(teacher)

    page = client.get(reverse("assignments:teacher_delete", args=[assignment.pk])).content.decode()
    client.post(
        reverse("assignments:teacher_delete", args=[assignment.pk]), {"keep_marks": "on"} if keep else {}
    )

    assert "1 student has handed work in" in page
    assert "Its gradebook column holds 1 mark." in page
    assert not Assignment.objects.exists()
    assert not Submission.objects.exists()
    assert Mark.objects.exists() is keep
    assert Assessment.objects.exists() is keep


# --- Markdown ---------------------------------------------------------------------------------------------


def test_instructions_keep_formatting_and_lose_anything_active():
    from modules.assignments.markdown import markdown_html

    html = markdown_html(
        "**Read** [the text](https://example.org/a) and [this](javascript:alert(1)).\n\n"
        "<script>alert(2)</script><img src=x onerror=alert(3)>\n\n"
        "![outside](https://tracker.example/p.png) ![ours](/homework/attachments/1/)\n\n"
        '<a href="https://example.org" onclick="steal()">x</a>'
    )

    assert "<strong>Read</strong>" in html
    assert '<a href="https://example.org/a" rel="noopener nofollow">the text</a>' in html
    assert "javascript:" not in html
    assert "<script" not in html
    assert "alert(2)" not in html
    assert "onerror" not in html
    assert "onclick" not in html
    assert "tracker.example" not in html
    assert "outside" in html  # the picture's description stays, as text
    assert '<img alt="ours" src="/homework/attachments/1/">' in html


def test_instructions_refuse_a_protocol_relative_image():
    from modules.assignments.markdown import markdown_html

    assert "evil" not in markdown_html("![x](//evil.example/p.png)")
    assert markdown_html("") == ""


def test_it_does_not_drop_marks_of_a_locked_term(school, teacher, admin, as_user):
    from modules.exams.models import TermStatus

    assignment = _graded(school, teacher)
    f.MarkFactory(assessment=assignment.assessment, student=school.child, score=12, max_score=20)
    TermStatus.objects.create(term=school.term, locked_at=timezone.now(), locked_by=admin)
    client = as_user(teacher)

    refused = client.post(reverse("assignments:teacher_delete", args=[assignment.pk]))
    kept = client.post(reverse("assignments:teacher_delete", args=[assignment.pk]), {"keep_marks": "on"})

    assert refused.status_code == 422
    assert "The results of Term 1 are locked" in refused.content.decode()
    assert kept.status_code == 302
    assert not Assignment.objects.exists()
    assert Mark.objects.get().score == 12


def test_editing_a_scheduled_assignment_keeps_or_changes_its_time(school, teacher, as_user):
    assignment = _graded(school, teacher, publish_at=timezone.now() + datetime.timedelta(days=1))
    client = as_user(teacher)
    when = local(timezone.now() + datetime.timedelta(days=2))

    form = client.get(edit_url(assignment)).context["form"]
    response = client.post(
        edit_url(assignment), _edit_data(school, assignment, client, publish="later", publish_at=when)
    )

    assert form.initial["publish"] == "later"
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.published_at is None
    assert local(assignment.publish_at) == when
    Assignment.objects.filter(pk=assignment.pk).update(
        publish_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert client.get(edit_url(assignment)).context["form"].initial["publish"] == "now"
