"""A guardian's request for the data the school holds on one of their children.

`data_request_create` records the request and queues its job (tasks/privacy.py `prepare_data_request`);
`data_request_prepare` runs under the job's lease: it reads the child's data (selectors.child_data, scoped to
the child and to what the guardian may see), renders one readable PDF per part and the same rows as JSON, and
puts them in one zip, the request's file. The guardian who asked downloads it once (`data_request_download`:
the file is deleted as it is handed over); a file not downloaded within STUDENTFLOW_DATA_REQUEST_DAYS is
deleted by `data_requests_expire` (daily) and can no longer be downloaded from the moment it expires.
"""

from __future__ import annotations

import datetime
import io
import json
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from modules.communications.services import notify, recipients_for_users, users_with_profiles
from modules.core.audit import audit_log
from modules.core.jobs import job_enqueue, job_finish, job_heartbeat
from modules.core.models import Job, JobStatus, SchoolProfile
from modules.core.pdf import render_pdf
from modules.people.models import Student
from modules.privacy.models import DataRequest, DataRequestStatus
from modules.privacy.notifications import DATA_REQUEST_READY
from modules.privacy.selectors import child_data

JOB_KIND = "privacy_data_request"
DEFAULT_DAYS = 7
# Expired files deleted per run of the daily sweep (the next run takes the rest).
EXPIRE_BATCH = 500


class DataRequestRefused(ValueError):
    """The request cannot be made (one is already open for the child); the message says why."""


def days_kept() -> int:
    return int(getattr(settings, "STUDENTFLOW_DATA_REQUEST_DAYS", DEFAULT_DAYS))


def _expire(request: DataRequest, *, now: datetime.datetime) -> bool:
    """Mark one ready request expired and delete its file; False when it was not ready any more."""
    if not DataRequest.objects.filter(pk=request.pk, status=DataRequestStatus.READY).update(
        status=DataRequestStatus.EXPIRED, file="", size=0
    ):
        return False
    if request.file:
        storage, name = request.file.storage, request.file.name or ""
        transaction.on_commit(lambda: storage.delete(name))
    audit_log(actor=None, action="privacy.data_request_expire", obj=request)
    return True


@transaction.atomic
def data_request_create(*, student: Student, by) -> DataRequest:
    """Ask for `student`'s data (the caller fetched the student through `visible_to(by)`): one open request
    per child, so a second one is refused until the first is downloaded, expired or failed."""
    now = timezone.now()
    for stale in DataRequest.objects.filter(
        student=student, status=DataRequestStatus.READY, expires_at__lte=now
    ):
        _expire(stale, now=now)
    DataRequest.objects.filter(
        student=student, status=DataRequestStatus.PREPARING, job__status=JobStatus.FAILED
    ).update(status=DataRequestStatus.FAILED, message=_("The data could not be prepared."))
    if DataRequest.objects.filter(student=student).open().exists():
        raise DataRequestRefused(
            _("A request for %(name)s's data is already being prepared or waiting to be downloaded.")
            % {"name": student.first_name}
        )
    try:
        with transaction.atomic():
            request = DataRequest.objects.create(student=student, requested_by=by, created_at=now)
    except IntegrityError as error:  # another request for the child was made at the same moment
        raise DataRequestRefused(
            _("A request for %(name)s's data is already being prepared or waiting to be downloaded.")
            % {"name": student.first_name}
        ) from error
    job = Job.objects.create(
        kind=JOB_KIND,
        owner=by,
        payload={"request": request.pk},
        result={"title": _("Data held on %(name)s") % {"name": student.full_name}},
    )
    request.job = job
    request.save(update_fields=["job"])
    audit_log(actor=by, action="privacy.data_request", obj=request, after={"student": student.pk})
    job_enqueue(job=job)
    return request


def _pdf(section, *, student: Student, school: SchoolProfile, printed_at) -> bytes:
    context = {
        "school": school,
        "student": student,
        "section": section,
        "rows": section.table(),
        "printed_at": printed_at,
    }
    return render_pdf("privacy/data_request_pdf.html", context)


def _readme(student: Student, sections, printed_at: datetime.datetime) -> str:
    lines = [
        _("Data held by the school on %(name)s (%(number)s), prepared %(when)s.")
        % {"name": student.full_name, "number": student.admission_number, "when": printed_at.isoformat()},
        "",
        _("Each PDF is one part of the data, readable as printed; data.json holds the same rows."),
        "",
    ]
    lines += [
        f"{index:02d}-{section.key}.pdf: {section.title} ({len(section.rows)})"
        for index, section in enumerate(sections, start=1)
    ]
    return "\n".join(lines) + "\n"


