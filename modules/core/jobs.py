"""The lifecycle of a background job (report-card batches, imports, invoice generation): one mechanism.

Huey does not acknowledge tasks: a worker killed mid-task (deploy, out of memory, kill -9) loses the task,
and its Job would say "running" for ever. So every run holds a *lease* on its job:

- `job_enqueue` queues a run a person asked for (fresh attempts) and hands the job to its kind's task once
  the transaction commits. Modules never import tasks/: tasks/ registers, per kind, how to queue a job
  (`job_kind_register`).
- `job_claim` starts a run with one conditional UPDATE (queued, or running with an expired lease → running,
  attempt + 1, leased for a while), so a job enqueued twice still runs once.
- `job_heartbeat` (called by `Job.set_progress` and every lease/3 by the thread of `job_lease`) extends
  the lease while the run lives. It names the run's attempt: a run that was taken over is told so
  (`JobLost`) instead of writing over its successor. `job_finish` is fenced the same way.
- `jobs_sweep` (a Huey periodic task, every minute) finds queued or running jobs whose lease ran out and
  queues them again (the kind's task resumes from what the job kept), or marks them failed with a clear
  message after STUDENTFLOW_JOB_MAX_ATTEMPTS runs.

A job may fan out into *child jobs* (`job_children_enqueue`: the parts of a report-card batch), each its own
task, so that every worker of every node takes a share. A child is an ordinary job (its own lease, attempts
and sweeping: a child whose worker died is redone alone); its payload names its parent. `job_child_finish`
records a child as done under a lock on the parent's row and says how many siblings are left, so that when
two children finish at the same moment exactly one of them sees none left (and, say, merges the parts).
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from modules.core.models import Job, JobStatus

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500

# kind → how to queue a run of a job of that kind (registered by tasks/, which modules do not import).
_kinds: dict[str, Callable[[Job], object]] = {}


class JobLost(Exception):
    """This run no longer holds its job: its lease ran out and another run took over, or it was finished."""


def job_kind_register(kind: str, enqueue: Callable[[Job], object]) -> None:
    """Tell the job mechanism how to queue a run of `kind` (called once per kind, by tasks/)."""
    _kinds[kind] = enqueue


def lease_duration() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.STUDENTFLOW_JOB_LEASE_SECONDS)


def worker_name() -> str:
    """Which process and thread runs a job (for the admin and the logs; the fence is the attempt)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"[:200]


def _dispatch(job_id) -> None:
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.is_finished:
        return
    enqueue = _kinds.get(job.kind)
    if enqueue is None:
        logger.error("Job %s of kind %r has no registered task; it cannot run.", job.pk, job.kind)
        return
    enqueue(job)


def job_dispatch_on_commit(job: Job) -> None:
    """Hand the job to its kind's task once the transaction commits (the job row says what to run)."""
    job_id = job.pk
    transaction.on_commit(lambda: _dispatch(job_id))


@transaction.atomic
def job_enqueue(*, job: Job, **fields) -> Job:
    """Queue a new run that a person asked for: fresh attempts and progress, the task after commit.
    `fields` are written with it (a payload, a title)."""
    values = {
        "status": JobStatus.QUEUED,
        "attempts": 0,
        "done": 0,
        "message": "",
        "finished_at": None,
        # A queued job holds a lease too: if its task is lost before any worker starts it, the sweeper
        # queues it again.
        "leased_until": timezone.now() + lease_duration(),
        "heartbeat_at": None,
        "worker": "",
        **fields,
    }
    Job.objects.filter(pk=job.pk).update(**values)
    for name, value in values.items():
        setattr(job, name, value)
    job_dispatch_on_commit(job)
    return job


def job_claim(*, job: Job, where: Q | None = None) -> bool:
    """Start a run of `job`: True when this caller now holds it (and `job` is refreshed), False when it is
    finished, or held by a live run (a task enqueued twice), or does not match `where`."""
    now = timezone.now()
    claimable = Q(status=JobStatus.QUEUED) | Q(
        Q(leased_until__lt=now) | Q(leased_until__isnull=True), status=JobStatus.RUNNING
    )
    query = Job.objects.filter(claimable, pk=job.pk)
    if where is not None:
        query = query.filter(where)
    claimed = query.update(
        status=JobStatus.RUNNING,
        attempts=F("attempts") + 1,
        leased_until=now + lease_duration(),
        heartbeat_at=now,
        worker=worker_name(),
        finished_at=None,
    )
    if not claimed:
        return False
    job.refresh_from_db()
    return True


