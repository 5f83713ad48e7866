"""The retention schedule: the office sets a rule per kind of data; the dry run on the page counts what the
daily run then deletes or anonymises; a leaver's anonymised record keeps the school's figures; current
students are never touched; one audit event per run; bad input refused with a message."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.files.base import ContentFile
from django.db.models import Count, Sum
from django.urls import reverse
from django.utils import timezone

from modules.assignments.models import SubmissionFile
from modules.attendance.models import AbsenceNote, AttendanceRecord
from modules.communications.models import Delivery
from modules.core.models import AuditEvent
from modules.exams.models import Mark
from modules.people.models import GuardianLink, Student
from modules.privacy import retention
from modules.privacy.models import AnonymisedStudent, RetentionRule
from tasks.privacy import apply_retention_schedule
from tests import factories as f

pytestmark = pytest.mark.django_db

LONG_AGO = datetime.timedelta(days=800)


def _delivery(n: int, *, age: datetime.timedelta, status: str = "sent") -> Delivery:
    return Delivery.objects.create(
        channel="email",
        kind="test",
        recipient_name=f"Parent {n}",
        address=f"parent{n}@example.test",
        subject="Absence",
        body_text="Your child was absent.",
        key=f"test:{n}",
        status=status,
        created_at=timezone.now() - age,
    )


def _old_event(action: str) -> AuditEvent:
    event = AuditEvent.objects.create(action=action, object_type="people.student", object_id="1")
    AuditEvent.objects.filter(pk=event.pk).update(at=timezone.now() - LONG_AGO)
    return event


@pytest.fixture
def leaver(school, guardian):
    """A pupil who left in a year that ended long ago, with attendance and a mark there; a second who left
    this year (not a leaver for the schedule yet)."""
    past = f.AcademicYearFactory(
        name="2015-16",
        start_date=datetime.date(2015, 9, 1),
        end_date=datetime.date(2016, 7, 15),
        is_current=False,
    )
    term = f.TermFactory(
        year=past, name="Old term", start_date=datetime.date(2015, 9, 1), end_date=datetime.date(2015, 12, 18)
    )
    section = f.SectionFactory(year=past, grade_level=school.section.grade_level, name="7Z")
    offering = f.CourseOfferingFactory(section=section, subject=school.offering.subject)
    gone = f.StudentFactory(
        first_name="Greta",
        last_name="Gone",
        admission_number="A-0900",
        email="greta@example.test",
        is_active=False,
        medical_notes="Asthma",
    )
    f.EnrollmentFactory(student=gone, section=section, year=past, status="withdrawn")
    f.GuardianLinkFactory(student=gone, guardian=school.guardian_profile, relationship="mother")
    for day, status in ((datetime.date(2015, 9, 7), "present"), (datetime.date(2015, 9, 8), "absent")):
        register = f.RegisterFactory(section=section, date=day)
        f.AttendanceRecordFactory(register=register, student=gone, status=status, note="Called home")
    f.MarkFactory(assessment=f.AssessmentFactory(offering=offering, term=term), student=gone, score=12)
    note = AbsenceNote(
        student=gone,
        date_from=datetime.date(2015, 9, 8),
        date_to=datetime.date(2015, 9, 8),
        reason="Hospital visit",
        file_name="letter.pdf",
    )
    note.file.save("letter.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
    note.save()
    AbsenceNote.objects.filter(pk=note.pk).update(created_at=timezone.now() - LONG_AGO)
    recent = f.StudentFactory(
        first_name="Rita", last_name="Recent", admission_number="A-0901", is_active=False
    )
    f.EnrollmentFactory(student=recent, section=school.other_section, status="withdrawn")
    return gone


def _rules(client, **overrides) -> object:
    data = {
        "deliveries-enabled": "on",
        "deliveries-period": "365",
        "deliveries-action": "delete",
        "audit_events-enabled": "on",
        "audit_events-period": "730",
        "audit_events-action": "delete",
        "uploads-enabled": "on",
        "uploads-period": "365",
        "uploads-action": "delete",
        "leavers-enabled": "on",
        "leavers-period": "5",
        "leavers-action": "anonymise",
        **overrides,
    }
    return client.post(reverse("privacy:retention_save"), data)


def _dry_run(page: str) -> dict[str, int]:
    return {kind: int(count) for kind, count in re.findall(r'data-kind="(\w+)">(\d+)<', page)}


def _figures() -> tuple:
    by_status = dict(AttendanceRecord.objects.values_list("status").annotate(n=Count("pk")).order_by())
    return by_status, Mark.objects.aggregate(total=Sum("score"), count=Count("pk"))


def test_the_dry_run_counts_what_the_run_then_does(
    school, admin, leaver, as_user, django_capture_on_commit_callbacks
):
    for n in (1, 2):
        _delivery(n, age=LONG_AGO)
    _delivery(3, age=datetime.timedelta(days=3))
    _delivery(4, age=LONG_AGO, status="queued")  # not sent yet: never deleted
    _old_event("student.update")
    _old_event("student.create")
    assignment = f.AssignmentFactory(offering=school.offering, term=school.term)
    submission = f.SubmissionFactory(assignment=assignment, student=school.child)
    upload = SubmissionFile(
        submission=submission, version=1, name="essay.txt", size=5, sha256="0" * 64, content_type="text/plain"
    )
    upload.file.save("essay.txt", ContentFile(b"essay"), save=False)
    upload.uploaded_at = timezone.now() - LONG_AGO
    upload.save()
    client = as_user(admin)
    assert _rules(client).status_code == 302

    page = client.get(reverse("privacy:retention")).content.decode()
    planned = _dry_run(page)
    assert planned == {"deliveries": 2, "audit_events": 2, "uploads": 2, "leavers": 1}

    storage, name = upload.file.storage, upload.file.name
    with django_capture_on_commit_callbacks(execute=True):
        done = retention.retention_apply()
    assert done == planned
    assert set(Delivery.objects.values_list("key", flat=True)) == {"test:3", "test:4"}
    assert not SubmissionFile.objects.filter(pk=upload.pk).exists()
    assert not storage.exists(name)
    # Nothing left to do: the dry run now says 0 everywhere.
    again = _dry_run(client.get(reverse("privacy:retention")).content.decode())
    assert again == {"deliveries": 0, "audit_events": 0, "uploads": 0, "leavers": 0}


def test_an_anonymised_leaver_keeps_the_schools_figures(school, admin, leaver, as_user):
    before = _figures()
    child_before = Student.objects.filter(pk=school.child.pk).values().get()
    _rules(as_user(admin))
    retention.retention_apply()

    assert _figures() == before
    gone = Student.objects.get(pk=leaver.pk)
    assert gone.first_name != "Greta"
    assert gone.last_name != "Gone"
    assert gone.email == ""
    assert gone.medical_notes == ""
    assert gone.admission_number == f"ANON-{leaver.pk}"
    assert gone.date_of_birth == leaver.date_of_birth.replace(month=1, day=1)
    assert not GuardianLink.objects.filter(student=gone).exists()
    assert set(AttendanceRecord.objects.filter(student=gone).values_list("note", flat=True)) == {""}
    note = AbsenceNote.objects.get(student=gone)
    assert note.reason == ""
    assert not note.file
    assert AnonymisedStudent.objects.filter(student=gone).exists()
    # Current students and the pupil who left this year are untouched.
    assert Student.objects.filter(pk=school.child.pk).values().get() == child_before
    assert Student.objects.get(admission_number="A-0901").first_name == "Rita"
    assert GuardianLink.objects.filter(student=school.child).exists()


def test_each_run_is_one_audit_event_with_its_counts_and_the_last_is_kept(school, admin, as_user):
    _delivery(1, age=LONG_AGO)
    _old_event("student.update")
    _rules(as_user(admin), **{"audit_events-period": "30"})
    apply_retention_schedule()
    runs = AuditEvent.objects.filter(action=retention.RUN_ACTION)
    assert runs.count() == 1
    first = runs.get()
    assert first.after["counts"] == {"deliveries": 1, "audit_events": 1, "uploads": 0, "leavers": 0}
    # The run's own event, even once older than the period, is not deleted by the next run.
    AuditEvent.objects.filter(pk=first.pk).update(at=timezone.now() - LONG_AGO)
    retention.retention_apply()
    assert AuditEvent.objects.filter(pk=first.pk).exists()
    assert AuditEvent.objects.filter(action=retention.RUN_ACTION).count() == 2


def test_anonymising_deliveries_keeps_the_rows(school, admin, as_user):
    _delivery(1, age=LONG_AGO)
    _rules(as_user(admin), **{"deliveries-action": "anonymise"})
    assert retention.retention_apply()["deliveries"] == 1
    delivery = Delivery.objects.get()
    assert (delivery.address, delivery.recipient_name, delivery.body_text) == ("", "", "")
    assert retention.retention_apply()["deliveries"] == 0


def test_rules_switched_off_do_nothing(school, admin, leaver, as_user):
    _delivery(1, age=LONG_AGO)
    client = as_user(admin)
    _rules(client, **{"deliveries-enabled": "", "leavers-enabled": ""})
    assert "deliveries" not in retention.retention_apply()
    assert Delivery.objects.count() == 1
    assert Student.objects.get(pk=leaver.pk).first_name == "Greta"
    page = client.get(reverse("privacy:retention")).content.decode()
    assert "Not applied" in page
    assert "1 if applied" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("leavers-action", "delete", "Leavers&#x27; records can only be anonymised"),
        ("audit_events-action", "anonymise", "Audit events can only be deleted."),
        ("deliveries-period", "0", "Ensure this value is greater than or equal to 1."),
        ("leavers-period", "101", "Ensure this value is less than or equal to 100."),
        ("uploads-period", "soon", "Enter a whole number."),
    ],
)
def test_bad_input_is_refused_with_a_message(school, admin, as_user, field, value, message):
    response = _rules(as_user(admin), **{field: value})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not RetentionRule.objects.exists()
    assert not AuditEvent.objects.filter(action="privacy.retention_rule").exists()


def test_saving_the_schedule_is_audited(school, admin, as_user):
    _rules(as_user(admin))
    assert RetentionRule.objects.count() == 4
    assert AuditEvent.objects.filter(action="privacy.retention_rule").count() == 4
    _rules(as_user(admin))
    assert AuditEvent.objects.filter(action="privacy.retention_rule").count() == 4
