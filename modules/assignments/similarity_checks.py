"""The similarity check of an assignment: each of its hand-ins compared with the others and with every
other hand-in of its lineage (the same homework set in a sibling class, or copied from an earlier year),
ignoring the assignment's own text. The engine is the school's provider (providers.py).

`similarity_check(assignment=...)` runs on the queue: after the due time by the periodic sweep
(`similarity_due`, tasks/assignments_similarity.py), or when a teacher asks on the results page (a core
Job with progress, `similarity_job_start`). It is safe to run twice, and two runs at once are harmless:
each reads every text, compares, and replaces the assignment's matches whole in one transaction, so the
last to finish leaves a complete result. `checked_at` is the time the run started reading: a hand-in
arriving during a run is newer than the check and the next sweep compares it.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.accounts.models import User
from modules.assignments import extract
from modules.assignments.models import (
    Assignment,
    AssignmentFile,
    HandIn,
    HomeworkPolicy,
    SimilarityMatch,
    Submission,
    SubmissionFile,
)
from modules.assignments.providers import ProviderError, provider_for
from modules.core.jobs import job_enqueue, job_finish, job_run
from modules.core.models import Job, JobStatus

logger = logging.getLogger(__name__)

JOB_KIND = "assignments.similarity"
SWEEP_BATCH = 200  # assignments queued per sweep (each a task of about a second); the rest wait ten minutes

Progress = Callable[[int, int], None]


@dataclass
class CheckResult:
    compared: int = 0  # hand-ins of the assignment with enough text
    too_short: int = 0  # handed in, but with too little text to compare
    against: int = 0  # other hand-ins of the lineage they were compared with
    pairs: int = 0  # matches written (pairs with one side in this assignment)
    flagged: int = 0  # hand-ins at or above the school's threshold
    provider: str = "local"
    notes: list[str] = field(default_factory=list)  # files that could not be read, cut texts

    def as_json(self) -> dict:
        return {
            "compared": self.compared,
            "too_short": self.too_short,
            "against": self.against,
            "pairs": self.pairs,
            "flagged": self.flagged,
            "provider": self.provider,
            "notes": self.notes[:50],
        }


# ------------------------------------------------------------------------------------------------- texts


def _read(stored, limit: int) -> bytes:
    with stored.open("rb") as handle:
        return handle.read(limit + 1)


def _file_text(name: str, stored, notes: list[str]) -> str:
    if extract.extension_of(name) not in extract.TEXT_EXTENSIONS:
        return ""
    try:
        data = _read(stored, extract.MAX_FILE_BYTES)
        extracted = extract.extract_text(name, data)
    except extract.ExtractionError as error:
        notes.append(error.message)
        return ""
    except OSError:
        logger.warning("Stored file %s could not be opened", stored.name, exc_info=True)
        notes.append(_("%(name)s could not be opened.") % {"name": name})
        return ""
    notes.extend(extracted.notes)
    return extracted.text


def submission_text(submission: Submission, files: list[SubmissionFile], notes: list[str]) -> str:
    """The text a hand-in is compared by: the typed answer, then each file's text, in the order handed in."""
    texts = [submission.text or ""]
    texts += [_file_text(file.name, file.file, notes) for file in files]
    return extract.texts_join(texts)


def submissions_extract(*, submissions: list[Submission], notes: list[str], progress: Progress | None = None):
    """Read the text of each hand-in whose stored text is not of its current version, and keep it (only
    if the hand-in was not replaced meanwhile: then the next check reads the new one)."""
    by_submission: dict[int, list[SubmissionFile]] = {}
    files = SubmissionFile.objects.filter(submission__in=[s.pk for s in submissions]).order_by("pk")
    for file in files:
        by_submission.setdefault(file.submission_id, []).append(file)
    for number, submission in enumerate(submissions, start=1):
        current = [f for f in by_submission.get(submission.pk, []) if f.version == submission.version]
        text = submission_text(submission, current, notes)
        submission.extracted_text = text
        submission.extracted_version = submission.version
        Submission.objects.filter(pk=submission.pk, version=submission.version).update(
            extracted_text=text, extracted_version=submission.version
        )
        if progress is not None:
            progress(number, len(submissions))


