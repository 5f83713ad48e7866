"""Handing work in: a student's files and/or typed answer for one assignment, replaced until the due time.

A hand-in is never lost. The new files are checked and written to storage first; then, in one transaction
under a lock on the student's submission, the version the page was drawn from is compared with the stored
one (a second tab, or another device, that handed in meanwhile makes it differ: refused, with nothing
written), the time is checked against the due time and the late policy (`states.can_hand_in`), and the new
version's rows are written. Earlier versions' files stay (the receipt of what was handed in when); a file
kept from the previous version is a new row pointing at the same stored file. If anything fails, the files
written for this attempt are removed and the previous hand-in stands as it was.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from modules.assignments import states
from modules.assignments.events import work_handed_in
from modules.assignments.models import (
    Assignment,
    HandIn,
    HomeworkPolicy,
    LatePolicy,
    Submission,
    SubmissionFile,
)
from modules.core.audit import audit_log
from modules.core.uploads import validate_attachment
from modules.people.models import Student

# The most a typed answer may hold (the model's max_length, checked here too: a service is called by more
# than one form).
TEXT_MAX_CHARS = 100_000
# A form sent again this soon after it was taken, unchanged, is a repeat (a double click), not a second tab.
REPEAT_WINDOW = datetime.timedelta(minutes=5)


class HandInRefused(Exception):
    """A hand-in that was not taken, with the reason in words for the student. `conflict`: another tab or
    device handed in meanwhile (the page should show the stored hand-in next to what was typed)."""

    def __init__(self, message: str, *, conflict: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.conflict = conflict


@dataclass(frozen=True)
class CheckedFile:
    upload: UploadedFile
    name: str
    size: int
    sha256: str
    content_type: str


def refusal_reason(assignment: Assignment, submission: Submission | None, now) -> str:
    """Why `can_hand_in` says no, in words (empty when a hand-in is allowed)."""
    if states.can_hand_in(assignment, submission, now):
        return ""
    if assignment.hand_in == HandIn.PAPER:
        return _("This homework is handed in on paper, in class.")
    if not assignment.is_published or now < assignment.opens_at:
        return _("This homework opens on %(when)s.") % {"when": _when(assignment.opens_at)}
    if submission is not None and submission.returned_at is not None:
        return _("Your work has been marked and returned; it can no longer be changed.")
    due = submission.due_at if submission is not None else assignment.due_at
    if submission is not None and submission.submitted_at is not None and submission.submitted_at <= due:
        return _(
            "The due time (%(when)s) has passed. Your hand-in was on time and stays as it is; replacing it "
            "now would make it late."
        ) % {"when": _when(due)}
    if assignment.late_policy == LatePolicy.REFUSE:
        return _("The due time (%(when)s) has passed and late work is not accepted.") % {"when": _when(due)}
    return _("Late work was accepted until %(when)s; the hand-in is closed.") % {
        "when": _when(assignment.late_until or due)
    }


def _when(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def uploads_check(
    *,
    assignment: Assignment,
    uploads: Sequence[UploadedFile],
    kept: Sequence[SubmissionFile] = (),
    policy: HomeworkPolicy | None = None,
) -> list[CheckedFile]:
    """Check every new file (kind by content, size against the school's policy, the assignment's accepted
    types) and the hand-in as a whole (how many files, their total size, kept ones included). Raise
    ValidationError listing every problem; return each file with its size and checksum."""
    policy = policy or HomeworkPolicy.current()
    extensions = assignment.extensions() or None
    errors: list[str] = []
    checked: list[CheckedFile] = []
    for upload in uploads:
        try:
            content_type = validate_attachment(upload, max_bytes=policy.max_file_bytes, extensions=extensions)
        except ValidationError as error:
            errors.extend(error.messages)
            continue
        checked.append(
            CheckedFile(
                upload=upload,
                name=_clean_name(upload.name or "file"),
                size=upload.size or 0,
                sha256=_sha256(upload),
                content_type=content_type,
            )
        )
    count = len(uploads) + len(kept)
    if count > policy.max_files:
        errors.append(
            ngettext(
                "A hand-in holds at most %(limit)s file; this one would hold %(count)s.",
                "A hand-in holds at most %(limit)s files; this one would hold %(count)s.",
                policy.max_files,
            )
            % {"limit": policy.max_files, "count": count}
        )
    total = sum(upload.size or 0 for upload in uploads) + sum(each.size for each in kept)
    if total > policy.max_submission_bytes:
        errors.append(
            _("All the files of a hand-in come to at most %(limit)s; these come to %(size)s.")
            % {"limit": filesizeformat(policy.max_submission_bytes), "size": filesizeformat(total)}
        )
    if errors:
        raise ValidationError(errors)
    return checked


def _clean_name(name: str) -> str:
    """The name the student gave the file, without any folder and cut to the column's length (the extension
    kept)."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "file"
    if len(name) <= 200:
        return name
    stem, dot, extension = name.rpartition(".")
    return (stem[: 199 - len(extension)] + dot + extension) if dot else name[:200]


