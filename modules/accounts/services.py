from __future__ import annotations

import datetime
import logging
import smtplib

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from modules.accounts.events import login_deactivated, user_invited
from modules.accounts.models import User
from modules.core.audit import audit_log
from modules.core.fanout import FANOUT_BATCH, fanouts_rerun, overdue_window
from modules.core.models import SchoolProfile

logger = logging.getLogger(__name__)


def user_create_for_person(*, email: str, first_name: str, last_name: str, language: str = "en") -> User:
    """A login for a person the office registers. It has no password until the invitation is accepted."""
    return User.objects.create_user(
        email=email, password=None, first_name=first_name, last_name=last_name, language=language
    )


def user_invite(*, user: User, queue: bool = True) -> None:
    """Owe the person an invitation email, and announce it once the surrounding transaction commits
    (`user_invited`: the email is queued). The debt is stored (`invitation_due_at`), so an invitation whose
    task is lost with its worker is sent by the sweep. `queue` False: the caller sends it itself with
    `invitation_send` (a bulk job counting what it sent)."""
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(invited_at=now, invitation_due_at=now)
    # The caller may save this instance again (roles, staff flag): it must not write the old values back.
    user.invited_at = user.invitation_due_at = now
    user_invited.send_on_commit(user_id=user.pk, sent_by_caller=not queue)


def invitation_send(*, user_id: int, base_url: str | None = None) -> bool:
    """Send the set-password invitation owed to a login, once per request (`user_invite`).

    Safe to run twice and concurrently: the owed invitation is claimed with a conditional UPDATE that
    leases it (`invitation_due_at` moves one lease ahead), and is cleared once the mail server took it.
    Sending happens outside any transaction (an SMTP server may take 20 s; SQLite must not stay locked).
    A worker killed while sending leaves the lease to run out, and `invitations_recover` sends it again.
    An account that has a password by then is skipped. A refused address is given up (the office sees no
    password was set and can correct the address); any other failure is retried by the task, then the sweep.
    """
    now = timezone.now()
    lease_end = now + datetime.timedelta(seconds=settings.STUDENTFLOW_JOB_LEASE_SECONDS)
    with transaction.atomic():
        claimed = User.objects.filter(pk=user_id, is_active=True, invitation_due_at__lte=now).update(
            invitation_due_at=lease_end
        )
    if not claimed:
        return False
    owed = User.objects.filter(pk=user_id, invitation_due_at=lease_end)
    user = User.objects.get(pk=user_id)
    if user.has_usable_password():
        owed.update(invitation_due_at=None)
        return False
    key = default_token_generator.make_token(user)
    path = reverse("account_reset_password_from_key", kwargs={"uidb36": user_pk_to_url_str(user), "key": key})
    link = f"{(base_url or settings.STUDENTFLOW_BASE_URL).rstrip('/')}{path}"
    school = SchoolProfile.load()
    with translation.override(user.language or settings.LANGUAGE_CODE):
        context = {"user": user, "link": link, "school": school}
        subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
        text = render_to_string("accounts/email/invitation.txt", context)
        html = render_to_string("accounts/email/invitation.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [user.email])
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as error:
        if isinstance(error, smtplib.SMTPResponseException) and error.smtp_code < 500:
            owed.update(invitation_due_at=now)  # a temporary refusal (4xx): try again later
            raise
        owed.update(invitation_due_at=None)
        logger.warning("The mail server refused the invitation to login #%s; not retrying", user_id)
        return False
    except Exception:
        owed.update(invitation_due_at=now)  # the task's own retry may claim it again at once
        raise
    owed.update(invitation_due_at=None)
    return True


def invitations_due(*, now: datetime.datetime | None = None) -> list[int]:
    """Logins owed an invitation whose task should have sent it by now (asked within the look-back)."""
    window = overdue_window(now)
    return list(
        User.objects.filter(is_active=True, invitation_due_at__lte=window.until, invited_at__gte=window.since)
        .order_by("invitation_due_at", "pk")
        .values_list("pk", flat=True)[:FANOUT_BATCH]
    )


def invitations_recover(*, now: datetime.datetime | None = None) -> int:
    """Send the invitations whose task was lost (modules/core/fanout.py). Returns how many were tried."""
    return fanouts_rerun(invitations_due(now=now), lambda pk: invitation_send(user_id=pk), what="invitation")


@transaction.atomic
def user_sessions_end(*, user: User, by: User | None, reason: str = "") -> None:
    """Sign a login out everywhere, now: every session, on every node, in every session store.

    Sessions in the cache or Redis cannot be listed per user, so nothing is deleted: the login's
    `session_epoch` goes up, and it is part of the session auth hash Django checks on every request
    (`User._get_session_auth_hash`), so each old session stops verifying at its next request.

    This is the one place that ends a login's sessions. Its API tokens stop working as soon as the login is
    inactive (modules/api/tokens.py), and are revoked when `login_deactivate` announces it.
    """
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])
    audit_log(actor=by, action="login.sessions_end", obj=user, reason=reason)


