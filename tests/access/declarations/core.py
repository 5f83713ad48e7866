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


def _worker_alive() -> dict:
    """/health/ is green only with a live worker: as if one had just run its heartbeat."""
    from modules.core.health import worker_heartbeat_record

    worker_heartbeat_record()
    return {}


def _backup_recorded() -> dict:
    """/health/backups/ is green once a scheduled backup ran: as if one had just been made."""
    from django.core.cache import cache
    from django.utils import timezone

    from modules.core.backup import LAST_RUN

    cache.set(LAST_RUN, timezone.now().isoformat())
    return {}


# A job's pages belong to whoever started it; anyone else gets a 404.
OWNER_ONLY = expect(404, admin=200)

RULES = [
    Rule("job_progress", kwargs=lambda s: _admins_job(), expect=OWNER_ONLY),
    Rule("job_download", kwargs=lambda s: _admins_job(with_file=True), expect=OWNER_ONLY),
    Rule("health", kwargs=lambda s: _worker_alive(), expect=PUBLIC),
    Rule("health_backups", kwargs=lambda s: _backup_recorded(), expect=PUBLIC),
    # Browsers ask for it on every page, signed in or not: a redirect to the static icon.
    Rule("favicon", expect=expect(302, anonymous=302)),
]