def _sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def submission_hand_in(
    *,
    assignment: Assignment,
    student: Student,
    by,
    base_version: int,
    text: str = "",
    uploads: Sequence[UploadedFile] = (),
    keep_file_ids: Sequence[int] = (),
    now=None,
) -> Submission:
    """Hand in (or replace) `student`'s work for `assignment`: the typed `text` and the files, new
    (`uploads`) and kept from the current hand-in (`keep_file_ids`). `base_version` is the version the page
    showed (0: none yet). Raise HandInRefused (nothing written) or ValidationError (a file or the whole is
    refused; nothing written)."""
    now = now or timezone.now()
    text = (text or "").replace("\r\n", "\n").strip()
    if assignment.hand_in == HandIn.TEXT and uploads:
        raise HandInRefused(_("This homework is handed in as typed text; files are not taken."))
    if len(text) > TEXT_MAX_CHARS:
        raise HandInRefused(
            _("The answer is too long (%(length)s characters; the limit is %(limit)s).")
            % {"length": len(text), "limit": TEXT_MAX_CHARS}
        )
    current = Submission.objects.filter(assignment=assignment, student=student).first()
    # Refuse early (before any file is written) what the locked check below would refuse anyway.
    reason = refusal_reason(assignment, current, now)
    if reason:
        raise HandInRefused(reason)
    if (current.version if current else 0) != base_version:
        if current is not None and _is_repeat(current, base_version, text, uploads, keep_file_ids):
            return current  # the same form sent twice (a double click): it was taken the first time
        raise HandInRefused(_conflict_message(current), conflict=True)
    kept = _kept_files(current, keep_file_ids)
    checked = uploads_check(assignment=assignment, uploads=uploads, kept=kept)
    if not text and not checked and not kept:
        raise HandInRefused(
            _("Nothing was handed in: choose a file or type your answer.")
            if assignment.hand_in == HandIn.FILE
            else _("Nothing was handed in: type your answer.")
        )
    if assignment.hand_in == HandIn.FILE and not checked and not kept:
        raise HandInRefused(_("This homework is handed in as a file: choose at least one file."))
    stored = _store(checked)
    try:
        return _swap(
            assignment=assignment,
            student=student,
            by=by,
            base_version=base_version,
            text=text,
            stored=stored,
            kept_ids=[each.pk for each in kept],
            now=now,
        )
    except BaseException:
        for row in stored:
            _delete(row)
        raise


def _is_repeat(
    current: Submission, base_version: int, text: str, uploads: Sequence[UploadedFile], keep_file_ids
) -> bool:
    """Whether the stored hand-in is exactly this form's, taken moments ago from the same page: the version
    right after the page's, the same answer, and the same files (by checksum)."""
    if current.version != base_version + 1 or current.text != text or current.submitted_at is None:
        return False
    if timezone.now() - current.submitted_at > REPEAT_WINDOW:
        return False
    rows = list(current.files.filter(version=current.version))
    kept = current.files.filter(version=base_version, pk__in=keep_file_ids).values_list("sha256", flat=True)
    sent = sorted([*kept, *(_sha256(upload) for upload in uploads)])
    return sent == sorted(row.sha256 for row in rows)


def _conflict_message(current: Submission | None) -> str:
    if current is None or current.submitted_at is None:
        return _(
            "Your hand-in changed in another tab or on another device since this page was opened. Nothing "
            "was saved from this page; your typed answer is below. Check the hand-in as it is now, then hand "
            "in again if you still want to."
        )
    return _(
        "This work was handed in again from another tab or device at %(when)s, after this page was opened. "
        "Nothing was saved from this page; your typed answer is below (files must be chosen again). Check "
        "the hand-in as it is now, then hand in again if you still want to replace it."
    ) % {"when": _when(current.submitted_at)}


