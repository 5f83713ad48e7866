from django.core.files.base import ContentFile

from modules.accounts.models import User
from modules.core.models import Job, JobStatus
from tests.access.matrix import PUBLIC, Rule, expect


def _admins_job(with_file: bool = False) -> dict:
    job = Job.objects.create(
        kind="student_import", owner=User.objects.get(email="admin@school.test"), status=JobStatus.SUCCEEDED
    )
    if with_file:
        job.result = {"filename": "students.xlsx"}
        job.result_file.save("students.xlsx", ContentFile(b"PK\x03\x04 test"), save=True)
    return {"pk": job.pk}


# A job's pages belong to whoever started it; anyone else gets a 404.
OWNER_ONLY = expect(404, admin=200)

RULES = [
    Rule("job_progress", kwargs=lambda s: _admins_job(), expect=OWNER_ONLY),
    Rule("job_download", kwargs=lambda s: _admins_job(with_file=True), expect=OWNER_ONLY),
    Rule("health", expect=PUBLIC),
]
