"""Generating a timetable: the requirements made into a problem (problem.py), solved (solver.py), and the
solution stored as a draft Timetable with its lessons, what the generation gave and why.

On the queue (`timetable_generate_start` → the task calls `timetable_generate_run` under the job's lease)
or synchronously (`timetable_generate_now`: the demo, tests). One generation at a time per year: a second
start while one is queued or running is refused (`GenerationRunning`). A job killed mid-solve is queued
again by the sweeper and solves again from the start: storing the solution replaces whatever the draft had
(locked lessons apart), so a run that happens twice leaves one timetable.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.academics.models import AcademicYear, CourseOffering
from modules.core.audit import audit_log
from modules.core.jobs import job_enqueue, job_finish, job_heartbeat, job_run
from modules.core.models import Job, JobStatus
from modules.timetable import problem as problem_module
from modules.timetable import solver as solver_module
from modules.timetable.models import Lesson, Outcome, Timetable, TimetableSettings, TimetableStatus

JOB_KIND = "timetable_generate"

# How often the run writes the solver's progress to the job (its page polls it).
PROGRESS_SECONDS = 1.0


class GenerationRunning(Exception):
    """A generation for this year is already queued or running: one at a time."""

    def __init__(self, timetable: Timetable):
        super().__init__(_("A timetable is being generated already: %(name)s.") % {"name": timetable.name})
        self.timetable = timetable


class NotRegenerable(Exception):
    """Only a draft is generated again (a published timetable is edited by hand or copied to a draft)."""


def time_limit_for(year: AcademicYear) -> float:
    limits = TimetableSettings.objects.filter(year=year).values_list("time_limit_seconds", flat=True).first()
    return float(limits or TimetableSettings._meta.get_field("time_limit_seconds").default)


def generation_running(year: AcademicYear) -> Timetable | None:
    """The timetable of `year` being generated now (its job queued or running), if any."""
    for timetable in Timetable.objects.filter(year=year, status=TimetableStatus.GENERATING).select_related(
        "job"
    ):
        if timetable.job is not None and not timetable.job.is_finished:
            return timetable
    return None


def _release_abandoned(year: AcademicYear) -> None:
    """Timetables left "generating" by a job that was given up (the sweeper failed it) are drafts again."""
    finished = Q(job__isnull=True) | Q(job__status__in=[JobStatus.SUCCEEDED, JobStatus.FAILED])
    Timetable.objects.filter(finished, year=year, status=TimetableStatus.GENERATING).update(
        status=TimetableStatus.DRAFT
    )


def timetable_release(*, timetable: Timetable) -> Timetable:
    """A timetable left "generating" by a job that ended without storing anything (given up by the sweeper
    after its worker was killed too often) is a draft again, with what it had."""
    if timetable.status == TimetableStatus.GENERATING and (
        timetable.job is None or timetable.job.is_finished
    ):
        Timetable.objects.filter(pk=timetable.pk, status=TimetableStatus.GENERATING).update(
            status=TimetableStatus.DRAFT
        )
        timetable.status = TimetableStatus.DRAFT
    return timetable


def default_name() -> str:
    return _("Generated %(when)s") % {"when": timezone.localtime().strftime("%Y-%m-%d %H:%M")}


@transaction.atomic
def timetable_generate_start(
    *, year, user, timetable: Timetable | None = None, partial: bool = False, name: str = ""
) -> Job:
    """Queue a generation: a new draft, or `timetable` (a draft) generated again keeping its locked
    lessons. Refused with GenerationRunning while another generation of the year is queued or running."""
    AcademicYear.objects.select_for_update().filter(pk=year.pk).first()  # one start at a time per year
    _release_abandoned(year)
    running = generation_running(year)
    if running is not None:
        raise GenerationRunning(running)
    if timetable is None:
        timetable = Timetable.objects.create(
            year=year, name=name or default_name(), status=TimetableStatus.GENERATING, created_by=user
        )
        action = "timetable.generate"
    else:
        timetable = Timetable.objects.select_for_update().get(pk=timetable.pk)
        if timetable.status != TimetableStatus.DRAFT:
            raise NotRegenerable(_("Only a draft can be generated again."))
        action = "timetable.regenerate"
    job = Job.objects.create(
        kind=JOB_KIND,
        owner=user,
        payload={"timetable": timetable.pk, "partial": partial},
        total=int(time_limit_for(year)),
    )
    Timetable.objects.filter(pk=timetable.pk).update(
        status=TimetableStatus.GENERATING, job=job, version=timetable.version + 1
    )
    audit_log(actor=user, action=action, obj=timetable, after={"partial": partial, "job": str(job.pk)})
    return job_enqueue(job=job)


def timetable_generate_run(*, job: Job) -> None:
    """What the task runs (through job_run: claimed, under a lease, in the owner's language)."""
    timetable = Timetable.objects.select_related("year").filter(pk=job.payload.get("timetable")).first()
    if timetable is None or timetable.status != TimetableStatus.GENERATING or timetable.job_id != job.pk:
        job_finish(
            job=job,
            status=JobStatus.FAILED,
            message=_("The timetable was deleted or changed before it could be generated."),
        )
        return
    limit = time_limit_for(timetable.year)
    solution, problem = _solve_reporting(
        timetable=timetable, partial=bool(job.payload.get("partial")), time_limit=limit, job=job
    )
    with transaction.atomic():
        job_heartbeat(job=job)  # JobLost when another run took the job over: it stores, not this one
        _store(timetable=timetable, problem=problem, solution=solution, status=TimetableStatus.DRAFT)
        job_finish(
            job=job,
            status=JobStatus.SUCCEEDED,
            message=outcome_message(solution.outcome),
            result={"timetable": timetable.pk, "outcome": solution.outcome},
        )


def timetable_generate_fail(*, job: Job, error: Exception) -> None:
    """An unexpected error: the job says so, and the timetable is a draft again (with what it had)."""
    job_finish(
        job=job,
        status=JobStatus.FAILED,
        message=_(
            "The timetable could not be generated because of an error. Try again, or tell the "
            "administrator if it happens again."
        ),
    )
    Timetable.objects.filter(
        pk=job.payload.get("timetable"), job=job, status=TimetableStatus.GENERATING
    ).update(status=TimetableStatus.DRAFT)


def timetable_generate_job_run(*, job_id) -> bool:
    """The task's body: claim the job and run it under its lease (modules/core/jobs.py)."""
    return job_run(
        job_id=job_id,
        kind=JOB_KIND,
        run=lambda job: timetable_generate_run(job=job),
        fail=lambda job, error: timetable_generate_fail(job=job, error=error),
    )


def timetable_generate_now(
    *, year, user, name: str, partial: bool = False, time_limit: float | None = None
) -> Timetable:
    """Generate a new draft synchronously (the demo, tests) and return it."""
    limit = time_limit if time_limit is not None else time_limit_for(year)
    problem = problem_module.problem_build(year=year)
    solution = solver_module.solve(problem, time_limit=limit, partial=partial)
    with transaction.atomic():
        timetable = Timetable.objects.create(year=year, name=name, created_by=user)
        _store(timetable=timetable, problem=problem, solution=solution, status=TimetableStatus.DRAFT)
        audit_log(actor=user, action="timetable.generate", obj=timetable, after={"outcome": solution.outcome})
    timetable.refresh_from_db()
    return timetable


def outcome_message(outcome: str) -> str:
    messages: dict[str, str] = {
        Outcome.COMPLETE.value: _("Every lesson was placed."),
        Outcome.PARTIAL.value: _("Some lessons could not be placed; the timetable lists them and why."),
        Outcome.INFEASIBLE.value: _("The requirements cannot all hold together; the timetable says which."),
        Outcome.TIMED_OUT.value: _("No timetable was found within the time limit."),
    }
    return str(messages.get(outcome, ""))


def _solve_reporting(*, timetable: Timetable, partial: bool, time_limit: float, job: Job):
    """Solve in a thread while this one writes the solver's progress to the job every second (the job's
    page polls it; the writes are also the run's heartbeat). The solver's callbacks run in its own thread,
    so they only leave their latest message here."""
    keep = list(timetable.lessons.filter(locked=True, weekday__isnull=False))
    problem = problem_module.problem_build(year=timetable.year, keep=keep)
    latest: list[str] = [_("Preparing the requirements.")]
    outcome: dict[str, object] = {}

    def report(message: str) -> None:
        latest[0] = message

    def solve() -> None:
        try:
            outcome["solution"] = solver_module.solve(
                problem, time_limit=time_limit, partial=partial, progress=report
            )
        except Exception as error:  # handed to the run's thread, which raises it
            outcome["error"] = error

    thread = threading.Thread(target=solve, name=f"timetable-solve-{job.pk}", daemon=True)
    started = time.monotonic()
    thread.start()
    total = max(int(time_limit), 1)
    while thread.is_alive():
        thread.join(PROGRESS_SECONDS)
        elapsed = min(int(time.monotonic() - started), total)
        job.set_progress(elapsed, total, message=str(latest[0]))
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["solution"], problem


def _subtract(placements: list, kept: list) -> list:
    """The solution's placements without the kept (locked) ones, whether or not the solver repeats them."""
    left = Counter((p.requirement_id, p.weekday, p.period_id, p.length) for p in kept)
    fresh = []
    for placement in placements:
        key = (placement.requirement_id, placement.weekday, placement.period_id, placement.length)
        if left[key] > 0:
            left[key] -= 1
            continue
        fresh.append(placement)
    return fresh


def _store(*, timetable: Timetable, problem, solution, status: str) -> None:
    """Replace the timetable's lessons (locked ones apart) with the solution's, and record the outcome. A
    generation that placed nothing (it cannot be done, or found nothing in time) leaves a draft's lessons as
    they were: the office reads why, changes a requirement, and still has the draft it had."""
    offering_of = {c.requirement_id: c.offering_id for c in problem.classes}
    teacher_of = dict(
        CourseOffering.objects.filter(pk__in=set(offering_of.values())).values_list("pk", "teacher_id")
    )
    lessons = []
    placed_nothing = not solution.placements and not solution.unplaced
    if not placed_nothing:
        timetable.lessons.filter(locked=False).delete()
        timetable.lessons.filter(locked=True, weekday__isnull=True).delete()
    for placement in _subtract(list(solution.placements), list(problem.locked)):
        offering_id = offering_of[placement.requirement_id]
        lessons.append(
            Lesson(
                timetable=timetable,
                offering_id=offering_id,
                teacher_id=placement.teacher_id or teacher_of.get(offering_id),
                weekday=placement.weekday,
                period_id=placement.period_id,
                length=placement.length,
                room_id=placement.room_id,
            )
        )
    for unplaced in solution.unplaced:
        offering_id = offering_of[unplaced.requirement_id]
        lessons.append(
            Lesson(
                timetable=timetable,
                offering_id=offering_id,
                teacher_id=unplaced.teacher_id or teacher_of.get(offering_id),
                length=unplaced.length,
                reason=unplaced.reason or {},
            )
        )
    Lesson.objects.bulk_create(lessons)
    current = Timetable.objects.select_for_update().get(pk=timetable.pk)
    Timetable.objects.filter(pk=timetable.pk).update(
        status=status,
        generated_at=timezone.now(),
        outcome=solution.outcome,
        score=solution.score,
        broken_wishes=list(solution.broken or []),
        conflicts=list(solution.conflicts or []),
        solver_stats=_plain(solution.stats or {}),
        version=current.version + 1,
    )


def _plain(stats: dict) -> dict:
    """The solver's figures as JSON (numbers and text only)."""
    plain: dict[str, object] = {}
    for key, value in stats.items():
        if isinstance(value, bool | int | float | str) or value is None:
            plain[str(key)] = value
        else:
            plain[str(key)] = str(value)
    return plain
