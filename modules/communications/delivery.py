"""Sending what notify() queued: one email or SMS per Delivery row, with retries, and the daily digest.

A delivery is claimed with a conditional UPDATE (QUEUED/RETRYING → SENDING) before anything goes out, so a
task that runs twice, or two workers, never send the same row twice. Sending happens outside any database
transaction (an SMTP server may take 20 s to answer; SQLite must not stay locked meanwhile); the outcome is
then recorded in one short transaction. A failure is data, not a crash: it is written to the row and its
attempt log in plain words, and the worker carries on.

Huey does not acknowledge tasks: a worker killed while sending leaves its delivery SENDING. The claim is
therefore a lease (`next_attempt_at` = when the attempt counts as lost), and `deliveries_recover` (the
sweeper, every minute) sends again what is still SENDING after it, since only a recorded provider answer
(status SENT with the provider's id) confirms a send. Each email keeps one Message-ID across its attempts
(`delivery_message_id`), so a mail system that did receive the lost attempt treats the retry as the same
message.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import smtplib
import ssl
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.utils import DNS_NAME
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import ngettext

from modules.communications.events import deliveries_queued, delivery_deferred
from modules.communications.models import Attachment, Channel, Delivery, DeliveryAttempt, DeliveryStatus
from modules.communications.sms import NOT_CONFIGURED as SMS_NOT_CONFIGURED
from modules.communications.sms import SmsBackend, SmsError, get_sms_backend, sms_enabled
from modules.core.models import SchoolProfile

logger = logging.getLogger(__name__)

SEND_BATCH = 100
# A scheduled retry may fire a moment before next_attempt_at by the worker's clock.
RETRY_TOLERANCE = datetime.timedelta(seconds=5)
# The plain-text email puts its signature after the standard delimiter; the digest keeps what is above it.
SIGNATURE_DELIMITER = "\n-- \n"
NO_ADDRESS = {Channel.EMAIL: "No email address on file.", Channel.SMS: "No phone number on file."}


class DeliveryError(Exception):
    """Sending failed; `message` is what the office reads in the delivery log."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.message = message
        self.permanent = permanent


# ---------------------------------------------------------------------------------------------- one delivery


def delivery_send(*, delivery_id: int, sms_backend: SmsBackend | None = None) -> str | None:
    """Send one queued delivery. Returns its new status, or None when there was nothing to claim (already
    sent, being sent by another worker, not due yet, or unknown). Never raises for a failed send.

    Deliberately not one transaction: the claim commits first, the network call runs with no lock held,
    and the outcome is recorded atomically afterwards (see the module docstring)."""
    now = timezone.now()
    due = Q(status=DeliveryStatus.QUEUED) | Q(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + RETRY_TOLERANCE),
        status=DeliveryStatus.RETRYING,
    )
    # The claim is a lease: if no outcome is recorded by then, the worker was lost (see deliveries_recover).
    if not Delivery.objects.filter(due, pk=delivery_id).update(
        status=DeliveryStatus.SENDING, next_attempt_at=now + _send_lease()
    ):
        logger.info("Delivery %s not sent: already sent, in progress, not due or unknown.", delivery_id)
        return None
    delivery = Delivery.objects.get(pk=delivery_id)
    cannot_go = ""
    if delivery.channel == Channel.SMS and sms_backend is None and not sms_enabled():
        # SMS is off (no provider configured): recorded as not sent, never as sent.
        cannot_go = SMS_NOT_CONFIGURED
    elif not delivery.address:
        cannot_go = NO_ADDRESS[delivery.channel]
    if cannot_go:
        # Nothing to try: no attempt is logged, only why it cannot go.
        _store(delivery, status=DeliveryStatus.FAILED, last_error=cannot_go, next_attempt_at=None)
        return DeliveryStatus.FAILED
    try:
        if delivery.channel == Channel.EMAIL:
            provider_id = _send_email(
                to=[delivery.address],
                subject=delivery.subject,
                text=delivery.body_text,
                html=delivery.body_html,
                delivery_ids=[delivery.pk],
                message_id=delivery_message_id(delivery),
                attachments=list(delivery.attachments.all()),
            )
        else:
            backend = sms_backend or get_sms_backend()
            provider_id = backend.send(delivery.address, delivery.body_text)
    except (DeliveryError, SmsError) as error:
        return _record_failure(delivery, error.message, permanent=error.permanent)
    except Exception as error:  # an unforeseen failure is logged with its traceback, and the worker goes on
        logger.exception("Delivery %s: unexpected error while sending", delivery.pk)
        return _record_failure(delivery, f"Unexpected error while sending: {type(error).__name__}: {error}")
    return _record_success(delivery, provider_id)


