"""Bulk student import and the student list export (modules/academics/views_import.py): the office only,
and an import job only for the administrator who uploaded it."""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from modules.accounts.models import User
from modules.core.models import Job, JobStatus
from tests.access.matrix import ADMIN_ONLY, ADMIN_ONLY_POST, Rule, expect


def _admins_import(school) -> dict:
    """A finished dry run owned by the admin persona (a job is fetched with owner=request.user)."""
    job = Job.objects.create(
        kind="student_import",
        owner=User.objects.get(email="admin@school.test"),
        status=JobStatus.SUCCEEDED,
        payload={"phase": "preview", "filename": "students.xlsx", "path": ""},
        result={
            "rows": [],
            "file_errors": ["The file has no data rows below the header row."],
            "error_count": 1,
        },
    )
    return {"pk": job.pk}


def _admins_rejected_rows(school) -> dict:
    """A dry run of the admin persona's that rejected rows, with its file of rejected rows."""
    kwargs = _admins_import(school)
    path = default_storage.save("imports/access-rejected.xlsx", ContentFile(b"PK\x03\x04"))
    Job.objects.filter(pk=kwargs["pk"]).update(
        payload={"phase": "preview", "filename": "students.xlsx", "path": "", "rejected": {"xlsx": path}}
    )
    return {**kwargs, "file_format": "xlsx"}


RULES = [
    # The office only, sent first to re-authenticate (modules.core.exports).
    Rule("people:student_export", expect=expect(403, admin=302)),
    Rule("people:import_start", expect=ADMIN_ONLY),
    Rule("people:import_template", expect=ADMIN_ONLY),
    Rule("people:import_detail", kwargs=_admins_import, expect=ADMIN_ONLY),
    # Not confirmable (the dry run found a problem): the admin is sent back to the dry run with a message.
    Rule("people:import_confirm", method="post", kwargs=_admins_import, expect=ADMIN_ONLY_POST),
    # The rejected rows of the admin's own import (another administrator's: 404, tests/people).
    Rule("people:import_rejected", kwargs=_admins_rejected_rows, expect=ADMIN_ONLY),
]
