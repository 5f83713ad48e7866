"""Telling students and families about homework: a new assignment, work due tomorrow, work returned, and the
guardians' daily digest of missing work. The queue calls these (tasks/assignments.py); each is safe to run
twice and tells nobody twice:

- "published" and "returned" are fan-outs of an event: their event keys name the assignment (or the hand-in
  and the moment it was returned) and the person, and a stamp (`Assignment.notified_at`,
  `Submission.notified_at`) says the fan-out ran, so `*_recover` runs again only what a killed worker lost
  (modules/core/fanout.py);
- "due tomorrow" and the digest are periodic: their event keys name the assignment and its due date (a date
  moved is a new reminder), or the guardian and the day, and `Assignment.reminded_at` keeps the reminder
  from being looked at again.

Every message is rendered in its reader's language by `communications.services.notify`. Guardians receive
the reminder and the digest only if they switched them on (the kinds are opt-in: modules/assignments/
notifications.py); the returned-work notice goes to guardians who receive notifications for the child
(`GuardianLink.receives_notifications`), as the gradebook's notices do.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from modules.academics.models import Enrollment, EnrollmentStatus
from modules.accounts.models import User
from modules.assignments.models import Assignment, HandIn, LatePolicy, Submission
from modules.assignments.notifications import (
    ASSIGNMENT_PUBLISHED,
    CHILD_HOMEWORK_DUE,
    HOMEWORK_DUE,
    MISSING_WORK,
    WORK_RETURNED,
)
from modules.assignments.states import WorkState, work_state
from modules.communications.kinds import NotificationKind
from modules.communications.models import NotificationPreference
from modules.communications.services import (
    Recipient,
    notify,
    recipients_for_guardians,
    recipients_for_users,
    users_with_profiles,
)
from modules.core.fanout import FANOUT_BATCH, fanouts_rerun, overdue_window
from modules.people.models import Guardian, GuardianLink, Student
from modules.people.selectors import notified_guardians_by_student

# The digest lists work missing for at most this many days: older work is the teacher's conversation.
MISSING_LOOKBACK_DAYS = 14
# A reminder stamped less than this before the due time was for this due date; an older stamp was for an
# earlier one (the due date moved later): a new reminder is owed.
REMINDED_FOR_THIS_DUE_DATE = datetime.timedelta(days=2)


# --- who, and where the notice leads ----------------------------------------------------------------------


def student_url(assignment_id: int) -> str:
    return reverse("assignments:student_assignment", args=[assignment_id])


def child_url(student_id: int, assignment_id: int | None = None) -> str:
    if assignment_id is None:
        return reverse("assignments:child_list", args=[student_id])
    return reverse("assignments:child_assignment", args=[student_id, assignment_id])


def _students_of(assignment: Assignment) -> list[Student]:
    """The students of the assignment's class: active enrolments in its section."""
    return list(
        Student.objects.filter(
            is_active=True,
            enrollments__section_id=assignment.offering.section_id,
            enrollments__status=EnrollmentStatus.ACTIVE,
        )
        .distinct()
        .order_by("pk")
    )


def _logins_of(student_ids: Iterable[int]) -> dict[int, Recipient]:
    """Each student's own login as a recipient (students without one are not reached): one query."""
    ids = list(student_ids)
    users = users_with_profiles(User.objects.filter(student_profile__pk__in=ids, is_active=True))
    return {user.student_profile.pk: recipients_for_users([user])[0] for user in users}


def _opted_in(kind: NotificationKind, user_ids: Iterable[int]) -> set[int]:
    """The logins that switched an opt-in kind on (any channel): one query."""
    ids = list(set(user_ids))
    if not ids:
        return set()
    return set(
        NotificationPreference.objects.filter(user_id__in=ids, kind=kind.key)
        .filter(Q(in_app=True) | Q(email=True) | Q(sms=True))
        .values_list("user_id", flat=True)
    )