def _store(delivery: Delivery, **fields) -> None:
    Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(**fields)
    for name, value in fields.items():
        setattr(delivery, name, value)


@transaction.atomic
def _record_success(delivery: Delivery, provider_id: str) -> str:
    now = timezone.now()
    DeliveryAttempt.objects.create(delivery=delivery, at=now, succeeded=True)
    _store(
        delivery,
        status=DeliveryStatus.SENT,
        sent_at=now,
        provider_id=str(provider_id)[:120],
        attempts=delivery.attempts + 1,
        last_error="",
        next_attempt_at=None,
    )
    return DeliveryStatus.SENT


@transaction.atomic
def _record_failure(delivery: Delivery, error: str, *, permanent: bool = False) -> str:
    now = timezone.now()
    attempts = delivery.attempts + 1
    logger.warning("Delivery %s, attempt %s failed: %s", delivery.pk, attempts, error)
    DeliveryAttempt.objects.create(delivery=delivery, at=now, succeeded=False, error=error)
    if permanent or attempts >= settings.STUDENTFLOW_DELIVERY_MAX_ATTEMPTS:
        _store(
            delivery, status=DeliveryStatus.FAILED, attempts=attempts, last_error=error, next_attempt_at=None
        )
        return DeliveryStatus.FAILED
    delay = backoff_seconds(attempts)
    _store(
        delivery,
        status=DeliveryStatus.RETRYING,
        attempts=attempts,
        last_error=error,
        next_attempt_at=now + datetime.timedelta(seconds=delay),
    )
    delivery_deferred.send_on_commit(delivery_id=delivery.pk, delay=delay)
    return DeliveryStatus.RETRYING


def backoff_seconds(attempts: int) -> int:
    """The wait before the next try after `attempts` failed ones (the last step repeats)."""
    steps = settings.STUDENTFLOW_DELIVERY_BACKOFF or [60]
    return int(steps[min(attempts, len(steps)) - 1])


# --------------------------------------------------------------------------------------------------- email


