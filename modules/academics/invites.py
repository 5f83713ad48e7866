"""Inviting the guardians who have no login yet, in bulk: one section, one grade level or the whole school.

The office picks an audience and sees what will happen (how many guardians will be invited, how many were
invited recently, who has no email address); confirming queues a job (modules/core/jobs.py) that gives each
guardian a login and sends them the set-password invitation in their own language
(accounts.services.invitation_send renders it in the login's language), with progress on the job page.

Safe to run twice and to restart: a guardian invited within the invitation's validity (the link is a
password-reset token: PASSWORD_RESET_TIMEOUT) is skipped and counted as such; a run restarted after its
worker was killed carries on from its progress, and the guardian it was inviting is not invited twice.
Bounded: one bulk invitation at a time, at most INVITE_MAX guardians per run, and the office's starts are
rate-limited ("bulk_invitation").
"""

from __future__ import annotations

import datetime
import logging
import smtplib
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from modules.academics.models import AcademicYear, Enrollment, EnrollmentStatus, GradeLevel, Section
from modules.accounts.models import User
from modules.accounts.services import invitation_send, user_create_for_person, user_invite
from modules.core.audit import audit_log
from modules.core.jobs import job_enqueue, job_finish
from modules.core.models import Job, JobStatus
from modules.people.models import Guardian
from modules.people.services import login_for_email

logger = logging.getLogger(__name__)

INVITE_KIND = "guardian_invite"
# Guardians per run: a school larger than this invites grade by grade (and its mail server is spared).
INVITE_MAX = 3000
# Starts per office user, unless STUDENTFLOW_RATE_LIMITS names "bulk_invitation".
INVITE_RATE = "5/m,30/d"
NO_EMAIL_LISTED = 100
SCHOOL = "school"


class InviteRefused(Exception):
    """The bulk invitation cannot start; the message is for the office."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Audience:
    key: str  # "school", "grade:<pk>" or "section:<pk>": what the form and the job keep
    label: str
    year_id: int
    grade_level_id: int | None = None
    section_id: int | None = None


def audience_choices(year: AcademicYear) -> list:
    """The form's choices: the whole school, each grade level and each section of the year."""
    sections = list(Section.objects.filter(year=year).select_related("grade_level"))
    grades = sorted({section.grade_level for section in sections}, key=lambda g: (g.order, g.name))
    return [
        (SCHOOL, _("The whole school")),
        (_("Grade levels"), [(f"grade:{grade.pk}", grade.name) for grade in grades]),
        (_("Sections"), [(f"section:{section.pk}", section.name) for section in sections]),
    ]


def audience_from_key(key: str, year: AcademicYear | None) -> Audience | None:
    """The audience a key names in `year`, or None (unknown, or not of this year)."""
    if year is None:
        return None
    if key == SCHOOL:
        return Audience(key=key, label=_("the whole school"), year_id=year.pk)
    kind, _colon, pk = key.partition(":")
    if not pk.isdigit():
        return None
    if kind == "grade":
        grade = GradeLevel.objects.filter(pk=pk, sections__year=year).distinct().first()
        return grade and Audience(key=key, label=grade.name, year_id=year.pk, grade_level_id=grade.pk)
    if kind == "section":
        section = Section.objects.filter(pk=pk, year=year).first()
        return section and Audience(key=key, label=section.name, year_id=year.pk, section_id=section.pk)
    return None


def _guardians(audience: Audience) -> QuerySet[Guardian]:
    """Guardians of the students enrolled (active) in the audience this year."""
    enrolments = Enrollment.objects.filter(
        year_id=audience.year_id, status=EnrollmentStatus.ACTIVE, student__is_active=True
    )
    if audience.section_id is not None:
        enrolments = enrolments.filter(section_id=audience.section_id)
    if audience.grade_level_id is not None:
        enrolments = enrolments.filter(section__grade_level_id=audience.grade_level_id)
    return Guardian.objects.filter(
        pk__in=Guardian.objects.filter(student_links__student__in=enrolments.values("student")).values("pk")
    )


def _without_login(guardians: QuerySet[Guardian]) -> QuerySet[Guardian]:
    """No login, or one never used: an active login without a password (invited, never accepted)."""
    return guardians.filter(
        Q(user__isnull=True) | Q(user__is_active=True, user__password__startswith=UNUSABLE_PASSWORD_PREFIX)
    )


def validity_start(now: datetime.datetime | None = None) -> datetime.datetime:
    """Invitations sent after this still hold a working link."""
    return (now or timezone.now()) - datetime.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)


def validity_days() -> int:
    return max(1, round(settings.PASSWORD_RESET_TIMEOUT / 86400))