def _held(job: Job):
    """The job's row while this run still holds it (a run that never claimed, e.g. a test, is not fenced)."""
    query = Job.objects.filter(pk=job.pk)
    if job.worker:
        query = query.filter(attempts=job.attempts, worker=job.worker, status=JobStatus.RUNNING)
    return query


def job_heartbeat(*, job: Job, **fields) -> None:
    """Extend the run's lease (writing `fields` with it, e.g. progress). Raises JobLost when another run
    took the job over: this one must stop rather than write over it."""
    now = timezone.now()
    values = {"heartbeat_at": now, "leased_until": now + lease_duration(), **fields}
    if not _held(job).update(**values):
        if job.worker:
            raise JobLost(f"Job {job.pk}: attempt {job.attempts} was taken over.")
        return
    for name, value in values.items():
        setattr(job, name, value)


def job_finish(*, job: Job, status: str, message: str = "", **fields) -> bool:
    """End the run: SUCCEEDED or FAILED, with the message its page shows. False (nothing written) when
    another run took the job over meanwhile."""
    values = {
        "status": status,
        "message": message,
        "finished_at": timezone.now(),
        "leased_until": None,
        **fields,
    }
    if not _held(job).update(**values):
        logger.warning("Job %s: attempt %s finished after being taken over; ignored.", job.pk, job.attempts)
        return False
    for name, value in values.items():
        setattr(job, name, value)
    return True


@contextlib.contextmanager
def job_lease(job: Job) -> Iterator[Job]:
    """Keep the run's lease alive while the block runs, also through long silent steps (one rendering, one
    big transaction), from a thread with its own database connection. When the process dies the thread
    dies with it, and the lease runs out.

    The thread beats for at most STUDENTFLOW_JOB_SILENT_SECONDS without the run reporting progress itself
    (Job.set_progress): a worker that is alive but stuck (a hung connection, a rendering that never ends)
    then loses its lease like a dead one, the sweeper restarts the job, and the stuck run, if it ever
    wakes, is fenced off (JobLost)."""
    stop = threading.Event()
    interval = max(settings.STUDENTFLOW_JOB_LEASE_SECONDS / 3, 0.2)
    silent_limit = settings.STUDENTFLOW_JOB_SILENT_SECONDS
    run = Job(pk=job.pk, attempts=job.attempts, worker=job.worker)

    def beat() -> None:
        try:
            while not stop.wait(interval):
                # `job` is the run's own object: claiming and each set_progress stamp its heartbeat_at.
                progressed = job.heartbeat_at
                if progressed is not None and (timezone.now() - progressed).total_seconds() > silent_limit:
                    logger.error(
                        "Job %s: no progress for %s s; the lease is left to run out.", run.pk, silent_limit
                    )
                    return
                try:
                    job_heartbeat(job=run)
                except JobLost:
                    return
                except DatabaseError:  # SQLite busy with the run's own write: the next beat will do
                    logger.warning("Job %s: heartbeat failed; trying again.", run.pk, exc_info=True)
        finally:
            connections.close_all()  # this thread's connections only

    thread = threading.Thread(target=beat, name=f"job-lease-{job.pk}", daemon=True)
    thread.start()
    try:
        yield job
    finally:
        stop.set()


def job_run(
    *,
    job_id,
    kind: str,
    run: Callable[[Job], object],
    fail: Callable[[Job, Exception], object] | None = None,
    where: Q | None = None,
) -> bool:
    """What a job's task does: claim the job, run `run(job)` under a lease in the owner's language, and
    record an unexpected error with `fail` (so the page says it failed rather than spin). False when
    there was nothing to run (finished, held by a live run, unknown)."""
    job = Job.objects.select_related("owner").filter(pk=job_id, kind=kind).first()
    if job is None or not job_claim(job=job, where=where):
        return False
    with job_lease(job), translation.override(job.owner.language or None):
        try:
            run(job)
        except JobLost:
            logger.warning("Job %s: attempt %s stopped, another run took over.", job.pk, job.attempts)
        except Exception as error:
            if fail is not None:
                fail(job, error)
            raise
    return True


# ------------------------------------------------------------------------------------------ child jobs


def job_children(parent: Job):
    """The child jobs of `parent` (see job_children_enqueue)."""
    return Job.objects.filter(payload__parent=str(parent.pk))


@transaction.atomic
def job_children_enqueue(*, parent: Job, kind: str, payloads: list[dict]) -> list[Job]:
    """One child job of `kind` per payload, owned by the parent's owner (its language), each queued to its
    kind's task once the transaction commits. Each holds a lease from now, like any queued job: a child
    whose task is lost is queued again by the sweeper."""
    leased_until = timezone.now() + lease_duration()
    children = Job.objects.bulk_create(
        Job(
            kind=kind,
            owner_id=parent.owner_id,
            payload={**payload, "parent": str(parent.pk)},
            status=JobStatus.QUEUED,
            leased_until=leased_until,
        )
        for payload in payloads
    )
    for child in children:
        job_dispatch_on_commit(child)
    return children


