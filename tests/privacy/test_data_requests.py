"""A guardian's request for their child's data: prepared on the queue, only that child's rows, downloaded
once by the guardian who asked, expiring; the office's list of every request."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from modules.accounts.models import User
from modules.core.models import AuditEvent, Job, JobStatus
from modules.exams.models import Mark
from modules.privacy import data_requests
from modules.privacy.models import DataRequest, DataRequestStatus
from modules.privacy.selectors import child_data
from tests import factories as f
from tests.privacy.conftest import ask, json_of, pdf_text, zip_of

pytestmark = pytest.mark.django_db


def _ready(guardian, school, as_user, capture) -> DataRequest:
    client = as_user(guardian)
    response = ask(client, school.child, capture)
    assert response.status_code == 302
    return DataRequest.objects.get(student=school.child)


def test_the_zip_holds_only_the_guardians_child(data, guardian, as_user, django_capture_on_commit_callbacks):
    request = _ready(guardian, data, as_user, django_capture_on_commit_callbacks)
    assert request.status == DataRequestStatus.READY
    job = Job.objects.get(pk=request.job_id)
    assert job.status == JobStatus.SUCCEEDED
    assert job.done == job.total

    page = as_user(guardian).get(reverse("privacy:requests"))
    assert "Ready to download" in page.content.decode()

    archive = zip_of(as_user(guardian).get(reverse("privacy:request_download", args=[request.pk])))
    names = archive.namelist()
    assert "data.json" in names
    assert "README.txt" in names
    data = json_of(archive)
    assert data["student"]["admission_number"] == data_requests_child_number(data)
    sections = data["sections"]
    assert sections["profile"]["rows"][0]["first_name"] == request.student.first_name
    assert [row["note"] for row in sections["attendance"]["rows"]] == ["Bus Sam"]
    assert [row["assessment"] for row in sections["marks"]["rows"]] == ["Quiz Sam"]
    assert [row["mark"] for row in sections["marks"]["rows"]] == [data_marks_label(request)]
    assert [row["number"] for row in sections["invoices"]["rows"]] == ["INV-Sam"]
    assert [row["reason"] for row in sections["absence_notes"]["rows"]] == ["Dentist Sam"]
    assert [row["assignment"] for row in sections["homework"]["rows"]] == ["Essay Sam"]
    assert [row["message"] for row in sections["messages"]["rows"]] == ["Hello from Sam"]
    assert [row["relationship"] for row in sections["guardians"]["rows"]] == ["Mother"]
    # Nothing of the other child anywhere: not in the JSON, not in any PDF.
    every_text = archive.read("data.json").decode() + "".join(
        pdf_text(archive, name) for name in names if name.endswith(".pdf")
    )
    for other in ("Olive", "Elsewhere", "A-0002", "INV-Olive", "Quiz Olive", "Dentist Olive"):
        assert other not in every_text
    attendance_pdf = next(name for name in names if name.endswith("-attendance.pdf"))
    text = pdf_text(archive, attendance_pdf)
    assert "Attendance records" in text
    assert "Bus Sam" in text
    assert "Dentist Sam" in pdf_text(archive, next(n for n in names if n.endswith("-absence_notes.pdf")))

    actions = set(AuditEvent.objects.filter(object_id=str(request.pk)).values_list("action", flat=True))
    assert actions == {
        "privacy.data_request",
        "privacy.data_request_prepare",
        "privacy.data_request_download",
    }


def data_marks_label(request: DataRequest) -> str:
    return Mark.objects.get(student=request.student).label


def data_requests_child_number(data: dict) -> str:
    return data["sections"]["profile"]["rows"][0]["admission_number"]


def test_it_downloads_once_then_is_gone(data, guardian, as_user, django_capture_on_commit_callbacks):
    request = _ready(guardian, data, as_user, django_capture_on_commit_callbacks)
    url = reverse("privacy:request_download", args=[request.pk])
    client = as_user(guardian)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(url).status_code == 200
    request.refresh_from_db()
    assert request.status == DataRequestStatus.DOWNLOADED
    assert not request.file
    again = client.get(url)
    assert again.status_code == 410
    assert "can be downloaded only once" in again.content.decode()


def test_the_file_is_deleted_from_storage_after_download(
    data, guardian, as_user, django_capture_on_commit_callbacks
):
    request = _ready(guardian, data, as_user, django_capture_on_commit_callbacks)
    storage = request.file.storage
    name = request.file.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        as_user(guardian).get(reverse("privacy:request_download", args=[request.pk]))
    assert not storage.exists(name)


def test_an_expired_request_cannot_be_downloaded_and_its_file_goes(
    data, guardian, as_user, django_capture_on_commit_callbacks
):
    request = _ready(guardian, data, as_user, django_capture_on_commit_callbacks)
    storage, name = request.file.storage, request.file.name
    assert request.expires_at - request.ready_at == datetime.timedelta(days=data_requests.days_kept())
    DataRequest.objects.filter(pk=request.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(guardian).get(reverse("privacy:request_download", args=[request.pk]))
    assert response.status_code == 410
    assert "was not downloaded in time" in response.content.decode()
    request.refresh_from_db()
    assert request.status == DataRequestStatus.EXPIRED
    assert not storage.exists(name)
    assert AuditEvent.objects.filter(action="privacy.data_request_expire", object_id=str(request.pk)).exists()


def test_the_daily_sweep_expires_what_nobody_downloaded(
    data, guardian, as_user, django_capture_on_commit_callbacks
):
    request = _ready(guardian, data, as_user, django_capture_on_commit_callbacks)
    storage, name = request.file.storage, request.file.name
    assert data_requests.data_requests_expire() == 0
    later = timezone.now() + datetime.timedelta(days=data_requests.days_kept(), minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert data_requests.data_requests_expire(now=later) == 1
    request.refresh_from_db()
    assert request.status == DataRequestStatus.EXPIRED
    assert not storage.exists(name)


def test_another_guardians_request_is_not_found(
    data, guardian, other_guardian, admin, as_user, django_capture_on_commit_callbacks
):
    request = _ready(guardian, data, as_user, django_capture_on_commit_callbacks)
    url = reverse("privacy:request_download", args=[request.pk])
    assert as_user(other_guardian).get(url).status_code == 404
    # The office sees the request but does not download a family's data.
    assert as_user(admin).get(url).status_code == 403
    request.refresh_from_db()
    assert request.status == DataRequestStatus.READY


def test_a_guardian_cannot_ask_for_another_child(data, other_guardian, as_user):
    response = as_user(other_guardian).post(reverse("privacy:request_create", args=[data.child.pk]))
    assert response.status_code == 404
    assert not DataRequest.objects.exists()


def test_one_open_request_per_child(data, guardian, as_user, django_capture_on_commit_callbacks):
    _ready(guardian, data, as_user, django_capture_on_commit_callbacks)
    client = as_user(guardian)
    response = ask(client, data.child, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "already being prepared or waiting to be downloaded" in page.content.decode()
    assert DataRequest.objects.filter(student=data.child).count() == 1
    assert Job.objects.count() == 1


def test_a_new_request_once_the_last_was_downloaded(
    data, guardian, as_user, django_capture_on_commit_callbacks
):
    request = _ready(guardian, data, as_user, django_capture_on_commit_callbacks)
    client = as_user(guardian)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(reverse("privacy:request_download", args=[request.pk]))
    ask(client, data.child, django_capture_on_commit_callbacks)
    assert list(
        DataRequest.objects.filter(student=data.child).order_by("pk").values_list("status", flat=True)
    ) == [DataRequestStatus.DOWNLOADED, DataRequestStatus.READY]


def test_a_failed_preparation_says_so_and_frees_the_child(
    data, guardian, as_user, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("layout broke")

    monkeypatch.setattr(data_requests, "render_pdf", broken)
    client = as_user(guardian)
    ask(client, data.child, django_capture_on_commit_callbacks)  # the queue logs the error
    request = DataRequest.objects.get(student=data.child)
    assert request.status == DataRequestStatus.FAILED
    page = client.get(reverse("privacy:requests")).content.decode()
    assert "could not be prepared" in page
    assert "Ask for the data" in page


def test_the_guardians_page_lists_their_children_and_requests(data, guardian, as_user):
    page = as_user(guardian).get(reverse("privacy:requests")).content.decode()
    assert data.child.full_name in page
    assert data.other_child.full_name not in page
    assert "You have not asked for any data yet." in page


def test_the_office_sees_every_request_with_its_status(
    data, guardian, other_guardian, admin, as_user, django_capture_on_commit_callbacks
):
    _ready(guardian, data, as_user, django_capture_on_commit_callbacks)
    DataRequest.objects.create(student=data.other_child, requested_by=other_guardian)
    page = as_user(admin).get(reverse("privacy:requests"))
    text = page.content.decode()
    assert data.child.full_name in text
    assert data.other_child.full_name in text
    assert "Ready to download" in text
    assert "Being prepared" in text


def test_the_office_list_reads_a_fixed_number_of_queries(
    data, guardian, other_guardian, admin, as_user, queries_exactly
):
    for _ in range(3):
        DataRequest.objects.create(
            student=data.other_child, requested_by=other_guardian, status=DataRequestStatus.DOWNLOADED
        )
    client = as_user(admin)
    client.get(reverse("privacy:requests"))
    with queries_exactly(FIXED_OFFICE_QUERIES):
        client.get(reverse("privacy:requests"))
    DataRequest.objects.create(student=data.child, requested_by=guardian, status=DataRequestStatus.EXPIRED)
    with queries_exactly(FIXED_OFFICE_QUERIES):
        client.get(reverse("privacy:requests"))


FIXED_OFFICE_QUERIES = 4


def test_reading_a_childs_data_takes_the_same_queries_however_much_there_is(data, guardian, queries_exactly):
    user = User.objects.get(pk=guardian.pk)
    with queries_exactly(CHILD_DATA_QUERIES):
        child_data(data.child, user)
    for day in range(1, 6):
        register = f.RegisterFactory(
            section=data.section, date=data.year.start_date + datetime.timedelta(days=10 + day)
        )
        f.AttendanceRecordFactory(register=register, student=data.child, status="present")
        published = f.AssessmentFactory(offering=data.offering, term=data.term, published_at=timezone.now())
        f.MarkFactory(assessment=published, student=data.child)
    user = User.objects.get(pk=guardian.pk)
    with queries_exactly(CHILD_DATA_QUERIES):
        sections = {section.key: section for section in child_data(data.child, user)}
    assert len(sections["attendance"].rows) == 6
    assert len(sections["marks"].rows) == 6


CHILD_DATA_QUERIES = 18


def test_the_guardians_page_reads_a_fixed_number_of_queries(
    data, guardian, as_user, queries_exactly, django_capture_on_commit_callbacks
):
    client = as_user(guardian)
    client.get(reverse("privacy:requests"))
    with queries_exactly(GUARDIAN_PAGE_QUERIES):
        client.get(reverse("privacy:requests"))
    _ready(guardian, data, as_user, django_capture_on_commit_callbacks)
    with queries_exactly(GUARDIAN_PAGE_QUERIES):
        client.get(reverse("privacy:requests"))


GUARDIAN_PAGE_QUERIES = 4


def test_a_request_whose_job_was_given_up_no_longer_holds_the_child(data, guardian, as_user):
    """The sweeper fails a job whose worker was killed too often; the request then shows as failed and the
    guardian can ask again."""
    job = Job.objects.create(kind=data_requests.JOB_KIND, owner=guardian, status=JobStatus.FAILED)
    DataRequest.objects.create(student=data.child, requested_by=guardian, job=job)
    client = as_user(guardian)
    page = client.get(reverse("privacy:requests")).content.decode()
    assert "Failed" in page
    assert "Ask for the data" in page
    assert client.post(reverse("privacy:request_create", args=[data.child.pk])).status_code == 302
    assert list(
        DataRequest.objects.filter(student=data.child).order_by("pk").values_list("status", flat=True)
    ) == [DataRequestStatus.FAILED, DataRequestStatus.PREPARING]


def test_the_guardian_is_told_when_the_zip_is_ready_and_until_when(
    data, guardian, as_user, django_capture_on_commit_callbacks
):
    request = _ready(guardian, data, as_user, django_capture_on_commit_callbacks)
    request.refresh_from_db()
    assert request.status == DataRequestStatus.READY
    [email] = mail.outbox
    assert email.to == [guardian.email]
    assert email.subject.endswith("Sam's data is ready to download")
    until = date_format(timezone.localtime(request.expires_at), "DATETIME_FORMAT")
    assert f"It can be downloaded once, in the portal, until {until}." in email.body
    assert not email.attachments  # the data itself stays behind the login
    # The notification leads to the page with the download.
    page = as_user(guardian).get(reverse("communications:notification_list")).content.decode()
    assert "Sam&#x27;s data is ready to download" in page
    assert (
        reverse("privacy:request_download", args=[request.pk])
        in as_user(guardian).get(reverse("privacy:requests")).content.decode()
    )