def _to_invite(audience: Audience, now: datetime.datetime) -> QuerySet[Guardian]:
    return (
        _without_login(_guardians(audience))
        .exclude(email="")
        .exclude(user__invited_at__gte=validity_start(now))
        .order_by("pk")
    )


@dataclass
class InvitePlan:
    audience: Audience
    to_invite: int
    recently_invited: int
    no_email_count: int
    no_email: list[Guardian] = field(default_factory=list)  # the first NO_EMAIL_LISTED, by name

    @property
    def too_many(self) -> bool:
        return self.to_invite > INVITE_MAX


def invite_plan(audience: Audience, *, now: datetime.datetime | None = None) -> InvitePlan:
    """What a bulk invitation of `audience` would do now (a few counting queries)."""
    now = now or timezone.now()
    candidates = _without_login(_guardians(audience))
    no_email = candidates.filter(email="").order_by("last_name", "first_name", "pk")
    return InvitePlan(
        audience=audience,
        to_invite=_to_invite(audience, now).count(),
        recently_invited=candidates.exclude(email="")
        .filter(user__invited_at__gte=validity_start(now))
        .count(),
        no_email_count=no_email.count(),
        no_email=list(no_email[:NO_EMAIL_LISTED]),
    )


def guardian_invite_start(*, audience: Audience, by: User, expected: int) -> Job:
    """Queue the bulk invitation of `audience`, as the office saw it: `expected` guardians.

    Raises InviteRefused when one is already running, when the numbers changed since the office looked,
    when there is nobody to invite, or when there are more than INVITE_MAX."""
    with transaction.atomic():
        running = Job.objects.filter(kind=INVITE_KIND, status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
        if running.select_for_update().exists():
            raise InviteRefused(
                _(
                    "Invitations are being sent to guardians already. "
                    "Wait until that finishes, then start again."
                )
            )
        plan = invite_plan(audience)
        if plan.to_invite != expected:
            raise InviteRefused(
                _("The numbers changed since this page was shown. Check them below and confirm again.")
            )
        if not plan.to_invite:
            raise InviteRefused(_("There is nobody to invite."))
        if plan.too_many:
            raise InviteRefused(
                ngettext(
                    "At most %(limit)s guardian can be invited at once. Invite one grade level at a time.",
                    "At most %(limit)s guardians can be invited at once. Invite one grade level at a time.",
                    INVITE_MAX,
                )
                % {"limit": INVITE_MAX}
            )
        job = Job.objects.create(
            kind=INVITE_KIND,
            owner=by,
            total=plan.to_invite,
            payload={"audience": audience.key, "year": audience.year_id},
            result={"title": _("Invitations to guardians · %(audience)s") % {"audience": audience.label}},
        )
        audit_log(
            actor=by,
            action="guardian.bulk_invite",
            model=Guardian,
            description=audience.label,
            after={"audience": audience.key, "guardians": plan.to_invite, "job": str(job.pk)},
        )
        return job_enqueue(job=job)


def guardian_invite_run(*, job: Job) -> None:
    """The job: invite each guardian the audience had when the job first ran, one after the other, with
    progress. A restarted run carries on from its progress (job.done) with the counts it kept."""
    payload = job.payload
    if "ids" not in payload:
        year = AcademicYear.objects.filter(pk=payload.get("year")).first()
        audience = audience_from_key(payload.get("audience", ""), year)
        if audience is None:
            job_finish(
                job=job,
                status=JobStatus.FAILED,
                message=_("The section or grade level no longer exists. Nobody was invited."),
            )
            return
        now = timezone.now()
        ids = list(_to_invite(audience, now).values_list("pk", flat=True)[:INVITE_MAX])
        payload = {**payload, "ids": ids, "started_at": now.isoformat()}
        # Said in the result: the audience's guardians left out because their invitation still holds.
        counts = {"recent": invite_plan(audience, now=now).recently_invited}
        job.set_progress(0, total=len(ids), payload=payload, result={**job.result, "counts": counts})
    ids = payload["ids"]
    started_at = datetime.datetime.fromisoformat(payload["started_at"])
    counts = Counter(job.result.get("counts") or {})
    for index in range(job.done, len(ids)):
        outcome = guardian_invite(guardian_id=ids[index], by=job.owner, started_at=started_at)
        counts[outcome] += 1
        job.set_progress(index + 1, result={**job.result, "counts": dict(counts)})
    job_finish(
        job=job,
        status=JobStatus.SUCCEEDED,
        message=invite_message(counts),
        done=len(ids),
        result={**job.result, "counts": dict(counts)},
    )


def guardian_invite_fail(*, job: Job, error: Exception) -> None:
    job_finish(
        job=job,
        status=JobStatus.FAILED,
        message=_(
            "The invitations stopped because of an unexpected error after %(done)s of %(total)s guardians. "
            "Start again: the guardians already invited are skipped."
        )
        % {"done": job.done, "total": job.total},
    )


def guardian_invite(*, guardian_id: int, by: User, started_at: datetime.datetime) -> str:
    """Give one guardian a login if they have none and send the invitation, in their language. Returns
    what happened: "sent", "retry" (the mail server did not take it now; the invitation sweep sends it
    later), "refused" (the mail server refused the address), "recent" (invited within the invitation's
    validity before this job), "has_login", "email_taken", "no_email" or "gone"."""
    with transaction.atomic():
        guardian = (
            Guardian.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=guardian_id)
            .first()
        )
        if guardian is None:
            return "gone"
        if not guardian.email:
            return "no_email"
        user = guardian.user
        if user is not None:
            if not user.is_active or user.has_usable_password():
                return "has_login"
            if user.invited_at is not None and user.invited_at >= started_at:
                return "sent"  # this job invited them before its worker stopped; the sweep sends what is owed
            if user.invited_at is not None and user.invited_at >= validity_start():
                return "recent"
            if user.language != guardian.preferred_language:
                # Never signed in, so never chose: the office's record of the guardian's language holds.
                User.objects.filter(pk=user.pk).update(language=guardian.preferred_language)
                user.language = guardian.preferred_language
        else:
            try:
                user = login_for_email(person_class=Guardian, email=guardian.email)
            except ValidationError:
                return "email_taken"
            if user is None:
                user = user_create_for_person(
                    email=guardian.email,
                    first_name=guardian.first_name,
                    last_name=guardian.last_name,
                    language=guardian.preferred_language,
                )
            guardian.user = user
            guardian.save(update_fields=["user", "updated_at"])
            if user.has_usable_password():
                audit_log(actor=by, action="guardian.login_link", obj=guardian, after={"user": user.pk})
                return "has_login"
        user_invite(user=user, queue=False)
        audit_log(
            actor=by,
            action="guardian.invite",
            obj=guardian,
            after={"email": user.email, "language": user.language},
        )
    try:
        sent = invitation_send(user_id=user.pk)
    except (smtplib.SMTPException, OSError):
        logger.warning("Invitation to login #%s not sent now; the invitation sweep retries it", user.pk)
        return "retry"
    return "sent" if sent else "refused"


