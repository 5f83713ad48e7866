"""Marking homework: the teacher's score and feedback saved as a draft on the hand-in, returned to the student
one by one or all at once (the mark then written into the gradebook, the one source of truth), paper work
recorded as received, and one student's own due date (an extension).

The score a teacher types is `Submission.raw_score`, before any late penalty. Returning writes the mark after
the penalty (days late × the assignment's penalty per day, at most 100%) through `exams.services.mark_set`,
with the gradebook's own audit; from then on the mark shown anywhere is the gradebook's `exams.Mark`, so a
mark changed in the gradebook shows in the inbox and on the student's page alike.

Two teachers (or two tabs) marking the same student never overwrite each other silently: the page sends what
it showed (the base) and a field someone else changed since is refused (`modules/core/concurrency.py`).
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from modules.accounts.models import User
from modules.assignments.events import work_returned
from modules.assignments.models import Assignment, HandIn, Submission
from modules.assignments.states import days_late
from modules.core.audit import audit_log
from modules.core.concurrency import EditConflict, Verdict, edit_verdict
from modules.core.numbers import number_text
from modules.exams import services as exams_services
from modules.exams.models import Mark
from modules.exams.services import GradeError, StoredMark
from modules.people.models import Student

HUNDRED = Decimal("100")
CENT = Decimal("0.01")


class MarkingError(Exception):
    """A change refused; the message is for the person who asked for it. Nothing was written."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class MarkConflict(Exception):
    """Someone else changed this student's marking since the page was drawn: nothing was written. `current`
    holds their values by field ("score", "feedback", "mark"), to show next to what was typed."""

    def __init__(self, current: dict[str, str]):
        super().__init__("marking changed since the page was drawn")
        self.current = current


# ---- Reading a score, penalties ---------------------------------------------------------------------------


def score_parse(raw: str, *, max_score: Decimal) -> Decimal | None:
    """The typed score (None when empty). Raises MarkingError for letters, a negative score, a score above
    the maximum or more than two decimals, with the gradebook's own messages; the gradebook's codes (ex, m,
    abs) are for the gradebook, not the inbox."""
    try:
        parsed = exams_services.parse_mark(raw, max_score=max_score)
    except GradeError as refusal:
        raise MarkingError(refusal.message) from None
    if parsed is None:
        return None
    score, code = parsed
    if code or score is None:
        raise MarkingError(
            _("Type a score from 0 to %(max)s (mark an absence or an excuse in the gradebook).")
            % {"max": number_text(Decimal(max_score))}
        )
    return score


def score_text(score: Decimal | None) -> str:
    return "" if score is None else f"{score.normalize():f}"


def late_penalty(assignment: Assignment, submission: Submission | None) -> Decimal:
    """The share of the score taken off for lateness: days late × the penalty per day, at most 100%."""
    if submission is None or not submission.is_late or not submission.days_late:
        return Decimal("0")
    return min(HUNDRED, Decimal(submission.days_late) * assignment.late_penalty_percent)