def _message_id(seed: str) -> str:
    """A Message-ID that is the same for every attempt at sending the same thing: a retry after a lost
    attempt (worker killed after the server accepted the message) is then the same message to mail systems
    that deduplicate. The sender's own domain, not this machine's name: receiving servers trust it more."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or str(DNS_NAME)
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{seed}".encode()).hexdigest()[:24]
    return f"<studentflow.{digest}@{domain}>"


def delivery_message_id(delivery: Delivery) -> str:
    return _message_id(f"delivery:{delivery.pk}:{delivery.key}")


def _send_lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.STUDENTFLOW_JOB_LEASE_SECONDS)


def _send_email(
    *,
    to: list[str],
    subject: str,
    text: str,
    html: str,
    delivery_ids: list[int],
    message_id: str,
    attachments: Sequence[Attachment] = (),
) -> str:
    """Send through the default mailer; returns the Message-ID, or raises DeliveryError in plain words.
    A file of `attachments` gone from the storage fails the send (retried, then failed, saying which)."""
    for address in to:
        try:
            Address(addr_spec=address)
        except (ValueError, IndexError) as error:
            raise DeliveryError(
                f"The email address {address!r} is not valid: {error}", permanent=True
            ) from error
    email = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        headers={
            "Message-ID": message_id,
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
            "X-StudentFlow-Delivery": ", ".join(str(pk) for pk in delivery_ids),
        },
    )
    if html:
        email.attach_alternative(html, "text/html")
    for attachment in attachments:
        try:
            with attachment.file.open("rb") as handle:
                email.attach(attachment.filename, handle.read(), attachment.content_type)
        except OSError as error:
            raise DeliveryError(
                f"The attached file {attachment.filename!r} could not be read: {error}"
            ) from error
    mailer = mailers.default
    try:
        sent = mailer.send_messages([email])
    except Exception as error:
        raise DeliveryError(_smtp_words(error, mailer)) from error
    if not sent:
        raise DeliveryError("The mail server did not accept the message (nothing was sent).")
    return message_id


def _decoded(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _timed_out(error: BaseException) -> bool:
    seen = error
    while seen is not None:
        if isinstance(seen, TimeoutError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _smtp_words(error: Exception, mailer) -> str:
    """What went wrong, as the office should read it in the delivery log."""
    server = f"{getattr(mailer, 'host', '?')}:{getattr(mailer, 'port', '?')}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refused = "; ".join(
            f"{address}: {code} {_decoded(text)}" for address, (code, text) in error.recipients.items()
        )
        return f"The mail server refused the recipient {refused}"
    if isinstance(error, smtplib.SMTPSenderRefused):
        return (
            f"The mail server refused the sender address {error.sender}: "
            f"{error.smtp_code} {_decoded(error.smtp_error)}"
        )
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return f"The mail server did not accept the login: {error.smtp_code} {_decoded(error.smtp_error)}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"The mail server refused the message: {error.smtp_code} {_decoded(error.smtp_error)}"
    if _timed_out(error):
        timeout = getattr(mailer, "timeout", None)
        within = f" within {timeout:g} s" if timeout else ""
        return f"The mail server at {server} did not answer{within}."
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return f"The mail server at {server} closed the connection: {error}"
    if isinstance(error, ConnectionRefusedError):
        return f"The mail server at {server} refused the connection (is it running?)."
    if isinstance(error, ssl.SSLError):
        return f"The secure connection to the mail server at {server} failed: {error}"
    if isinstance(error, OSError):
        return f"Could not reach the mail server at {server}: {error.strerror or error}"
    return f"Sending the email failed: {type(error).__name__}: {error}"


# ---------------------------------------------------------------------------------------- the office's retry


def _current_address(delivery: Delivery) -> str:
    """The person's address as the school holds it now (the office may have fixed it since)."""
    from modules.communications.services import recipients_for_guardians, recipients_for_users

    if delivery.guardian is not None:
        person = recipients_for_guardians([delivery.guardian])[0]
    elif delivery.recipient is not None:
        person = recipients_for_users([delivery.recipient])[0]
    else:
        return ""
    return person.email if delivery.channel == Channel.EMAIL else person.phone


def _for_retry(queryset: models.QuerySet[Delivery]) -> models.QuerySet[Delivery]:
    return queryset.filter(status=DeliveryStatus.FAILED).select_related(
        "guardian__user",
        "recipient__guardian_profile",
        "recipient__staff_profile",
        "recipient__student_profile",
    )


@transaction.atomic
def deliveries_retry(*, deliveries: models.QuerySet[Delivery]) -> int:
    """Queue the failed deliveries among `deliveries` again, with a fresh set of attempts and each person's
    current address. Others are left alone. Returns how many were queued; they are sent after commit."""
    requeued: list[Delivery] = []
    for delivery in _for_retry(deliveries).iterator(chunk_size=500):
        delivery.address = _current_address(delivery) or delivery.address
        delivery.status = DeliveryStatus.QUEUED
        delivery.attempts = 0
        delivery.next_attempt_at = None
        requeued.append(delivery)
    Delivery.objects.bulk_update(
        requeued, ["address", "status", "attempts", "next_attempt_at"], batch_size=500
    )
    ids = [delivery.pk for delivery in requeued]
    if ids:
        deliveries_queued.send_on_commit(delivery_ids=ids)
    return len(ids)


def delivery_retry(*, delivery: Delivery) -> bool:
    """Queue one failed delivery again. False (and nothing changes) when it has not failed."""
    return deliveries_retry(deliveries=Delivery.objects.filter(pk=delivery.pk)) == 1