def _context(assignment: Assignment, **extra) -> dict:
    teacher = assignment.offering.teacher
    return {
        "assignment": assignment,
        "subject": assignment.offering.subject.name,
        "teacher": teacher.full_name if teacher is not None else "",
        "due_at": assignment.due_at,
        "on_paper": assignment.hand_in == HandIn.PAPER,
        **extra,
    }


def _assignments():
    return Assignment.objects.select_related("offering__subject", "offering__teacher", "offering__section")


# --- a new assignment -------------------------------------------------------------------------------------


@transaction.atomic
def assignment_published_notify(*, assignment_id: int) -> int:
    """Tell the students of the class that the assignment is out (one message for the class: it names no
    child). Sets `notified_at`: a publication without it is owed, and `assignments_notices_recover` runs it
    again if its task was lost. Returns how many students were told (0 for an assignment not yet visible)."""
    started = timezone.now()
    assignment = _assignments().filter(pk=assignment_id).published(started).first()
    if assignment is None:
        return 0
    people = list(_logins_of(s.pk for s in _students_of(assignment)).values())
    if people:
        notify(
            people,
            ASSIGNMENT_PUBLISHED,
            _context(assignment),
            obj=assignment,
            url=student_url(assignment.pk),
        )
    Assignment.objects.filter(pk=assignment.pk, notified_at__isnull=True).update(notified_at=started)
    return len(people)


def assignments_notices_due(*, now: datetime.datetime | None = None) -> list[int]:
    window = overdue_window(now)
    return list(
        Assignment.objects.filter(published_at__range=window.as_range(), notified_at__isnull=True)
        .order_by("published_at", "pk")
        .values_list("pk", flat=True)[:FANOUT_BATCH]
    )


def assignments_notices_recover(*, now: datetime.datetime | None = None) -> int:
    """Tell students about assignments whose notice task was lost. Returns how many were run again."""
    return fanouts_rerun(
        assignments_notices_due(now=now),
        lambda pk: assignment_published_notify(assignment_id=pk),
        what="assignment published",
    )


# --- work returned ----------------------------------------------------------------------------------------


def _families(student_ids: list[int]) -> tuple[dict[int, Recipient], dict[int, list[Recipient]]]:
    """Each student's login, and the guardians who receive notifications for them: two queries."""
    guardians = {
        student_id: recipients_for_guardians(found)
        for student_id, found in notified_guardians_by_student(student_ids).items()
    }
    return _logins_of(student_ids), guardians


@transaction.atomic
def work_returned_notify(*, submission_ids: list[int]) -> int:
    """Tell each student, and their guardians, that their work was returned (the mark and the feedback are in
    the portal; neither is put in an email or SMS). Once per return: the event key names the hand-in and the
    moment it was returned, so a retry tells nobody twice and a mark returned again after a correction is
    news again. Sets `Submission.notified_at`, read by `returns_notices_recover`. Returns how many students'
    families were told."""
    started = timezone.now()
    submissions = list(
        Submission.objects.filter(pk__in=submission_ids, returned_at__isnull=False)
        .filter(Q(notified_at__isnull=True) | Q(notified_at__lt=F("returned_at")))
        .select_related("student", "assignment__offering__subject", "assignment__offering__teacher")
        .order_by("pk")
    )
    if not submissions:
        return 0
    logins, guardians = _families(sorted({s.student_id for s in submissions}))
    told = 0
    for submission in submissions:
        assignment = submission.assignment
        context = _context(assignment, student=submission.student, graded=assignment.is_graded)
        event = f"submission:{submission.pk}:{submission.returned_at:%Y%m%d%H%M%S%f}"
        # The same news, each led to their own page: the student to the assignment, guardians to the child's.
        own = logins.get(submission.student_id)
        if own is not None:
            notify([own], WORK_RETURNED, context, event=event, url=student_url(assignment.pk))
        family = guardians.get(submission.student_id, [])
        if family:
            url = child_url(submission.student_id, assignment.pk)
            notify(family, WORK_RETURNED, context, event=event, url=url)
        told += own is not None or bool(family)
    Submission.objects.filter(pk__in=[s.pk for s in submissions]).update(notified_at=started)
    return told


