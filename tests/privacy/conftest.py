"""A school where both children have data of every kind, so a request shows whose rows it carries."""

from __future__ import annotations

import datetime
import io
import json
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from modules.attendance.models import AbsenceNote
from modules.communications.models import Message, Thread, ThreadParticipant
from tests import factories as f


def _data_of(school, child, offering, guardian_user, teacher_user, tag: str) -> None:
    day = school.year.start_date + datetime.timedelta(days=3)
    register = f.RegisterFactory(section=offering.section, date=day)
    f.AttendanceRecordFactory(
        register=register, student=child, status="late", late_minutes=12, note=f"Bus {tag}"
    )
    assessment = f.AssessmentFactory(
        offering=offering, term=school.term, name=f"Quiz {tag}", published_at=timezone.now()
    )
    f.MarkFactory(assessment=assessment, student=child, score=17)
    f.InvoiceFactory(year=school.year, student=child, number=f"INV-{tag}", section=offering.section)
    AbsenceNote.objects.create(
        student=child, submitted_by=guardian_user, date_from=day, date_to=day, reason=f"Dentist {tag}"
    )
    assignment = f.AssignmentFactory(offering=offering, term=school.term, title=f"Essay {tag}")
    f.SubmissionFactory(assignment=assignment, student=child)
    thread = Thread.objects.create(subject=f"About {tag}", created_by=guardian_user, student=child)
    for user in (guardian_user, teacher_user):
        ThreadParticipant.objects.create(thread=thread, user=user)
    Message.objects.create(thread=thread, sender=guardian_user, body=f"Hello from {tag}")


@pytest.fixture
def data(school, guardian, other_guardian, teacher, other_teacher):
    _data_of(school, school.child, school.offering, guardian, teacher, "Sam")
    _data_of(school, school.other_child, school.other_offering, other_guardian, other_teacher, "Olive")
    return school


def zip_of(response) -> zipfile.ZipFile:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.content))


def json_of(archive: zipfile.ZipFile) -> dict:
    return json.loads(archive.read("data.json"))


def pdf_text(archive: zipfile.ZipFile, name: str) -> str:
    reader = PdfReader(io.BytesIO(archive.read(name)))
    return "\n".join(page.extract_text() for page in reader.pages)


def ask(client, child, capture) -> object:
    with capture(execute=True):
        return client.post(reverse("privacy:request_create", args=[child.pk]))