def deliveries_due(*, now: datetime.datetime | None = None) -> list[int]:
    """Deliveries whose task was lost (queue flushed, worker restarted before an on_commit enqueue):
    queued for over ten minutes, or a retry more than a minute overdue. Claiming makes re-sending safe."""
    now = now or timezone.now()
    return list(
        Delivery.objects.filter(
            Q(status=DeliveryStatus.QUEUED, created_at__lte=now - datetime.timedelta(minutes=10))
            | Q(status=DeliveryStatus.RETRYING, next_attempt_at__lte=now - datetime.timedelta(minutes=1))
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:5000]
    )


# ------------------------------------------------------------------------------------------------ the digest


@dataclass
class DigestItem:
    subject: str
    text: str
    created_at: datetime.datetime


@dataclass
class DigestResult:
    emails: int = 0
    deliveries: int = 0
    failures: list[str] = field(default_factory=list)


def digest_item(delivery: Delivery) -> DigestItem:
    """A queued email reduced to what the digest lists: its subject and its text without the greeting
    title (the subject says it) and without the signature (the digest has its own)."""
    text = delivery.body_text.split(SIGNATURE_DELIMITER, 1)[0].strip()
    first, _newline, rest = text.partition("\n")
    if first.strip() == delivery.subject.strip():
        text = rest.strip()
    return DigestItem(subject=delivery.subject, text=text, created_at=delivery.created_at)


def digest_send(*, now: datetime.datetime | None = None, mailboxes: set[str] | None = None) -> DigestResult:
    """Collect every email waiting for the daily digest into one email per address and language.

    Safe to run twice or on two workers: each group is claimed (DIGEST → SENDING, tagged with a token)
    before it is sent, and a sent delivery is never picked again. `mailboxes` (lower-cased addresses)
    limits it to those, for a digest whose sending was lost."""
    result = DigestResult()
    waiting = Delivery.objects.filter(status=DeliveryStatus.DIGEST, channel=Channel.EMAIL).exclude(address="")
    groups = waiting.annotate(mailbox=Lower("address")).values_list("mailbox", "language").distinct()
    school = SchoolProfile.load()
    for mailbox, language in list(groups):
        if mailboxes is not None and mailbox not in mailboxes:
            continue
        token = f"claim:{uuid.uuid4().hex}"
        waiting.filter(address__iexact=mailbox, language=language).update(
            status=DeliveryStatus.SENDING, provider_id=token, next_attempt_at=timezone.now() + _send_lease()
        )
        claimed = list(Delivery.objects.filter(provider_id=token).order_by("created_at", "pk"))
        if not claimed:
            continue  # another worker took this group
        error = _send_digest(claimed, language=language, school=school)
        _record_digest(claimed, token=token, error=error, now=now or timezone.now())
        if error:
            result.failures.append(f"{mailbox}: {error}")
        else:
            result.emails += 1
            result.deliveries += len(claimed)
    return result


def _send_digest(deliveries: list[Delivery], *, language: str, school: SchoolProfile) -> str | None:
    """Send one digest; returns None, or the error in plain words. The Message-ID is left on the rows."""
    items = [digest_item(delivery) for delivery in deliveries]
    first = deliveries[0]
    context = {
        "items": items,
        "count": len(items),
        "recipient_name": first.recipient_name,
        "school": school,
        "language": language,
        "url": settings.STUDENTFLOW_BASE_URL.rstrip("/") + "/",
    }
    with translation.override(language):
        subject = ngettext(
            "%(school)s: %(count)d update today", "%(school)s: %(count)d updates today", len(items)
        ) % {"school": school.name, "count": len(items)}
        text = render_to_string("communications/email/digest.txt", context)
        html = render_to_string("communications/email/digest.html", context)
    try:
        message_id = _send_email(
            to=[first.address],
            subject=subject,
            text=text,
            html=html,
            delivery_ids=[delivery.pk for delivery in deliveries],
            # The same digest (same deliveries) keeps its Message-ID when it is sent again after a lost try.
            message_id=_message_id("digest:" + ",".join(str(delivery.pk) for delivery in deliveries)),
        )
    except DeliveryError as error:
        return error.message
    except Exception as error:  # as for single sends: recorded, logged, and the other digests still go
        logger.exception("Digest to %s: unexpected error while sending", first.address)
        return f"Unexpected error while sending: {type(error).__name__}: {error}"
    for delivery in deliveries:
        delivery.provider_id = f"digest:{message_id}"[:120]
    return None