def returns_notices_due(*, now: datetime.datetime | None = None) -> list[int]:
    window = overdue_window(now)
    return list(
        Submission.objects.filter(returned_at__range=window.as_range())
        .filter(Q(notified_at__isnull=True) | Q(notified_at__lt=F("returned_at")))
        .order_by("returned_at", "pk")
        .values_list("pk", flat=True)[: FANOUT_BATCH * 40]
    )


def returns_notices_recover(*, now: datetime.datetime | None = None) -> int:
    """Tell families about returned work whose notice task was lost, a class's worth at a time. Returns how
    many batches ran again."""
    owed = returns_notices_due(now=now)
    batches = [owed[start : start + 40] for start in range(0, len(owed), 40)]
    return fanouts_rerun(batches, lambda ids: work_returned_notify(submission_ids=ids), what="work returned")


# --- due tomorrow -----------------------------------------------------------------------------------------


def _local_day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, zone)
    return start, datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min, zone)


def due_tomorrow(*, now: datetime.datetime | None = None) -> list[int]:
    """Published assignments due tomorrow (the school's day) whose reminder for that due date has not gone."""
    now = now or timezone.now()
    start, end = _local_day_bounds(timezone.localtime(now).date() + datetime.timedelta(days=1))
    return list(
        Assignment.objects.published(now)
        .filter(due_at__gte=start, due_at__lt=end)
        .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lt=F("due_at") - REMINDED_FOR_THIS_DUE_DATE))
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def homework_due_remind(*, assignment_id: int, now: datetime.datetime | None = None) -> int:
    """Remind the students who have not handed the assignment in (nor have until later: an extension past
    tomorrow is not due tomorrow) and, for each, the guardians who asked for these reminders. Returns how
    many students were reminded (whether or not they have a login: the count is of work still owed)."""
    now = now or timezone.now()
    assignment = _assignments().select_for_update(of=("self",)).filter(pk=assignment_id).first()
    if assignment is None or not assignment.is_published:
        return 0
    tomorrow = timezone.localtime(now).date() + datetime.timedelta(days=1)
    submissions = {s.student_id: s for s in Submission.objects.filter(assignment=assignment)}
    owing: list[Student] = []
    for student in _students_of(assignment):
        submission = submissions.get(student.pk)
        due = submission.due_at if submission is not None else assignment.due_at
        if timezone.localtime(due).date() != tomorrow:
            continue
        if work_state(assignment, submission, now) == WorkState.DUE:
            owing.append(student)
    event = f"assignment:{assignment.pk}:{timezone.localtime(assignment.due_at):%Y-%m-%d}"
    logins = _logins_of(s.pk for s in owing)
    if logins:
        notify(
            list(logins.values()),
            HOMEWORK_DUE,
            _context(assignment),
            event=event,
            url=student_url(assignment.pk),
        )
    guardians = notified_guardians_by_student(s.pk for s in owing)
    asked = _opted_in(CHILD_HOMEWORK_DUE, (g.user_id for gs in guardians.values() for g in gs if g.user_id))
    for student in owing:
        wanting = [g for g in guardians.get(student.pk, []) if g.user_id in asked]
        people = recipients_for_guardians([g for g in wanting if g.user is not None and g.user.is_active])
        if people:
            notify(
                people,
                CHILD_HOMEWORK_DUE,
                _context(assignment, student=student),
                event=f"{event}:{student.pk}",
                url=child_url(student.pk, assignment.pk),
            )
    Assignment.objects.filter(pk=assignment.pk).update(reminded_at=now)
    return len(owing)


def homework_due_reminders_send(*, now: datetime.datetime | None = None) -> int:
    """Every assignment due tomorrow not reminded yet, each in its own transaction (a run cut short leaves
    the rest owed to the next). Returns how many students were reminded."""
    now = now or timezone.now()
    told = 0
    for pk in due_tomorrow(now=now):
        told += homework_due_remind(assignment_id=pk, now=now)
    return told


# --- the guardians' daily digest of missing work ----------------------------------------------------------