def invite_message(counts: Counter) -> str:
    """What the job did, in full: the office reads it on the job page."""
    parts = [
        ngettext("%(count)s invitation sent.", "%(count)s invitations sent.", counts["sent"])
        % {"count": counts["sent"]}
    ]
    if counts["recent"]:
        parts.append(
            ngettext(
                "%(count)s guardian was invited less than %(days)s days ago and was skipped (their link "
                "still works).",
                "%(count)s guardians were invited less than %(days)s days ago and were skipped (their link "
                "still works).",
                counts["recent"],
            )
            % {"count": counts["recent"], "days": validity_days()}
        )
    if counts["retry"]:
        parts.append(
            ngettext(
                "%(count)s invitation could not be sent yet; the portal tries again by itself.",
                "%(count)s invitations could not be sent yet; the portal tries again by itself.",
                counts["retry"],
            )
            % {"count": counts["retry"]}
        )
    if counts["refused"]:
        parts.append(
            ngettext(
                "The mail server refused %(count)s address: check it on the guardian's page.",
                "The mail server refused %(count)s addresses: check them on the guardians' pages.",
                counts["refused"],
            )
            % {"count": counts["refused"]}
        )
    if counts["has_login"]:
        parts.append(
            ngettext(
                "%(count)s guardian had a login by then and was not invited.",
                "%(count)s guardians had a login by then and were not invited.",
                counts["has_login"],
            )
            % {"count": counts["has_login"]}
        )
    if counts["email_taken"]:
        parts.append(
            ngettext(
                "%(count)s guardian shares an email address with another guardian's login: give them their "
                "own address, then invite them.",
                "%(count)s guardians share an email address with another guardian's login: give them their "
                "own address, then invite them.",
                counts["email_taken"],
            )
            % {"count": counts["email_taken"]}
        )
    if counts["no_email"] or counts["gone"]:
        missing = counts["no_email"] + counts["gone"]
        parts.append(
            ngettext(
                "%(count)s guardian had no email address any more or was deleted.",
                "%(count)s guardians had no email address any more or were deleted.",
                missing,
            )
            % {"count": missing}
        )
    return " ".join(parts)