def data_request_prepare(*, job: Job) -> None:
    """Build the request's zip (safe to run again: it starts over and replaces the file)."""
    request = DataRequest.objects.select_related("student", "requested_by").get(pk=job.payload["request"])
    if request.status != DataRequestStatus.PREPARING:
        job_finish(job=job, status=JobStatus.SUCCEEDED, message=request.get_status_display())
        return
    student = request.student
    sections = child_data(student, request.requested_by)
    total = len(sections) + 1
    job_heartbeat(job=job, total=total, done=0)
    school = SchoolProfile.load()
    printed_at = timezone.now()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index, section in enumerate(sections, start=1):
            content = _pdf(section, student=student, school=school, printed_at=printed_at)
            archive.writestr(f"{index:02d}-{section.key}.pdf", content)
            job_heartbeat(job=job, done=index)
        data = {
            "student": {"id": student.pk, "admission_number": student.admission_number},
            "prepared_at": printed_at.isoformat(),
            "sections": {section.key: {"title": section.title, "rows": section.rows} for section in sections},
        }
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
        archive.writestr("README.txt", _readme(student, sections, printed_at))
    content = buffer.getvalue()
    name = f"data-{slugify(student.admission_number) or student.pk}.zip"
    with transaction.atomic():
        locked = DataRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != DataRequestStatus.PREPARING:
            return
        old = locked.file.name if locked.file else ""
        locked.file.save(name, ContentFile(content), save=False)
        now = timezone.now()
        locked.status = DataRequestStatus.READY
        locked.size = len(content)
        locked.ready_at = now
        locked.expires_at = now + datetime.timedelta(days=days_kept())
        locked.message = ""
        locked.save(update_fields=["file", "status", "size", "ready_at", "expires_at", "message"])
        audit_log(
            actor=None,
            action="privacy.data_request_prepare",
            obj=locked,
            after={"rows": {section.key: len(section.rows) for section in sections}, "bytes": len(content)},
        )
        if old and old != locked.file.name:
            locked.file.storage.delete(old)
        # The guardian who asked is told (in the portal, and by email as they chose); sent once the zip is
        # committed, so the link never leads to a request still being prepared.
        notify(
            recipients_for_users(users_with_profiles().filter(pk=locked.requested_by_id, is_active=True)),
            DATA_REQUEST_READY,
            {"student": student, "expires_at": timezone.localtime(locked.expires_at)},
            obj=locked,
            url=reverse("privacy:requests"),
        )
        job_finish(
            job=job,
            status=JobStatus.SUCCEEDED,
            message=_("Ready to download until %(when)s.")
            % {"when": timezone.localtime(locked.expires_at).strftime("%Y-%m-%d %H:%M")},
            done=total,
            total=total,
        )


def data_request_fail(*, job: Job, error: Exception) -> None:
    message = _("The data could not be prepared. Ask again; if it fails again, tell the school.")
    DataRequest.objects.filter(pk=job.payload.get("request"), status=DataRequestStatus.PREPARING).update(
        status=DataRequestStatus.FAILED, message=message
    )
    job_finish(job=job, status=JobStatus.FAILED, message=message)


@dataclass(frozen=True)
class Download:
    filename: str
    content: bytes


class DownloadGone(Exception):
    """The request's file was downloaded already, or expired: it is no longer there."""


def data_request_download(*, request: DataRequest, by) -> Download:
    """Hand the file over once: the request turns downloaded and its file is deleted in the same step, so
    a second download (or two at once) finds nothing. Only the guardian who asked may download it."""
    now = timezone.now()
    if request.status == DataRequestStatus.READY and request.expires_at and request.expires_at <= now:
        with transaction.atomic():
            _expire(request, now=now)
        raise DownloadGone
    with transaction.atomic():
        return _hand_over(request=request, by=by, now=now)


def _hand_over(*, request: DataRequest, by, now: datetime.datetime) -> Download:
    taken = DataRequest.objects.filter(
        pk=request.pk, requested_by=by, status=DataRequestStatus.READY, expires_at__gt=now
    ).update(status=DataRequestStatus.DOWNLOADED, downloaded_at=now, file="", size=0)
    if not taken or not request.file:
        raise DownloadGone
    name = request.file.name or ""
    with request.file.open("rb") as handle:
        content = handle.read()
    audit_log(actor=by, action="privacy.data_request_download", obj=request, after={"bytes": len(content)})
    storage = request.file.storage
    transaction.on_commit(lambda: storage.delete(name))
    filename = f"data-{slugify(request.student.admission_number) or request.student_id}.zip"
    return Download(filename=filename, content=content)


def data_requests_expire(*, now: datetime.datetime | None = None) -> int:
    """Delete the files of ready requests past their expiry (a bounded batch); how many expired."""
    now = now or timezone.now()
    expired = 0
    for request in DataRequest.objects.filter(status=DataRequestStatus.READY, expires_at__lte=now).order_by(
        "expires_at"
    )[:EXPIRE_BATCH]:
        with transaction.atomic():
            expired += _expire(request, now=now)
    return expired
