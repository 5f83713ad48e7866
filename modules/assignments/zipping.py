"""Every hand-in of an assignment as one zip: a folder per student ("Last, First (admission number)") holding
their files of the current version and their typed answer (answer.txt).

The zip is streamed as it is written: the rows are read first (one query for the hand-ins, one for their
files), then each file is read from storage in pieces and written to the archive, and what the archive has
written so far is handed to the response. Memory stays bounded by a piece (and the compressor's window)
whatever the number and size of the files; nothing is written to disk. The archive is written without
seeking back (sizes and checksums follow each member, as a zip allows), with ZIP64 where a member needs it.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from modules.assignments.models import Assignment, Submission, SubmissionFile

PIECE = 64 * 1024  # read from storage and handed to the response in pieces of about this size
# Already compressed inside (zip containers, images, PDF's own streams): stored as they are.
STORED_EXTENSIONS = {"docx", "xlsx", "pptx", "odt", "zip", "png", "jpg", "jpeg", "gif", "webp", "pdf"}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def safe_name(name: str, *, fallback: str) -> str:
    """A file or folder name any system unpacks as it is: no path separators, no control or reserved
    characters, no leading dots (no "../"), at most 120 characters (the extension kept)."""
    name = unicodedata.normalize("NFC", name or "")
    name = _UNSAFE.sub("_", name).strip().strip(".").strip()
    if not name:
        return fallback
    if len(name) > 120:
        stem, dot, extension = name.rpartition(".")
        name = (
            (stem[: 119 - len(extension)] + dot + extension) if dot and len(extension) <= 10 else name[:120]
        )
    return name


def _unique(name: str, taken: set[str]) -> str:
    """`name`, or "name (2).ext" when the folder already holds one of that name (compared as Windows
    would, regardless of case)."""
    candidate, number = name, 1
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    while candidate.casefold() in taken:
        number += 1
        candidate = f"{stem} ({number}){dot}{extension}"
    taken.add(candidate.casefold())
    return candidate


@dataclass(frozen=True)
class Member:
    """One file of the zip: where it goes, how big it is, when it was handed in, and how to read it."""

    path: str
    size: int
    when: datetime.datetime
    read: Callable[[], Iterator[bytes]]

    @property
    def compress_type(self) -> int:
        extension = self.path.rsplit(".", 1)[-1].lower() if "." in self.path else ""
        return zipfile.ZIP_STORED if extension in STORED_EXTENSIONS else zipfile.ZIP_DEFLATED


def _file_reader(field_file) -> Callable[[], Iterator[bytes]]:
    def read() -> Iterator[bytes]:
        with field_file.storage.open(field_file.name, "rb") as handle:
            while piece := handle.read(PIECE):
                yield piece

    return read


def _text_reader(text: str) -> Callable[[], Iterator[bytes]]:
    def read() -> Iterator[bytes]:
        data = text.encode("utf-8")
        for start in range(0, len(data), PIECE):
            yield data[start : start + PIECE]

    return read


def student_folder(student) -> str:
    label = f"{student.last_name}, {student.first_name}"
    if student.admission_number:
        label += f" ({student.admission_number})"
    return safe_name(label, fallback=f"student-{student.pk}")


def zip_members(assignment: Assignment) -> list[Member]:
    """What the zip holds: every hand-in of the assignment (handed in, whoever's it is), in name order.
    Two queries."""
    submissions = list(
        Submission.objects.filter(assignment=assignment, submitted_at__isnull=False)
        .select_related("student")
        .only(
            "pk",
            "text",
            "version",
            "submitted_at",
            "student__id",
            "student__first_name",
            "student__last_name",
            "student__admission_number",
        )
        .order_by("student__last_name", "student__first_name", "student__pk")
    )
    files: dict[int, list[SubmissionFile]] = {}
    current = {submission.pk: submission.version for submission in submissions}
    for row in SubmissionFile.objects.filter(submission_id__in=list(current)).order_by("pk"):
        if row.version == current[row.submission_id]:
            files.setdefault(row.submission_id, []).append(row)
    members: list[Member] = []
    folders: set[str] = set()
    answer_name = safe_name(_("answer") + ".txt", fallback="answer.txt")
    for submission in submissions:
        folder = _unique(student_folder(submission.student), folders)
        taken: set[str] = set()
        when = submission.submitted_at or timezone.now()  # handed in: the query asks for it
        if submission.text.strip():
            text = submission.text.replace("\r\n", "\n")
            size = len(text.encode("utf-8"))
            members.append(Member(f"{folder}/{_unique(answer_name, taken)}", size, when, _text_reader(text)))
        for row in files.get(submission.pk, []):
            name = _unique(safe_name(row.name, fallback=f"file-{row.pk}"), taken)
            members.append(
                Member(f"{folder}/{name}", row.size, row.uploaded_at or when, _file_reader(row.file))
            )
    return members


class _Sink:
    """Where the archive writes: kept until the stream takes it. It can tell its position but not seek, so
    zipfile writes each member's sizes after its data instead of going back to the header."""

    def __init__(self) -> None:
        self._pieces: list[bytes] = []
        self._offset = 0

    def write(self, data) -> int:
        self._pieces.append(bytes(data))
        self._offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self._offset

    def flush(self) -> None:
        pass

    @property
    def pending(self) -> int:
        return sum(len(piece) for piece in self._pieces)

    def take(self) -> bytes:
        data = b"".join(self._pieces)
        self._pieces.clear()
        return data


def _zip_time(when: datetime.datetime) -> tuple[int, int, int, int, int, int]:
    local = timezone.localtime(when) if timezone.is_aware(when) else when
    if local.year < 1980:  # the zip format's epoch
        return (1980, 1, 1, 0, 0, 0)
    return (local.year, local.month, local.day, local.hour, local.minute, local.second)


def zip_stream(members: list[Member]) -> Iterator[bytes]:
    """The zip of `members`, in pieces of about PIECE bytes, as it is written."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", allowZip64=True) as archive:  # type: ignore[call-overload]  # a write-only sink
        for member in members:
            info = zipfile.ZipInfo(member.path, date_time=_zip_time(member.when))
            info.compress_type = member.compress_type
            info.file_size = member.size  # lets zipfile decide ZIP64 up front for a large member
            info.external_attr = 0o644 << 16
            with archive.open(info, "w", force_zip64=member.size >= zipfile.ZIP64_LIMIT) as out:
                for piece in member.read():
                    out.write(piece)
                    if sink.pending >= PIECE:
                        yield sink.take()
            if sink.pending:
                yield sink.take()
    tail = sink.take()  # the central directory
    if tail:
        yield tail


def zip_filename(assignment: Assignment) -> str:
    offering = assignment.offering
    label = f"{assignment.title} - {offering.subject.name} {offering.section.name}"
    return safe_name(label, fallback="homework") + ".zip"