@dataclass
class MissingItem:
    title: str
    subject: str
    due_at: datetime.datetime
    late_accepted: bool


@dataclass
class ChildMissing:
    student: Student
    items: list[MissingItem] = field(default_factory=list)


def missing_work_by_student(
    student_ids: Iterable[int], *, now: datetime.datetime
) -> dict[int, list[MissingItem]]:
    """The work each student has not handed in whose due time (their own, if extended) passed within the
    last MISSING_LOOKBACK_DAYS: three queries whatever the number of students. Work on paper is left out
    (its hand-in is recorded by the teacher, often after the day): the digest must not call missing what
    sits in a teacher's bag."""
    ids = list(set(student_ids))
    sections: dict[int, list[int]] = defaultdict(list)
    for student_id, section_id in Enrollment.objects.filter(
        student_id__in=ids, status=EnrollmentStatus.ACTIVE, section__year__is_current=True
    ).values_list("student_id", "section_id"):
        sections[section_id].append(student_id)
    since = now - datetime.timedelta(days=MISSING_LOOKBACK_DAYS)
    # Due within the window, or later than `now` for the class but possibly extended: extensions only move
    # a due time later, so an assignment due after `now` cannot be missing.
    assignments = list(
        _assignments()
        .published(now)
        .filter(offering__section_id__in=list(sections), due_at__gte=since, due_at__lt=now)
        .exclude(hand_in=HandIn.PAPER)
        .order_by("due_at", "pk")
    )
    submissions = {
        (s.assignment_id, s.student_id): s
        for s in Submission.objects.filter(assignment__in=assignments, student_id__in=ids).only(
            "assignment_id", "student_id", "submitted_at", "returned_at", "extended_due_at", "is_late"
        )
    }
    found: dict[int, list[MissingItem]] = defaultdict(list)
    for assignment in assignments:
        late_accepted = assignment.late_policy == LatePolicy.ACCEPT and (
            assignment.late_until is None or assignment.late_until > now
        )
        for student_id in sections[assignment.offering.section_id]:
            submission = submissions.get((assignment.pk, student_id))
            if work_state(assignment, submission, now) != WorkState.MISSING:
                continue
            found[student_id].append(
                MissingItem(
                    title=assignment.title,
                    subject=assignment.offering.subject.name,
                    due_at=submission.due_at if submission is not None else assignment.due_at,
                    late_accepted=late_accepted,
                )
            )
    return found


def missing_work_digest_send(*, now: datetime.datetime | None = None) -> int:
    """Send each guardian who switched the digest on one message listing their children's missing work, on
    the days there is some. Once per guardian and day (the event key names both), however often it runs.
    Returns how many guardians were sent a digest."""
    now = now or timezone.now()
    wanted = NotificationPreference.objects.filter(kind=MISSING_WORK.key).filter(
        Q(in_app=True) | Q(email=True) | Q(sms=True)
    )
    guardians = list(
        Guardian.objects.filter(user__in=wanted.values("user_id"), user__is_active=True)
        .select_related("user")
        .order_by("pk")
    )
    if not guardians:
        return 0
    links = GuardianLink.objects.filter(guardian__in=guardians, receives_notifications=True).select_related(
        "student"
    )
    children: dict[int, list[Student]] = defaultdict(list)
    for link in links.order_by("student__last_name", "student__first_name", "student_id"):
        children[link.guardian_id].append(link.student)
    missing = missing_work_by_student((s.pk for students in children.values() for s in students), now=now)
    day = timezone.localtime(now).date()
    sent = 0
    for guardian in guardians:
        report = [
            ChildMissing(student=child, items=missing[child.pk])
            for child in children.get(guardian.pk, [])
            if missing.get(child.pk)
        ]
        if not report:
            continue
        first = report[0].student
        notify(
            recipients_for_guardians([guardian]),
            MISSING_WORK,
            {"children": report, "count": sum(len(child.items) for child in report)},
            event=f"{day:%Y-%m-%d}:g{guardian.pk}",
            url=child_url(first.pk),
        )
        sent += 1
    return sent