@transaction.atomic
def login_deactivate(*, user: User, by: User | None, reason: str = "") -> None:
    """The person may no longer sign in, and their open sessions end (see user_sessions_end)."""
    if user.is_active:
        User.objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        audit_log(
            actor=by,
            action="login.deactivate",
            obj=user,
            before={"is_active": True},
            after={"is_active": False},
            reason=reason,
        )
    user_sessions_end(user=user, by=by, reason=reason)
    login_deactivated.send_on_commit(user_id=user.pk, by=by)


@transaction.atomic
def login_reactivate(*, user: User, by: User | None, reason: str = "") -> None:
    """The person may sign in again (with their password; old sessions stay ended)."""
    if user.is_active:
        return
    User.objects.filter(pk=user.pk).update(is_active=True)
    user.is_active = True
    audit_log(
        actor=by,
        action="login.reactivate",
        obj=user,
        before={"is_active": False},
        after={"is_active": True},
        reason=reason,
    )


def password_reset_send(*, user: User, by: User | None, request) -> bool:
    """Email allauth's password reset link. The office never types a password for someone; it sends this."""
    from allauth.account.forms import ResetPasswordForm

    form = ResetPasswordForm(data={"email": user.email})
    if not user.is_active or not form.is_valid():
        return False
    form.save(request)
    audit_log(actor=by, action="login.password_reset_sent", obj=user)
    return True


@transaction.atomic
def login_email_change(*, user: User, email: str, by: User | None) -> bool:
    """The office changes the address a login signs in with. Returns whether it changed.

    Refused (ValidationError) when another login has the address, in any case. allauth's address rows for
    the old address go, so a password reset sent to the old address no longer reaches this account.
    """
    email = email.strip().lower()
    if email == user.email:
        return False
    if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise ValidationError(_("Another login already uses %(email)s.") % {"email": email})
    before = user.email
    user.email = email
    user.save(update_fields=["email"])
    EmailAddress.objects.filter(user=user).exclude(email__iexact=email).delete()
    # Its single sign-on links go too: the next SSO sign-in must vouch for the new address.
    SocialAccount.objects.filter(user=user).delete()
    audit_log(
        actor=by, action="login.email_change", obj=user, before={"email": before}, after={"email": email}
    )
    return True


@transaction.atomic
def user_superuser_set(*, user: User, is_superuser: bool) -> bool:
    """Superuser status, granted or revoked from the command line only (`manage.py superuser_set`).

    A superuser may open the Django admin, so the login is also marked staff. Revoking ends the login's
    sessions. Audited with no actor: whoever ran the command on the server.
    """
    if user.is_superuser == is_superuser:
        return False
    before = {"is_superuser": user.is_superuser, "is_staff": user.is_staff}
    user.is_superuser = is_superuser
    user.is_staff = user.is_staff or is_superuser
    user.save(update_fields=["is_superuser", "is_staff"])
    audit_log(
        actor=None,
        action="login.superuser_grant" if is_superuser else "login.superuser_revoke",
        obj=user,
        before=before,
        after={"is_superuser": user.is_superuser, "is_staff": user.is_staff},
        reason="manage.py superuser_set",
    )
    if not is_superuser:
        user_sessions_end(user=user, by=None, reason="login.superuser_revoke")
    return True