@dataclass
class ChildFinished:
    recorded: bool  # False: this run had been taken over (or the parent is gone); it recorded nothing
    remaining: int  # children of the parent not finished yet, this one excluded
    parent: Job | None


def job_child_finish(
    *, child: Job, on_parent: Callable[[Job, list[Job]], object] | None = None, **fields
) -> ChildFinished:
    """Finish the run of `child` (SUCCEEDED, writing `fields`), holding the parent's row locked, and count
    the siblings still unfinished. `on_parent(parent, children)` runs under the same lock (progress, say).

    The lock serialises the children's ends (PostgreSQL: FOR UPDATE on the parent's row; SQLite: one writer
    at a time), so of two children finishing together one sees the other unfinished and the other sees
    none left: the work after the last child (a merge) starts exactly once."""
    with transaction.atomic():
        parent = Job.objects.select_for_update().filter(pk=child.payload["parent"]).first()
        if parent is None or not job_finish(job=child, status=JobStatus.SUCCEEDED, **fields):
            return ChildFinished(recorded=False, remaining=-1, parent=parent)
        children = list(job_children(parent).filter(kind=child.kind).order_by("created_at"))
        remaining = sum(1 for sibling in children if sibling.status != JobStatus.SUCCEEDED)
        if on_parent is not None:
            on_parent(parent, children)
    return ChildFinished(recorded=True, remaining=remaining, parent=parent)


# --------------------------------------------------------------------------------------------- the sweeper


@dataclass
class SweepResult:
    restarted: int = 0
    failed: int = 0


def _expired(now: datetime.datetime) -> Q:
    # Jobs from before leases existed have none: their age stands in for it.
    return Q(leased_until__lt=now) | Q(leased_until__isnull=True, created_at__lt=now - lease_duration())


def job_recover(*, job: Job, now: datetime.datetime | None = None) -> str:
    """Restart a queued or running job whose lease ran out, or fail it once it used its attempts.
    Returns "restarted", "failed" or "" (it was alive or finished after all)."""
    now = now or timezone.now()
    stale = Job.objects.filter(
        _expired(now), pk=job.pk, status__in=[JobStatus.QUEUED, JobStatus.RUNNING], attempts=job.attempts
    )
    if job.kind not in _kinds:
        message = _("The job stopped before it finished and cannot restart by itself. Start it again.")
        return "failed" if stale.update(status=JobStatus.FAILED, message=message, finished_at=now) else ""
    if job.attempts >= settings.STUDENTFLOW_JOB_MAX_ATTEMPTS:
        message = ngettext(
            "The job stopped %(count)s time before it finished (the worker running it was stopped), so "
            "it was given up. Start it again; if it stops again, tell the administrator.",
            "The job stopped %(count)s times before it finished (the worker running it was stopped), so "
            "it was given up. Start it again; if it stops again, tell the administrator.",
            job.attempts,
        ) % {"count": job.attempts}
        updated = stale.update(status=JobStatus.FAILED, message=message, finished_at=now, leased_until=None)
        return "failed" if updated else ""
    if not stale.update(status=JobStatus.QUEUED, leased_until=now + lease_duration(), worker=""):
        return ""
    job_dispatch_on_commit(job)
    logger.warning(
        "Job %s (%s) lost its worker after %s attempt(s); queued again.", job.pk, job.kind, job.attempts
    )
    return "restarted"


def job_lease_expired(job: Job, *, now: datetime.datetime | None = None) -> bool:
    now = now or timezone.now()
    if job.is_finished:
        return False
    if job.leased_until is None:
        return job.created_at < now - lease_duration()
    return job.leased_until < now


def jobs_sweep(*, now: datetime.datetime | None = None) -> SweepResult:
    """Restart (or give up) every queued or running job whose lease ran out: a killed worker's jobs."""
    now = now or timezone.now()
    result = SweepResult()
    stale = (
        Job.objects.filter(_expired(now), status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
        .only("pk", "kind", "attempts", "status", "leased_until", "created_at")
        .order_by("created_at")[:SWEEP_BATCH]
    )
    for job in stale:
        outcome = job_recover(job=job, now=now)
        if outcome == "restarted":
            result.restarted += 1
        elif outcome == "failed":
            result.failed += 1
    return result