def _kept_files(current: Submission | None, keep_file_ids: Sequence[int]) -> list[SubmissionFile]:
    if current is None or not keep_file_ids:
        return []
    wanted = {int(pk) for pk in keep_file_ids}
    return [row for row in current.files.filter(version=current.version) if row.pk in wanted]


def _store(checked: Sequence[CheckedFile]) -> list[SubmissionFile]:
    """Write each new file to storage under a random name (rows not saved yet)."""
    rows: list[SubmissionFile] = []
    try:
        for each in checked:
            row = SubmissionFile(
                name=each.name, size=each.size, sha256=each.sha256, content_type=each.content_type, version=0
            )
            each.upload.seek(0)
            row.file.save(each.name, each.upload, save=False)
            rows.append(row)
    except BaseException:
        for row in rows:
            _delete(row)
        raise
    return rows


@transaction.atomic
def _swap(
    *,
    assignment: Assignment,
    student: Student,
    by,
    base_version: int,
    text: str,
    stored: list[SubmissionFile],
    kept_ids: list[int],
    now,
) -> Submission:
    submission = _locked_submission(assignment, student)
    if submission.version != base_version:
        raise HandInRefused(_conflict_message(submission), conflict=True)
    reason = refusal_reason(assignment, submission, now)
    if reason:
        raise HandInRefused(reason)
    before = {
        "version": submission.version,
        "submitted_at": submission.submitted_at.isoformat() if submission.submitted_at else None,
    }
    version = submission.version + 1
    kept = list(submission.files.filter(version=submission.version, pk__in=kept_ids)) if kept_ids else []
    rows = [
        SubmissionFile(
            submission=submission,
            version=version,
            file=row.file.name,
            name=row.name,
            size=row.size,
            sha256=row.sha256,
            content_type=row.content_type,
            uploaded_at=row.uploaded_at,
        )
        for row in kept
    ]
    for row in stored:
        row.submission = submission
        row.version = version
        row.uploaded_at = now
        rows.append(row)
    SubmissionFile.objects.bulk_create(rows)
    due = submission.due_at
    submission.text = text
    submission.version = version
    submission.submitted_at = now
    submission.is_late = now > due
    submission.days_late = min(states.days_late(due, now), 32767)
    submission.save(update_fields=["text", "version", "submitted_at", "is_late", "days_late", "updated_at"])
    audit_log(
        actor=by,
        action="assignments.work_handed_in",
        obj=submission,
        before=before,
        after={
            "version": version,
            "submitted_at": now.isoformat(),
            "late": submission.is_late,
            "files": [{"name": row.name, "size": row.size, "sha256": row.sha256} for row in rows],
            "text_chars": len(text),
        },
    )
    work_handed_in.send_on_commit(submission_id=submission.pk, by=by)
    return submission


def _locked_submission(assignment: Assignment, student: Student) -> Submission:
    """The student's submission for the assignment, created if need be, locked for this transaction."""
    try:
        with transaction.atomic():
            submission, _created = Submission.objects.get_or_create(assignment=assignment, student=student)
    except IntegrityError:
        pass  # created at the same moment by another request: lock theirs
    submission = (
        Submission.objects.select_for_update()
        .select_related("assignment")
        .get(assignment=assignment, student=student)
    )
    return submission


def _delete(row: SubmissionFile) -> None:
    if row.file.name:
        row.file.storage.delete(row.file.name)


def current_files(submission: Submission | None) -> list[SubmissionFile]:
    """The files of the hand-in as it stands (its latest version)."""
    if submission is None or not submission.version:
        return []
    return list(submission.files.filter(version=submission.version))


def earlier_files(submission: Submission | None) -> list[tuple[int, list[SubmissionFile]]]:
    """The files of each earlier hand-in that had any, latest first: (version, files). One query."""
    if submission is None or submission.version <= 1:
        return []
    by_version: dict[int, list[SubmissionFile]] = {}
    for row in submission.files.filter(version__lt=submission.version).order_by("-version", "pk"):
        by_version.setdefault(row.version, []).append(row)
    return list(by_version.items())
