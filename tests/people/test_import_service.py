"""The import service: the dry run finds every problem in plain words and writes nothing; the commit
writes everything in one transaction, in a fixed number of queries, and only once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from modules.academics.importing import (
    IMPORT_COLUMNS,
    import_job_create,
    student_import_commit,
    student_import_validate,
)
from modules.academics.models import Enrollment
from modules.core.models import AuditEvent, Job, JobStatus
from modules.people.models import Guardian, GuardianLink, Student
from tests import factories as f
from tests.people.test_import_files import csv_upload, student_row, xlsx_upload


def dry_run(admin, rows, **kwargs) -> Job:
    job = import_job_create(owner=admin, upload=xlsx_upload(rows, **kwargs))
    student_import_validate(job=job)
    job.refresh_from_db()
    return job


def errors_of(job: Job) -> list[str]:
    return [*job.result["file_errors"], *(error for row in job.result["rows"] for error in row["errors"])]


@pytest.fixture
def counts():
    def snapshot():
        return (
            Student.objects.count(),
            Guardian.objects.count(),
            GuardianLink.objects.count(),
            Enrollment.objects.count(),
        )

    return snapshot


def test_it_documents_the_columns_with_required_flags():
    required = [column.name for column in IMPORT_COLUMNS if column.required]
    assert required == ["admission_number", "first_name", "last_name", "date_of_birth"]
    names = [column.name for column in IMPORT_COLUMNS]
    assert "guardian2_relationship" in names
    assert "section" in names


def test_it_reports_each_row_problem_in_plain_words(admin, school, counts):
    before = counts()
    rows = [
        student_row(1),
        student_row(2, admission_number="a-0001"),  # Sam Parent's number, in another case
        student_row(3, date_of_birth="31/02/2010"),
        student_row(4, section="9Z"),
        student_row(5, email="not-an-email"),
        student_row(6, guardian1_relationship="uncle"),
        student_row(7, guardian1_first_name="", guardian1_last_name="", guardian1_email="nobody@family.test"),
        student_row(8, admission_number="N0001"),
        student_row(9, first_name="", gender="Q"),
        student_row(10, guardian1_email="bad@", date_of_birth="2999-01-01"),
        student_row(
            11, guardian2_email="parent11@family.test", guardian2_first_name="Dup", guardian2_last_name="Dup"
        ),
    ]
    job = dry_run(admin, rows)
    errors = errors_of(job)
    assert "Row 3: admission number A-0001 is already used by Sam Parent." in errors
    assert (
        "Row 4: date of birth '31/02/2010' is not a valid date (write it as YYYY-MM-DD or DD/MM/YYYY)."
        in errors
    )
    assert "Row 5: section '9Z' does not exist this year." in errors
    assert "Row 6: email 'not-an-email' is not a valid email address." in errors
    assert any(
        e.startswith("Row 7: guardian 1 relationship 'uncle' is not one of: mother, father") for e in errors
    )
    assert "Row 8: guardian 1 has no first and last name." in errors
    assert "Row 2 and row 9 have the same admission number N0001." in errors
    assert "Row 10: first name is missing." in errors
    assert "Row 10: gender 'Q' is not F, M or X." in errors
    assert "Row 11: guardian 1 email 'bad@' is not a valid email address." in errors
    assert "Row 11: date of birth 2999-01-01 is in the future." in errors
    assert "Row 12: guardian 1 and guardian 2 have the same email parent11@family.test." in errors
    assert job.result["error_count"] == len(errors) == 12
    assert job.status == JobStatus.SUCCEEDED
    assert job.payload["phase"] == "preview"
    assert counts() == before


def test_it_reuses_guardians_by_email_within_the_file_and_from_the_portal(admin, school):
    rows = [
        student_row(1, guardian1_email="Shared@Family.test"),
        student_row(2, guardian1_email="shared@family.test", guardian1_first_name="", guardian1_last_name=""),
        student_row(3, guardian1_email="PARENT@school.test", guardian1_first_name="", guardian1_last_name=""),
    ]
    job = dry_run(admin, rows)
    assert errors_of(job) == []
    first, second, third = (row["guardians"][0] for row in job.result["rows"])
    assert first["existing_id"] is None
    assert first["same_as_row"] is None
    assert second["same_as_row"] == 2
    assert third["existing_id"] == school.guardian_profile.pk
    assert third["existing_name"] == "Pat Parent"
    assert job.result["summary"] == {
        "students": 3,
        "enrollments": 3,
        "new_guardians": 1,
        "existing_guardians": 1,
        "links": 3,
    }


def test_it_commits_everything_with_links_enrollments_and_one_audit_event(admin, school):
    rows = [
        student_row(
            1, guardian2_first_name="Dad", guardian2_last_name="One", guardian2_relationship="Father"
        ),
        student_row(2, guardian1_email="parent1@family.test", section="7b"),
        student_row(3, guardian1_email="parent@school.test", section="", gender=""),
    ]
    job = dry_run(admin, rows)
    student_import_commit(job=job)
    job.refresh_from_db()
    assert job.payload["phase"] == "imported"
    assert job.status == JobStatus.SUCCEEDED
    first = Student.objects.get(admission_number="N0001")
    assert first.enrollments.get().section == school.section
    links = list(first.guardian_links.select_related("guardian").order_by("-is_primary"))
    assert [(link.guardian.first_name, link.relationship, link.is_primary) for link in links] == [
        ("Parent1", "mother", True),
        ("Dad", "father", False),
    ]
    second = Student.objects.get(admission_number="N0002")
    assert second.enrollments.get().section == school.other_section
    assert second.guardian_links.get().guardian == links[0].guardian  # siblings share one guardian
    third = Student.objects.get(admission_number="N0003")
    assert third.gender == "X"
    assert not third.enrollments.exists()
    assert third.guardian_links.get().guardian == school.guardian_profile
    assert Guardian.objects.filter(email="parent1@family.test").count() == 1
    event = AuditEvent.objects.get(action="student.import")
    assert event.actor == admin
    assert event.object_id == str(job.pk)
    assert event.after["students"] == 3
    assert event.after["guardians_created"] == 2
    assert job.result["imported"]["guardians_reused"] == 1
    assert job.payload["path"] == ""  # the uploaded copy is not kept once imported


def test_it_does_not_import_twice(admin, school):
    job = dry_run(admin, [student_row(1)])
    student_import_commit(job=job)
    student_import_commit(job=job)
    assert Student.objects.filter(admission_number="N0001").count() == 1
    assert AuditEvent.objects.filter(action="student.import").count() == 1


def test_it_refuses_to_commit_a_dry_run_with_problems(admin, school, counts):
    before = counts()
    job = dry_run(admin, [student_row(1), student_row(2, section="9Z")])
    student_import_commit(job=job)
    job.refresh_from_db()
    assert job.payload["phase"] == "preview"
    assert counts() == before


def test_it_refuses_to_commit_before_the_dry_run(admin, school, counts):
    before = counts()
    job = import_job_create(owner=admin, upload=xlsx_upload([student_row(1)]))
    student_import_commit(job=job)
    assert counts() == before


def test_it_leaves_nothing_when_the_data_changed_since_the_dry_run(admin, school, counts):
    job = dry_run(admin, [student_row(1), student_row(2)])
    f.StudentFactory(admission_number="N0002", first_name="Late", last_name="Comer")
    before = counts()
    student_import_commit(job=job)
    job.refresh_from_db()
    assert counts() == before
    assert job.payload["phase"] == "preview"
    assert "row 3 was valid in the dry run but has a problem now" in job.message
    assert "Row 3: admission number N0002 is already used by Late Comer." in errors_of(job)


def test_it_leaves_nothing_when_the_write_fails_half_way(admin, school, counts, monkeypatch):
    job = dry_run(admin, [student_row(1), student_row(2)])
    before = counts()

    def refuse(*args, **kwargs):
        from django.db import IntegrityError

        raise IntegrityError("enrollment refused")

    # The last write (enrollments) fails after students, guardians and links were inserted.
    monkeypatch.setattr(Enrollment.objects, "bulk_create", refuse)
    student_import_commit(job=job)
    job.refresh_from_db()
    assert counts() == before
    assert job.status == JobStatus.FAILED
    assert "Nothing was imported" in job.message
    assert not AuditEvent.objects.filter(action="student.import").exists()


def test_it_validates_and_commits_in_queries_that_do_not_grow_with_rows(admin, school):
    def queries_for(count: int) -> tuple[int, int]:
        start = 100 * count
        rows = [student_row(start + n, guardian1_email=f"p{start + n}@family.test") for n in range(count)]
        job = import_job_create(owner=admin, upload=xlsx_upload(rows))
        with CaptureQueriesContext(connection) as validate:
            student_import_validate(job=job)
        with CaptureQueriesContext(connection) as commit:
            student_import_commit(job=job)
        assert Student.objects.filter(admission_number=f"N{start:04d}").exists()
        return len(validate), len(commit)

    small = queries_for(3)
    large = queries_for(40)
    assert large == small
    assert large[1] < 25, (small, large)


def test_it_reads_csv_like_xlsx(admin, school):
    job = import_job_create(owner=admin, upload=csv_upload([student_row(1), student_row(2)]))
    student_import_validate(job=job)
    student_import_commit(job=job)
    assert Student.objects.filter(admission_number__in=["N0001", "N0002"]).count() == 2


def test_a_queued_dry_run_reports_progress_in_at_most_twenty_steps(admin, school, settings):
    settings.STUDENTFLOW_IMPORT_BACKGROUND_ROWS = 5
    job = import_job_create(owner=admin, upload=xlsx_upload([student_row(n) for n in range(100)]))
    with CaptureQueriesContext(connection) as captured:
        student_import_validate(job=job)
    updates = [q for q in captured if 'UPDATE "core_job"' in q["sql"] and '"done"' in q["sql"]]
    assert 10 <= len(updates) <= 21
    job.refresh_from_db()
    assert (job.done, job.total) == (100, 100)


def test_it_runs_the_dry_run_only_once(admin, school):
    job = dry_run(admin, [student_row(1)])
    first = job.result
    student_import_validate(job=job)
    job.refresh_from_db()
    assert job.result == first