def ignored_texts(assignment: Assignment, notes: list[str]) -> list[str]:
    """The text every hand-in may share without copying: the instructions and attached files of every
    assignment of the lineage (a copy for another class or year may have been reworded)."""
    texts = list(
        Assignment.objects.filter(lineage=assignment.lineage)
        .exclude(instructions="")
        .values_list("instructions", flat=True)
        .distinct()
    )
    for attachment in AssignmentFile.objects.filter(assignment__lineage=assignment.lineage):
        if attachment.text is None:
            attachment.text = _file_text(attachment.name, attachment.file, notes)
            AssignmentFile.objects.filter(pk=attachment.pk).update(text=attachment.text)
        if attachment.text:
            texts.append(attachment.text)
    return texts


# ------------------------------------------------------------------------------------------------- check


def _handed_in(queryset):
    return queryset.filter(submitted_at__isnull=False).exclude(assignment__hand_in=HandIn.PAPER)


def similarity_check(*, assignment: Assignment, progress: Progress | None = None) -> CheckResult:
    """Compare the assignment's hand-ins (see the module's docstring). Raises ProviderError when an
    external service fails: nothing but the assignment's `similarity_error` is written then."""
    started = timezone.now()
    policy = HomeworkPolicy.current()
    provider = provider_for(policy)
    result = CheckResult(provider=provider.name)
    lineage = list(
        _handed_in(Submission.objects.filter(assignment__lineage=assignment.lineage))
        .only("pk", "assignment_id", "text", "version", "extracted_text", "extracted_version")
        .order_by("pk")
    )
    stale = [s for s in lineage if s.extracted_text is None or s.extracted_version != s.version]
    ours = [s for s in lineage if s.assignment_id == assignment.pk]
    total = len(stale) + len(ours)

    def report(done: int, _total: int, *, offset: int = 0) -> None:
        if progress is not None:
            progress(offset + done, total)

    submissions_extract(submissions=stale, notes=result.notes, progress=report)
    ignore = ignored_texts(assignment, result.notes)
    documents = {str(s.pk): s.extracted_text or "" for s in ours}
    corpus = {str(s.pk): s.extracted_text or "" for s in lineage if s.assignment_id != assignment.pk}
    try:
        comparison = provider.compare(
            documents=documents,
            corpus=corpus,
            ignore=ignore,
            progress=lambda done, _t: report(done, 0, offset=len(stale)),
        )
    except ProviderError as error:
        Assignment.objects.filter(pk=assignment.pk).update(similarity_error=error.message[:500])
        raise
    result.against = len(corpus)
    result.too_short = len(comparison.too_short)
    result.compared = len(documents) - result.too_short
    result.flagged = _write(assignment, ours, comparison, provider.name, started, policy)
    result.pairs = sum(1 for pair in comparison.pairs if pair.a in documents)
    assignment.checked_at = started
    assignment.similarity_error = ""
    return result


@transaction.atomic
def _write(assignment, ours, comparison, provider: str, started, policy: HomeworkPolicy) -> int:
    # One run at a time writes an assignment's result (a second waits here, then writes its own whole).
    Assignment.objects.select_for_update().filter(pk=assignment.pk).first()
    ids = {str(s.pk): s.pk for s in ours}
    SimilarityMatch.objects.filter(submission__assignment=assignment).delete()
    best: dict[int, Decimal] = {}
    rows = []
    for pair in comparison.pairs:
        if pair.a not in ids:
            continue
        submission_id = ids[pair.a]
        score = Decimal(str(round(pair.percent, 2)))
        best[submission_id] = max(best.get(submission_id, Decimal(0)), score)
        rows.append(
            SimilarityMatch(
                assignment=assignment,
                submission_id=submission_id,
                other_id=int(pair.b),
                percent=Decimal(str(round(pair.a_percent, 2))),
                other_percent=Decimal(str(round(pair.b_percent, 2))),
                passages=[passage.as_json() for passage in pair.passages],
                provider=provider,
                checked_at=started,
            )
        )
    SimilarityMatch.objects.bulk_create(rows, batch_size=500)
    too_short = {ids[key] for key in comparison.too_short if key in ids}
    for submission in ours:
        submission.similarity_percent = (
            None if submission.pk in too_short else best.get(submission.pk, Decimal("0.00"))
        )
    Submission.objects.bulk_update(ours, ["similarity_percent"], batch_size=500)
    Assignment.objects.filter(pk=assignment.pk).update(checked_at=started, similarity_error="")
    threshold = policy.similarity_flag_percent
    return sum(1 for score in best.values() if score >= threshold)