def mark_after_penalty(score: Decimal, penalty_percent: Decimal) -> Decimal:
    """The mark written to the gradebook: the score less the penalty, to the cent (half up)."""
    return (score * (HUNDRED - penalty_percent) / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def is_marked(assignment: Assignment, submission: Submission | None) -> bool:
    """Ready to return: a graded assignment needs a score; one not graded needs feedback (text or a file)."""
    if submission is None:
        return False
    if assignment.is_graded:
        return submission.raw_score is not None
    return bool(submission.feedback.strip() or submission.feedback_file)


def feedback_digest(text: str) -> str:
    """What the page keeps of the feedback it showed, to tell later whether someone changed it (the text
    itself may be long; its digest is enough to compare)."""
    return hashlib.sha256(text.replace("\r\n", "\n").strip().encode()).hexdigest()[:32]


# ---- The draft: score and feedback -------------------------------------------------------------------------


@dataclass(frozen=True)
class MarkBase:
    """What the marking form showed when it was drawn (see modules/core/concurrency.py)."""

    score: str  # the raw score's text
    feedback: str  # feedback_digest() of the feedback
    mark: str  # the gradebook's mark (display), once returned; "" before


def marking_base(submission: Submission | None, mark: Mark | None) -> MarkBase:
    if submission is None:
        return MarkBase(score="", feedback=feedback_digest(""), mark="")
    return MarkBase(
        score=score_text(submission.raw_score),
        feedback=feedback_digest(submission.feedback),
        mark=mark.display if mark is not None and submission.returned_at else "",
    )


def _submission_locked(assignment: Assignment, student: Student) -> Submission:
    """This student's submission under a row lock, created (empty, not handed in) when there is none yet."""
    submission = Submission.objects.select_for_update().filter(assignment=assignment, student=student).first()
    if submission is None:
        Submission.objects.get_or_create(assignment=assignment, student=student)
        submission = Submission.objects.select_for_update().get(assignment=assignment, student=student)
    submission.assignment = assignment  # the caller's copy, with its offering and assessment loaded
    submission.student = student
    return submission


@dataclass
class MarkResult:
    submission: Submission
    changed: list[str] = field(default_factory=list)  # "score", "feedback", "feedback file", "mark"


@transaction.atomic
def submission_mark(
    *,
    assignment: Assignment,
    student: Student,
    score: Decimal | None,
    feedback: str,
    by: User,
    base: MarkBase | None = None,
    feedback_file=None,
    remove_feedback_file: bool = False,
) -> MarkResult:
    """Save the teacher's score (before any penalty) and feedback for one student, as a draft until returned.
    Work already returned has its gradebook mark rewritten at once (with the penalty it was returned with).

    `base`: what the form showed. A field the person left as it was keeps what is stored now; a field someone
    else changed since the page was drawn refuses the whole save (MarkConflict, nothing written). The student
    must be in the class (the caller checked)."""
    submission = _submission_locked(assignment, student)
    feedback = feedback.replace("\r\n", "\n").strip()
    stored = MarkBase(
        score=score_text(submission.raw_score),
        feedback=feedback_digest(submission.feedback),
        mark="",
    )
    new_score = score_text(score)
    new_feedback = feedback_digest(feedback)
    write_score = write_feedback = True
    conflicts: dict[str, str] = {}
    if base is not None:
        verdicts = {
            "score": edit_verdict(base=base.score, new=new_score, stored=stored.score),
            "feedback": edit_verdict(base=base.feedback, new=new_feedback, stored=stored.feedback),
        }
        write_score = verdicts["score"] is Verdict.WRITE
        write_feedback = verdicts["feedback"] is Verdict.WRITE
        if verdicts["score"] is Verdict.CONFLICT:
            conflicts["score"] = stored.score
        if verdicts["feedback"] is Verdict.CONFLICT:
            conflicts["feedback"] = submission.feedback
    if not assignment.is_graded:
        write_score = False
    if conflicts:
        raise MarkConflict(conflicts)
    changed: list[str] = []
    before = {
        "score": stored.score,
        "feedback": len(submission.feedback),
        "file": submission.feedback_file_name,
    }
    if write_score and new_score != stored.score:
        submission.raw_score = score
        changed.append("score")
    if write_feedback and new_feedback != stored.feedback:
        submission.feedback = feedback
        changed.append("feedback")
    if submission.returned_at is not None and "score" in changed:
        _returned_mark_rewrite(assignment, submission, by=by, base=base)
        changed.append("mark")
    # The file last: a refusal above leaves no stray file behind.
    old_file = submission.feedback_file.name if submission.feedback_file else ""
    if feedback_file is not None:
        submission.feedback_file.save(feedback_file.name, feedback_file, save=False)
        submission.feedback_file_name = (feedback_file.name or "feedback")[:200]
        changed.append("feedback file")
    elif remove_feedback_file and old_file:
        submission.feedback_file = ""
        submission.feedback_file_name = ""
        changed.append("feedback file")
    if not changed:
        return MarkResult(submission)
    marked = is_marked(assignment, submission)
    submission.marked_at = (submission.marked_at or timezone.now()) if marked else None
    submission.marked_by = by if marked else None
    submission.save()
    if old_file and old_file != (submission.feedback_file.name if submission.feedback_file else ""):
        storage = submission.feedback_file.storage
        transaction.on_commit(lambda: storage.delete(old_file))
    audit_log(
        actor=by,
        action="submission.mark",
        obj=submission,
        before=before,
        after={
            "score": score_text(submission.raw_score),
            "feedback": len(submission.feedback),
            "file": submission.feedback_file_name,
        },
    )
    return MarkResult(submission, changed)


def _returned_mark_rewrite(
    assignment: Assignment, submission: Submission, *, by: User, base: MarkBase | None
) -> None:
    """Work already returned whose score changed: the gradebook's mark follows, with the same penalty."""
    assessment = assignment.assessment
    if assessment is None:
        return
    if submission.raw_score is None:
        raw = ""
    else:
        raw = str(mark_after_penalty(submission.raw_score, submission.penalty_percent))
    try:
        exams_services.mark_set(
            assessment=assessment,
            student_id=submission.student_id,
            raw=raw,
            by=by,
            base=base.mark if base is not None else None,
        )
    except EditConflict as clash:
        raise MarkConflict({"mark": clash.current}) from None
    except GradeError as refusal:
        raise MarkingError(refusal.message) from None


# ---- Returning ---------------------------------------------------------------------------------------------


@transaction.atomic
def submissions_return(*, assignment: Assignment, by: User, student_ids: list[int] | None = None) -> int:
    """Return marked work: every marked and not yet returned hand-in of the assignment, or only those of
    `student_ids`. A graded assignment's marks are written to the gradebook after the late penalty (the
    gradebook's audit), and its assessment becomes visible to families without the gradebook's own notice:
    the students and their guardians are told "work returned" instead. All or nothing: a mark the gradebook
    refuses (a locked term) returns none. Returns how many were returned."""
    candidates = Submission.objects.select_for_update().filter(
        assignment=assignment, returned_at__isnull=True
    )
    if student_ids is not None:
        candidates = candidates.filter(student_id__in=student_ids)
    submissions = [s for s in candidates.order_by("pk") if is_marked(assignment, s)]
    if not submissions:
        raise MarkingError(
            _("This work is not marked yet: there is nothing to return.")
            if student_ids is not None and len(student_ids) == 1
            else _("No marked work is waiting to be returned.")
        )
    now = timezone.now()
    assessment = assignment.assessment
    if assessment is not None:
        locked = exams_services.term_locked(assessment.term_id)
        marks = {
            row[0]: StoredMark(*row[1:])
            for row in Mark.objects.select_for_update()
            .filter(assessment=assessment, student_id__in=[s.student_id for s in submissions])
            .values_list("student_id", "pk", "score", "code")
        }
    for submission in submissions:
        submission.penalty_percent = late_penalty(assignment, submission)
        submission.returned_at = now
        if assessment is None or submission.raw_score is None:
            continue
        try:
            exams_services.mark_set(
                assessment=assessment,
                student_id=submission.student_id,
                raw=str(mark_after_penalty(submission.raw_score, submission.penalty_percent)),
                by=by,
                locked=locked,
                stored=marks.get(submission.student_id),
            )
        except GradeError as refusal:
            raise MarkingError(refusal.message) from None
    Submission.objects.bulk_update(submissions, ["penalty_percent", "returned_at"])
    if assessment is not None:
        exams_services.assessment_publish(assessment=assessment, by=by, notify=False)
    audit_log(
        actor=by,
        action="assignment.return",
        obj=assignment,
        after={"students": [s.student_id for s in submissions]},
    )
    work_returned.send_on_commit(submission_ids=[s.pk for s in submissions], by=by)
    return len(submissions)


# ---- One student's due date; paper work --------------------------------------------------------------------


def _lateness(submission: Submission) -> None:
    """The late flag and days late of a hand-in against this student's due time (states.days_late)."""
    if submission.submitted_at is None:
        submission.is_late, submission.days_late = False, 0
        return
    late_days = days_late(submission.due_at, submission.submitted_at)
    submission.is_late, submission.days_late = late_days > 0, min(late_days, 32767)


@transaction.atomic
def submission_extend(
    *, assignment: Assignment, student: Student, due_at: datetime.datetime | None, by: User
) -> Submission:
    """Give one student a later due time (None: back to the assignment's). A hand-in already made is judged
    again against it (late or not, days late), so the late penalty at return follows the extension."""
    if due_at is not None and due_at <= assignment.due_at:
        raise MarkingError(
            _("An extension must end after the class's due time (%(due)s).")
            % {"due": formats.date_format(timezone.localtime(assignment.due_at), "DATETIME_FORMAT")}
        )
    submission = _submission_locked(assignment, student)
    if submission.returned_at is not None:
        raise MarkingError(_("This work is already returned: its due date can no longer change."))
    before = submission.extended_due_at
    submission.extended_due_at = due_at
    _lateness(submission)
    submission.save(update_fields=["extended_due_at", "is_late", "days_late", "updated_at"])
    audit_log(
        actor=by,
        action="submission.extend",
        obj=submission,
        before={"due": before.isoformat() if before else ""},
        after={"due": due_at.isoformat() if due_at else ""},
    )
    return submission


@transaction.atomic
def submission_receive_paper(
    *, assignment: Assignment, student: Student, received_at: datetime.datetime | None, by: User
) -> Submission:
    """Record work handed in on paper as received at `received_at` (None: not received after all). Late or
    not follows from this student's due time, as for work handed in online."""
    if assignment.hand_in != HandIn.PAPER:
        raise MarkingError(_("This homework is handed in online, not on paper."))
    if received_at is not None and received_at > timezone.now() + datetime.timedelta(minutes=5):
        raise MarkingError(_("Work cannot be received in the future."))
    submission = _submission_locked(assignment, student)
    if submission.returned_at is not None:
        raise MarkingError(_("This work is already returned."))
    before = submission.submitted_at
    submission.submitted_at = received_at
    _lateness(submission)
    submission.save(update_fields=["submitted_at", "is_late", "days_late", "updated_at"])
    audit_log(
        actor=by,
        action="submission.receive",
        obj=submission,
        before={"received": before.isoformat() if before else ""},
        after={"received": received_at.isoformat() if received_at else ""},
    )
    return submission
