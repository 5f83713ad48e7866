"""Publishing results to families: the notice for one published assessment, and the office's term actions
(publish all term results, lock and unlock a term). Writes are audited next to the change."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.academics.models import EnrollmentStatus, Term
from modules.accounts.models import User
from modules.communications.services import (
    notify,
    recipients_for_guardians,
    recipients_for_users,
    users_with_profiles,
)
from modules.core.audit import audit_log
from modules.core.fanout import FANOUT_BATCH, fanouts_rerun, overdue_window
from modules.exams.events import term_results_published
from modules.exams.models import Assessment, GradeBand, GradingScale, TermStatus
from modules.exams.notifications import GRADES_PUBLISHED
from modules.people.models import GuardianLink, Student


def _families(students: list[Student]) -> dict[int, list]:
    """Each student's recipients: the student's own login and the guardians who receive notifications.
    Two queries whatever the number of students or guardians."""
    ids = [student.pk for student in students]
    recipients: dict[int, list] = defaultdict(list)
    logins = users_with_profiles(User.objects.filter(student_profile__pk__in=ids, is_active=True))
    for user in logins:
        recipients[user.student_profile.pk].extend(recipients_for_users([user]))
    links = GuardianLink.objects.filter(student_id__in=ids, receives_notifications=True).select_related(
        "guardian__user"
    )
    for link in links:
        recipients[link.student_id].extend(recipients_for_guardians([link.guardian]))
    return recipients


def _child_url(student: Student) -> str:
    return reverse("exams:child_grades", kwargs={"pk": student.pk})


@transaction.atomic
def assessment_published_notify(*, assessment_id: int) -> int:
    """Tell the students of the class and their guardians that marks were published for "Subject: name".
    One notification per child (so each message names the child); safe to run twice (the event key names the
    assessment and the child). Sets `notified_at`: a publication without it is owed, and
    `assessments_notices_recover` runs it again if its task was lost. Returns the number of students whose
    families were told."""
    started = timezone.now()
    assessment = (
        Assessment.objects.filter(pk=assessment_id, published_at__isnull=False)
        .select_related("offering__subject", "offering__section")
        .first()
    )
    if assessment is None:
        return 0
    section = assessment.offering.section
    students = list(
        Student.objects.filter(
            is_active=True,
            enrollments__section=section,
            enrollments__status=EnrollmentStatus.ACTIVE,
        ).distinct()
    )
    what = f"{assessment.offering.subject.name}: {assessment.name}"
    families = _families(students)
    told = 0
    for student in students:
        people = families.get(student.pk)
        if not people:
            continue
        notify(
            people,
            GRADES_PUBLISHED,
            {"student": student, "what": what},
            event=f"assessment:{assessment.pk}:{student.pk}",
            url=_child_url(student),
        )
        told += 1
    Assessment.objects.filter(pk=assessment.pk, notified_at__isnull=True).update(notified_at=started)
    return told


def term_results_notify(*, term_id: int) -> int:
    """Tell each student of the term's year (and their guardians) that the term's results are published.
    Once per term and student, however often it runs (the event key names both). Not one transaction (a
    year's families are many; each notify() commits on its own): a run cut short is finished by the next,
    and `results_notified_at` is set only at the end, so `terms_notices_recover` finds it until then."""
    started = timezone.now()
    term = Term.objects.filter(pk=term_id).first()
    if term is None:
        return 0
    students = list(
        Student.objects.filter(
            is_active=True,
            enrollments__year_id=term.year_id,
            enrollments__status=EnrollmentStatus.ACTIVE,
        )
        .distinct()
        .order_by("pk")
    )
    families = _families(students)
    told = 0
    for student in students:
        people = families.get(student.pk)
        if not people:
            continue
        notify(
            people,
            GRADES_PUBLISHED,
            {"student": student, "what": term.name},
            event=f"term-results:{term.pk}:{student.pk}",
            url=_child_url(student),
        )
        told += 1
    TermStatus.objects.filter(term=term, results_notified_at__isnull=True).update(results_notified_at=started)
    return told


def _status(term: Term) -> TermStatus:
    status, _created = TermStatus.objects.select_for_update().get_or_create(term=term)
    return status


@transaction.atomic
def term_results_publish(*, term: Term, by: User) -> int:
    """Publish every assessment of the term not yet published, mark the term's results published, and tell
    families (once per term). Returns the number of assessments published now."""
    status = _status(term)
    now = timezone.now()
    # The term's notice tells families about these too (no notice per assessment): they owe nothing more.
    published = Assessment.objects.filter(term=term, published_at__isnull=True).update(
        published_at=now, notified_at=now
    )
    first_time = status.results_published_at is None
    if first_time:
        status.results_published_at = now
        status.save(update_fields=["results_published_at"])
    audit_log(
        actor=by,
        action="term.publish",
        obj=term,
        before={"results_published": not first_time},
        after={"results_published": True, "assessments_published": published},
    )
    # Families are told on the queue (tasks/exams.py subscribes); the notice is idempotent either way.
    term_results_published.send_on_commit(term_id=term.pk, by=by)
    return published


class TermError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@transaction.atomic
def term_lock(*, term: Term, by: User) -> TermStatus:
    status = _status(term)
    if status.locked_at is not None:
        raise TermError(_("%(term)s is already locked.") % {"term": term.name})
    status.locked_at = timezone.now()
    status.locked_by = by
    status.save(update_fields=["locked_at", "locked_by"])
    audit_log(actor=by, action="term.lock", obj=term, before={"locked": False}, after={"locked": True})
    return status


@transaction.atomic
def term_unlock(*, term: Term, by: User, reason: str) -> TermStatus:
    status = _status(term)
    if status.locked_at is None:
        raise TermError(_("%(term)s is not locked.") % {"term": term.name})
    if not reason.strip():
        raise TermError(_("Give a reason for unlocking the term."))
    status.locked_at = None
    status.locked_by = None
    status.save(update_fields=["locked_at", "locked_by"])
    audit_log(
        actor=by,
        action="term.unlock",
        obj=term,
        before={"locked": True},
        after={"locked": False},
        reason=reason.strip(),
    )
    return status


@transaction.atomic
def grading_scale_save(*, form, bands, by: User) -> GradingScale:
    """Save a scale and its bands together (the forms are already valid), audited."""
    before = None
    if form.instance.pk:
        old = GradingScale.objects.prefetch_related("bands").get(pk=form.instance.pk)
        before = _scale_snapshot(old)
    scale = form.save()
    rows = [f.cleaned_data for f in bands.forms if f.cleaned_data and not bands._should_delete_form(f)]
    # Replace the bands as a whole: editing rows in place could swap two letters through a unique clash.
    GradeBand.objects.filter(scale=scale).delete()
    GradeBand.objects.bulk_create(
        GradeBand(
            scale=scale,
            letter=row["letter"].strip().upper(),
            min_percent=row["min_percent"],
            gpa_points=row["gpa_points"],
            descriptor=row.get("descriptor", ""),
        )
        for row in rows
    )
    scale = GradingScale.objects.prefetch_related("bands").get(pk=scale.pk)
    audit_log(
        actor=by,
        action="grading_scale.create" if before is None else "grading_scale.change",
        obj=scale,
        before=before,
        after=_scale_snapshot(scale),
    )
    return scale


def _scale_snapshot(scale: GradingScale) -> dict:
    return {
        "name": scale.name,
        "grade_level": scale.grade_level_id,
        "pass_mark": str(scale.pass_mark),
        "bands": [
            [band.letter, str(band.min_percent), str(band.gpa_points), band.descriptor]
            for band in sorted(scale.bands.all(), key=lambda band: band.min_percent, reverse=True)
        ],
    }


# Recovery of lost notice tasks (modules/core/fanout.py): run by tasks/recovery.py every minute.


def assessments_notices_due(*, now: datetime.datetime | None = None) -> list[int]:
    window = overdue_window(now)
    return list(
        Assessment.objects.filter(published_at__range=window.as_range(), notified_at__isnull=True)
        .order_by("published_at", "pk")
        .values_list("pk", flat=True)[:FANOUT_BATCH]
    )


def assessments_notices_recover(*, now: datetime.datetime | None = None) -> int:
    """Tell families about publications whose notice task was lost. Returns how many were run again."""
    return fanouts_rerun(
        assessments_notices_due(now=now),
        lambda pk: assessment_published_notify(assessment_id=pk),
        what="marks published",
    )


def terms_notices_due(*, now: datetime.datetime | None = None) -> list[int]:
    window = overdue_window(now)
    return list(
        TermStatus.objects.filter(
            results_published_at__range=window.as_range(), results_notified_at__isnull=True
        )
        .order_by("results_published_at", "pk")
        .values_list("term_id", flat=True)[:FANOUT_BATCH]
    )


def terms_notices_recover(*, now: datetime.datetime | None = None) -> int:
    """Tell families about term results whose notice task was lost. Returns how many terms were run again."""
    return fanouts_rerun(
        terms_notices_due(now=now), lambda pk: term_results_notify(term_id=pk), what="term results"
    )