def similarity_check_queued(*, assignment_id: int) -> CheckResult | None:
    """What the sweep's task runs for one assignment: the check, or None when it is gone or failed (the
    failure is kept on the assignment for its page; the next sweep tries again)."""
    assignment = Assignment.objects.filter(pk=assignment_id).first()
    if assignment is None:
        return None
    try:
        return similarity_check(assignment=assignment)
    except ProviderError as error:
        logger.warning("Similarity check of assignment %s failed: %s", assignment_id, error.message)
        return None


def similarity_due(*, now: datetime.datetime, limit: int = SWEEP_BATCH) -> list[int]:
    """Assignments whose due time has passed and which were not checked since their latest hand-in,
    oldest due first."""
    handed_in = Submission.objects.filter(assignment=OuterRef("pk"), submitted_at__isnull=False)
    newer = handed_in.filter(submitted_at__gt=OuterRef("checked_at"))
    return list(
        Assignment.objects.published(now)
        .filter(due_at__lte=now)
        .exclude(hand_in=HandIn.PAPER)
        .alias(has_work=Exists(handed_in), has_newer=Exists(newer))
        .filter(Q(checked_at__isnull=True, has_work=True) | Q(checked_at__isnull=False, has_newer=True))
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


# ---------------------------------------------------------------------------------------- on demand (Job)


def similarity_job_current(assignment: Assignment) -> Job | None:
    """The latest check a person asked for on this assignment (running or finished)."""
    return (
        Job.objects.filter(kind=JOB_KIND, payload__assignment=assignment.pk).order_by("-created_at").first()
    )


@transaction.atomic
def similarity_job_start(*, assignment: Assignment, by: User) -> Job:
    """Queue a check of `assignment` now, or return the one already queued or running (two clicks, two
    teachers: one check)."""
    Assignment.objects.select_for_update().filter(pk=assignment.pk).first()
    running = (
        Job.objects.filter(kind=JOB_KIND, payload__assignment=assignment.pk)
        .filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
        .first()
    )
    if running is not None:
        return running
    job = Job.objects.create(kind=JOB_KIND, owner=by, payload={"assignment": assignment.pk})
    return job_enqueue(job=job)


def _run(job: Job) -> None:
    assignment = Assignment.objects.filter(pk=job.payload.get("assignment")).first()
    if assignment is None:
        job_finish(job=job, status=JobStatus.FAILED, message=_("The assignment no longer exists."))
        return
    try:
        result = similarity_check(
            assignment=assignment, progress=lambda done, total: job.set_progress(done, total)
        )
    except ProviderError as error:
        job_finish(job=job, status=JobStatus.FAILED, message=error.message)
        return
    job_finish(job=job, status=JobStatus.SUCCEEDED, result=result.as_json())


def _failed(job: Job, error: Exception) -> None:
    job_finish(
        job=job,
        status=JobStatus.FAILED,
        message=_("The check stopped because of an unexpected error. Nothing was changed; try again."),
    )


def similarity_job_run(*, job_id) -> bool:
    """What the queue runs for a check a person asked for: the check under the job's lease (a run whose
    worker died is queued again by the sweeper and simply checks again)."""
    return job_run(job_id=job_id, kind=JOB_KIND, run=_run, fail=_failed)
