"""The similarity check's pages, for the class's teacher and the office: an assignment's results (every pair
found, flagged over the school's threshold; the check asked for now, with its progress) and one pair's two
texts side by side with the shared passages marked."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from modules.accounts.rules import is_administrator, is_teacher
from modules.assignments.models import Assignment, HandIn, HomeworkPolicy, SimilarityMatch, Submission
from modules.assignments.similarity_checks import similarity_job_current, similarity_job_start
from modules.core.access import role_required
from modules.core.htmx import render_page
from modules.core.models import Job

RESULTS = "assignments/similarity.html"
PAIR = "assignments/similarity_pair.html"


def can_check_similarity(user) -> bool:
    """Teachers (their own classes' assignments) and the office."""
    return is_teacher(user) or is_administrator(user)


def get_assignment_for_checker(request, pk: int) -> Assignment:
    """An assignment of the teacher's classes, or any for the office; 404 otherwise."""
    assignments = Assignment.objects.select_related("offering__subject", "offering__section", "term")
    if not is_administrator(request.user):
        assignments = assignments.taught_by(request.user)
    return get_object_or_404(assignments, pk=pk)


def _pairs(assignment: Assignment, only: int | None):
    """The assignment's matches, each pair of its own hand-ins once (the other direction is the same pair
    seen from the other side), highest score first."""
    matches = (
        SimilarityMatch.objects.filter(assignment=assignment)
        .select_related(
            "submission__student",
            "other__student",
            "other__assignment__offering__section",
            "other__assignment__term__year",
        )
        .order_by("-percent", "pk")
    )
    if only is not None:
        matches = matches.filter(submission_id=only)
    seen: set[frozenset[int]] = set()
    pairs = []
    for match in matches:
        key = frozenset((match.submission_id, match.other_id))
        if only is None and match.other.assignment_id == assignment.pk and key in seen:
            continue
        seen.add(key)
        pairs.append(match)
    pairs.sort(key=lambda m: (-max(m.percent, m.other_percent), m.pk))
    return pairs


def _results_context(request, assignment: Assignment, job: Job | None) -> dict:
    policy = HomeworkPolicy.current()
    only = request.GET.get("submission")
    only_id = int(only) if only and only.isdigit() else None
    focus = None
    if only_id is not None:
        focus = Submission.objects.select_related("student").filter(assignment=assignment, pk=only_id).first()
        if focus is None:
            only_id = None
    handed_in = Submission.objects.filter(assignment=assignment, submitted_at__isnull=False)
    return {
        "assignment": assignment,
        "policy": policy,
        "threshold": policy.similarity_flag_percent,
        "pairs": _pairs(assignment, only_id),
        "focus": focus,
        "handed_in": handed_in.count(),
        "not_compared": (
            handed_in.filter(similarity_percent__isnull=True).select_related("student").order_by("student")
            if assignment.checked_at
            else []
        ),
        "job": job,
        "job_running": job is not None and not job.is_finished,
        # A finished request's failure or notes are news only until a later check (the sweep's) replaced it.
        "job_news": job is not None
        and job.finished_at is not None
        and (assignment.checked_at is None or job.finished_at >= assignment.checked_at),
        "is_paper": assignment.hand_in == HandIn.PAPER,
        "provider": _("an external service")
        if policy.similarity_service_url
        else _("the portal's own engine"),
    }


@require_GET
@role_required(can_check_similarity)
def similarity(request, pk: int):
    """The results of the assignment's similarity check; while a check runs, its progress (the `results`
    fragment polls itself until the check has finished)."""
    assignment = get_assignment_for_checker(request, pk)
    job = similarity_job_current(assignment)
    response = render_page(request, RESULTS, _results_context(request, assignment, job), partial="results")
    response.headers["Cache-Control"] = "no-store"
    return response


@require_POST
@role_required(can_check_similarity)
def similarity_check(request, pk: int):
    """Check the assignment now (on the queue, with progress); a check already running is not doubled."""
    assignment = get_assignment_for_checker(request, pk)
    similarity_job_start(assignment=assignment, by=request.user)
    if request.htmx:
        assignment.refresh_from_db()
        job = similarity_job_current(assignment)
        return render_page(request, RESULTS, _results_context(request, assignment, job), partial="results")
    messages.info(request, _("The similarity check has started."))
    return redirect(reverse("assignments:similarity", args=[assignment.pk]))


@dataclass(frozen=True)
class Segment:
    text: str
    passage: int | None  # the passage's number (1…), None for text not shared


def segments(text: str, ranges: list[tuple[int, int, int]]) -> list[Segment]:
    """`text` cut into shared and unshared stretches. `ranges` are (start, end, number), clipped to the
    text (a hand-in replaced since the check) and overlaps dropped."""
    result: list[Segment] = []
    position = 0
    for start, end, number in sorted(ranges):
        start, end = max(start, position), min(end, len(text))
        if start >= end:
            continue
        if start > position:
            result.append(Segment(text[position:start], None))
        result.append(Segment(text[start:end], number))
        position = end
    if position < len(text):
        result.append(Segment(text[position:], None))
    return result


def _ranges(passages, side: str) -> list[tuple[int, int, int]]:
    ranges = []
    for number, passage in enumerate(passages, start=1):
        span = passage.get(side) if isinstance(passage, dict) else None
        if isinstance(span, list) and len(span) == 2 and all(isinstance(v, int) for v in span):
            ranges.append((span[0], span[1], number))
    return ranges


@require_GET
@role_required(can_check_similarity)
def similarity_pair(request, pk: int, match: int):
    """Two hand-ins side by side, the passages they share marked. The other side's student is named only
    to someone who may see that hand-in (another class's teacher's student, or last year's, stays
    anonymous: the text is shown, not who wrote it)."""
    assignment = get_assignment_for_checker(request, pk)
    found = (
        SimilarityMatch.objects.filter(assignment=assignment, pk=match)
        .select_related(
            "submission__student",
            "other__student",
            "other__assignment__offering__section",
            "other__assignment__offering__subject",
            "other__assignment__term__year",
        )
        .first()
    )
    if found is None:
        raise Http404
    other_named = Submission.objects.filter(pk=found.other_id).visible_to(request.user).exists()
    passages = found.passages if isinstance(found.passages, list) else []
    left, right = found.submission, found.other
    context = {
        "assignment": assignment,
        "match": found,
        "threshold": HomeworkPolicy.current().similarity_flag_percent,
        "left": left,
        "right": right,
        "other_named": other_named,
        "same_assignment": right.assignment_id == assignment.pk,
        "left_segments": segments(left.extracted_text or "", _ranges(passages, "a")),
        "right_segments": segments(right.extracted_text or "", _ranges(passages, "b")),
        "passages": [
            {"number": n, "words": p.get("words", 0)}
            for n, p in enumerate(passages, start=1)
            if isinstance(p, dict)
        ],
        "changed_since": any(
            s.extracted_version is not None and s.extracted_version != s.version for s in (left, right)
        ),
    }
    return render_page(request, PAIR, context)