@transaction.atomic
def _record_digest(
    deliveries: list[Delivery], *, token: str, error: str | None, now: datetime.datetime
) -> None:
    claimed = Delivery.objects.filter(provider_id=token, status=DeliveryStatus.SENDING)
    DeliveryAttempt.objects.bulk_create(
        [DeliveryAttempt(delivery=d, at=now, succeeded=error is None, error=error or "") for d in deliveries]
    )
    if error is None:
        claimed.update(
            status=DeliveryStatus.SENT,
            sent_at=now,
            provider_id=deliveries[0].provider_id,
            attempts=F("attempts") + 1,
            last_error="",
            next_attempt_at=None,
        )
        return
    logger.warning("Digest to %s failed: %s", deliveries[0].address, error)
    # Back to the digest (tomorrow's will try again) until the attempts run out.
    last_chance = settings.STUDENTFLOW_DELIVERY_MAX_ATTEMPTS - 1
    claimed.filter(attempts__gte=last_chance).update(
        status=DeliveryStatus.FAILED,
        provider_id="",
        attempts=F("attempts") + 1,
        last_error=error,
        next_attempt_at=None,
    )
    claimed.update(
        status=DeliveryStatus.DIGEST,
        provider_id="",
        attempts=F("attempts") + 1,
        last_error=error,
        next_attempt_at=None,
    )


# ------------------------------------------------------------------------------- a worker killed mid-send

INTERRUPTED = "The worker sending this stopped before the provider confirmed it; it is sent again."


def deliveries_recover(*, now: datetime.datetime | None = None) -> int:
    """Deliveries left SENDING by a worker that was killed: the claim's lease ran out and no provider
    answer was recorded. Each counts a (lost) attempt: a single email or SMS is sent again at once, a digest's
    deliveries go back to the digest, which is sent again for those mailboxes. After the last attempt the
    delivery fails, as a refused send would. Returns how many were recovered."""
    now = now or timezone.now()
    lost = Delivery.objects.filter(
        Q(next_attempt_at__lt=now) | Q(next_attempt_at__isnull=True, created_at__lt=now - _send_lease()),
        status=DeliveryStatus.SENDING,
    )
    recovered = 0
    retry_ids: list[int] = []
    digest_mailboxes: set[str] = set()
    for delivery in lost.order_by("pk")[: SEND_BATCH * 10]:
        in_digest = delivery.provider_id.startswith("claim:")
        attempts = delivery.attempts + 1
        last = attempts >= settings.STUDENTFLOW_DELIVERY_MAX_ATTEMPTS
        status = (
            DeliveryStatus.FAILED if last else DeliveryStatus.DIGEST if in_digest else DeliveryStatus.RETRYING
        )
        with transaction.atomic():
            # Conditional on the row as read: a worker that was only slow and recorded its outcome meanwhile
            # keeps it.
            claimed = Delivery.objects.filter(
                pk=delivery.pk,
                status=DeliveryStatus.SENDING,
                attempts=delivery.attempts,
                provider_id=delivery.provider_id,
            ).update(
                status=status,
                attempts=attempts,
                last_error=INTERRUPTED,
                provider_id="" if in_digest else delivery.provider_id,
                next_attempt_at=None if in_digest or last else now,
            )
            if not claimed:
                continue
            DeliveryAttempt.objects.create(delivery=delivery, at=now, succeeded=False, error=INTERRUPTED)
        logger.warning("Delivery %s was left sending by a lost worker (attempt %s).", delivery.pk, attempts)
        recovered += 1
        if last:
            continue
        if in_digest:
            digest_mailboxes.add(delivery.address.lower())
        else:
            retry_ids.append(delivery.pk)
    if retry_ids:
        deliveries_queued.send_on_commit(delivery_ids=retry_ids)
    if digest_mailboxes:
        digest_send(now=now, mailboxes=digest_mailboxes)
    return recovered
