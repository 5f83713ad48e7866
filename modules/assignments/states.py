"""The one definition of where a student's work stands, used by the student's list, the guardian's page and
the teacher's inbox alike."""

from __future__ import annotations

import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

from modules.assignments.models import Assignment, HandIn, LatePolicy, Submission


class WorkState(models.TextChoices):
    DUE = "due", _("Not handed in yet")  # before the due time (or the student's extension)
    MISSING = "missing", _("Missing")  # the due time has passed and nothing was handed in
    HANDED_IN = "handed_in", _("Handed in")
    LATE = "late", _("Handed in late")
    MARKED = "marked", _("Marked")  # returned: the mark and feedback are visible


def work_state(assignment: Assignment, submission: Submission | None, now: datetime.datetime) -> WorkState:
    """Where the work stands at `now`. Work on paper counts as handed in once the teacher records it."""
    if submission is not None and submission.returned_at is not None:
        return WorkState.MARKED
    if submission is not None and submission.submitted_at is not None:
        return WorkState.LATE if submission.is_late else WorkState.HANDED_IN
    due = submission.extended_due_at if submission is not None and submission.extended_due_at else None
    return WorkState.DUE if now <= (due or assignment.due_at) else WorkState.MISSING


def can_hand_in(assignment: Assignment, submission: Submission | None, now: datetime.datetime) -> bool:
    """Whether a student may hand in (or replace) now: open, not on paper, not returned, before the due time
    (their own if extended), or after it until the late cut-off when late work is accepted. A hand-in may be
    replaced until the due time; once it is late, it may not be replaced after the cut-off either."""
    if assignment.hand_in == HandIn.PAPER or not assignment.is_published or now < assignment.opens_at:
        return False
    if submission is not None and submission.returned_at is not None:
        return False
    due = submission.due_at if submission is not None else assignment.due_at
    if now <= due:
        return True
    if submission is not None and submission.submitted_at is not None and submission.submitted_at <= due:
        return False  # handed in on time: replacing it now would make it late
    if assignment.late_policy == LatePolicy.REFUSE:
        return False
    return assignment.late_until is None or now <= assignment.late_until


def days_late(due: datetime.datetime, handed_in: datetime.datetime) -> int:
    """Whole or part days after the due time (1 for a minute late)."""
    if handed_in <= due:
        return 0
    seconds = (handed_in - due).total_seconds()
    return int(-(-seconds // 86400))
