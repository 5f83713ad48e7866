"""Bulk import of students with their guardians from an XLSX or CSV file.

The flow is: `import_job_create` checks and stores the file (a Job records it), `student_import_validate`
runs the dry run (it writes nothing but the Job: every row with its problems goes to `job.result`), and
`student_import_commit` writes everything in one transaction once the dry run is clean. Large files run
the two steps on the queue (tasks/academics.py); the job's `payload["phase"]` says where it stands.

When some rows have problems the office may instead import the valid rows: it confirms the set of rows it
saw (`result["valid_digest"]`), the write checks them again and writes them all or nothing, and the rows
left out are stored, as uploaded with a Reason column, for the office to download, correct and upload again
(the Reason column is ignored then). A row with problems is never written, not even in part.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.db.models.functions import Lower, Upper
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from modules.academics.events import enrollments_created
from modules.academics.models import Enrollment, Section
from modules.academics.selectors import current_year
from modules.core.audit import audit_log
from modules.core.jobs import (
    JobLost,
    job_claim,
    job_dispatch_on_commit,
    job_finish,
    job_heartbeat,
    job_lease,
    lease_duration,
)
from modules.core.limits import ADDRESS_MAX_LENGTH
from modules.core.models import Job, JobStatus
from modules.core.spreadsheets import (
    FORMULA_TRIGGERS,
    SpreadsheetRefused,
    csv_bytes,
    spreadsheet_check,
    spreadsheet_rows,
    xlsx_bytes,
)
from modules.people.models import Gender, Guardian, GuardianLink, Relationship, Student

IMPORT_KIND = "student_import"
XLSX_SIGNATURE = b"PK\x03\x04"
GUARDIAN_SLOTS = (1, 2)
PROGRESS_STEPS = 20
LOOKUP_CHUNK = 500
# Columns read from each row: the import has 19, and a file may carry a few extra ones that are ignored.
IMPORT_MAX_COLUMNS = 100


class Phase:
    """Where an import job stands (kept in job.payload["phase"])."""

    UPLOADED = "uploaded"  # file stored, dry run not started
    VALIDATING = "validating"  # dry run running
    PREVIEW = "preview"  # dry run done: job.result holds rows and problems
    CONFIRMED = "confirmed"  # the office confirmed; the write waits on the queue
    COMMITTING = "committing"  # the write is running
    IMPORTED = "imported"  # written
    FAILED = "failed"  # stopped; job.message says why, nothing was written

    IN_PROGRESS = (UPLOADED, VALIDATING, CONFIRMED, COMMITTING)


class ImportFileError(Exception):
    """The uploaded file cannot be used at all; the message is for the person who uploaded it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ImportColumn:
    name: str
    required: bool
    label: Promise  # how a message names the column ("date of birth")
    help: Promise
    example: str = ""
    max_length: int | None = None


def _guardian_columns(slot: int, example: dict[str, str]) -> list[ImportColumn]:
    def label(field: Promise) -> Promise:
        return format_lazy(gettext_lazy("guardian {slot} {field}"), slot=slot, field=field)

    new_guardian = gettext_lazy("Needed for a new guardian.")
    primary = gettext_lazy("Guardian 1 is the primary contact.")
    return [
        ImportColumn(
            f"guardian{slot}_first_name",
            False,
            label(gettext_lazy("first name")),
            format_lazy("{} {}", new_guardian, primary) if slot == 1 else new_guardian,
            example.get("first_name", ""),
            100,
        ),
        ImportColumn(
            f"guardian{slot}_last_name",
            False,
            label(gettext_lazy("last name")),
            new_guardian,
            example.get("last_name", ""),
            100,
        ),
        ImportColumn(
            f"guardian{slot}_email",
            False,
            label(gettext_lazy("email")),
            gettext_lazy(
                "A guardian already in the portal with this email (or met earlier in the file, for siblings) "
                "is reused, not created again."
            ),
            example.get("email", ""),
            254,
        ),
        ImportColumn(
            f"guardian{slot}_phone",
            False,
            label(gettext_lazy("phone")),
            gettext_lazy("Any format."),
            example.get("phone", ""),
            40,
        ),
        ImportColumn(
            f"guardian{slot}_relationship",
            False,
            label(gettext_lazy("relationship")),
            gettext_lazy("mother, father, guardian, grandparent, sibling or other (guardian when empty)."),
            example.get("relationship", ""),
        ),
    ]


IMPORT_COLUMNS: tuple[ImportColumn, ...] = (
    ImportColumn(
        "admission_number",
        True,
        gettext_lazy("admission number"),
        gettext_lazy("Unique per student, e.g. A1023."),
        "A1023",
        30,
    ),
    ImportColumn("first_name", True, gettext_lazy("first name"), gettext_lazy("Given name."), "Maria", 100),
    ImportColumn("last_name", True, gettext_lazy("last name"), gettext_lazy("Family name."), "Lopez", 100),
    ImportColumn(
        "date_of_birth",
        True,
        gettext_lazy("date of birth"),
        gettext_lazy("YYYY-MM-DD or DD/MM/YYYY (an Excel date cell works too)."),
        "2012-05-17",
    ),
    ImportColumn("gender", False, gettext_lazy("gender"), gettext_lazy("F, M or X (X when empty)."), "F"),
    ImportColumn(
        "section",
        False,
        gettext_lazy("section"),
        gettext_lazy("A section of the current academic year, e.g. 7A. The student is enrolled in it."),
        "7A",
    ),
    ImportColumn("email", False, gettext_lazy("email"), gettext_lazy("The student's own email."), "", 254),
    ImportColumn("phone", False, gettext_lazy("phone"), gettext_lazy("Any format."), "", 40),
    ImportColumn(
        "address",
        False,
        gettext_lazy("address"),
        gettext_lazy("Home address."),
        "12 Oak Street",
        ADDRESS_MAX_LENGTH,
    ),
    *_guardian_columns(
        1,
        {
            "first_name": "Ana",
            "last_name": "Lopez",
            "email": "ana.lopez@example.com",
            "phone": "+1 555 0100",
            "relationship": "mother",
        },
    ),
    *_guardian_columns(2, {"first_name": "Luis", "last_name": "Lopez", "relationship": "father"}),
)
COLUMNS_BY_NAME = {column.name: column for column in IMPORT_COLUMNS}
REQUIRED_COLUMNS = tuple(column.name for column in IMPORT_COLUMNS if column.required)


# ----------------------------------------------------------------------------------------------------
# Reading the file


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value).strip()
    if text[:1] == "'" and text[1:2] in FORMULA_TRIGGERS:
        # The quote our own spreadsheets put before text a spreadsheet would run as a formula
        # (modules/core/spreadsheets.py safe_cell): a downloaded file of rejected rows is re-imported as is.
        return text[1:]
    return text


def _read_rows(content: bytes, file_format: str) -> list[list[Any]]:
    """Every row of the file (the header row first) as lists of cell values. Raises ImportFileError.

    Streamed with hard row and column limits (modules/core/spreadsheets.py): the file never decides how
    much memory or time reading it takes.
    """
    try:
        return list(
            spreadsheet_rows(
                content,
                file_format=file_format,
                max_rows=settings.STUDENTFLOW_IMPORT_MAX_ROWS,
                max_columns=IMPORT_MAX_COLUMNS,
            )
        )
    except SpreadsheetRefused as error:
        raise ImportFileError(error.message) from error


def _check_file(content: bytes, file_format: str) -> int | None:
    """The cheap checks before anything parses the file; the number of data rows it declares, if it says."""
    if file_format == "xlsx" and not content.startswith(XLSX_SIGNATURE):
        raise ImportFileError(
            _(
                "This file is not a real Excel workbook (.xlsx). "
                "Save it from your spreadsheet program as .xlsx or CSV."
            )
        )
    if file_format == "csv":
        if content.startswith(XLSX_SIGNATURE) or b"\x00" in content[:4096]:
            raise ImportFileError(_("This file is not a CSV text file. Save it as .xlsx or as “CSV UTF-8”."))
        try:
            content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ImportFileError(
                _(
                    "This CSV file is not in UTF-8, so accented letters would be damaged. "
                    "In your spreadsheet program choose “Save as” and the type “CSV UTF-8”, "
                    "or upload an .xlsx file."
                )
            ) from error
    try:
        return spreadsheet_check(
            content,
            file_format=file_format,
            max_rows=settings.STUDENTFLOW_IMPORT_MAX_ROWS,
            max_columns=IMPORT_MAX_COLUMNS,
        )
    except SpreadsheetRefused as error:
        raise ImportFileError(error.message) from error


def _is_blank(row: list[Any]) -> bool:
    return all(_cell_text(value) == "" for value in row)


def _data_rows(rows: list[list[Any]]) -> Iterator[tuple[int, list[Any]]]:
    """(spreadsheet row number, cells) for each non-blank row below the header row."""
    for index, row in enumerate(rows[1:], start=2):
        if not _is_blank(row):
            yield index, row


def _header_key(value: Any) -> str:
    key = re.sub(r"[\s\-]+", "_", _cell_text(value).lower()).strip("_*")
    return re.sub(r"^guardian_(\d)", r"guardian\1", key)


# ----------------------------------------------------------------------------------------------------
# Creating the job


def import_job_create(*, owner, upload) -> Job:
    """Check an uploaded file, store it privately and record an import Job owned by the uploader.

    Raises ImportFileError (nothing stored, no job) when the file cannot be used at all: wrong type, empty,
    too large, too many rows, damaged, or a CSV that is not UTF-8. Problems inside the data (a missing
    column, a bad date) are for the dry run.
    """
    filename = (getattr(upload, "name", "") or "upload").rsplit("/", 1)[-1][:200]
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in {"xlsx", "csv"}:
        raise ImportFileError(
            _("“%(name)s” is not an Excel workbook (.xlsx) or a CSV file (.csv).") % {"name": filename}
        )
    size = getattr(upload, "size", None)
    limit = settings.STUDENTFLOW_IMPORT_MAX_BYTES
    if size is not None and size > limit:
        raise ImportFileError(_too_large(size, limit))
    content = upload.read()
    if len(content) > limit:
        raise ImportFileError(_too_large(len(content), limit))
    if not content.strip(b"\xef\xbb\xbf \t\r\n"):
        raise ImportFileError(_("The file is empty."))
    # Only the cheap checks here (zip directory, declared size): the rows are read by the dry run.
    row_count = _check_file(content, extension) or 0
    path = default_storage.save(f"imports/{uuid.uuid4().hex}.{extension}", ContentFile(content))
    return Job.objects.create(
        kind=IMPORT_KIND,
        owner=owner,
        total=row_count,
        payload={"path": path, "filename": filename, "format": extension, "phase": Phase.UPLOADED},
    )


def _too_large(size: int, limit: int) -> str:
    return _("The file is too large (%(size)s). The limit is %(limit)s.") % {
        "size": filesizeformat(size),
        "limit": filesizeformat(limit),
    }


def import_runs_in_background(job: Job) -> bool:
    return job.total > settings.STUDENTFLOW_IMPORT_BACKGROUND_ROWS


def import_phase(job: Job) -> str:
    if job.status == JobStatus.FAILED:  # also when the sweeper gave it up mid-phase (modules/core/jobs.py)
        return Phase.FAILED
    return job.payload.get("phase", Phase.UPLOADED)


def import_can_confirm(job: Job) -> bool:
    result = job.result or {}
    return (
        import_phase(job) == Phase.PREVIEW
        and job.status == JobStatus.SUCCEEDED
        and bool(result.get("rows"))
        and result.get("error_count", 1) == 0
    )


def import_can_confirm_valid(job: Job) -> bool:
    """Whether the office may import the valid rows of a dry run that rejected some (and not all)."""
    result = job.result or {}
    return (
        import_phase(job) == Phase.PREVIEW
        and job.status == JobStatus.SUCCEEDED
        and not result.get("file_errors")
        and result.get("valid_count", 0) > 0
        and result.get("rejected_count", 0) > 0
    )


# ----------------------------------------------------------------------------------------------------
# The dry run


@dataclass
class _Lookups:
    """What the checks need from the database, loaded in a few queries for the whole file."""

    sections: dict[str, tuple[int, str]]  # lower-cased name -> (id, name), current year only
    students: dict[str, str]  # upper-cased admission number -> full name
    guardians: dict[str, tuple[int, str]]  # lower-cased email -> (id, full name)


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), LOOKUP_CHUNK):
        yield values[start : start + LOOKUP_CHUNK]


def _load_lookups(admission_numbers: set[str], guardian_emails: set[str]) -> _Lookups:
    year = current_year()
    sections: dict[str, tuple[int, str]] = {}
    if year is not None:
        for pk, name in Section.objects.filter(year=year).values_list("pk", "name"):
            sections.setdefault(name.strip().lower(), (pk, name))
    students: dict[str, str] = {}
    for chunk in _chunks(sorted(admission_numbers)):
        found = (
            Student.objects.annotate(number=Upper("admission_number"))
            .filter(number__in=chunk)
            .values_list("number", "first_name", "last_name")
        )
        for number, first_name, last_name in found:
            students[number] = f"{first_name} {last_name}".strip()
    guardians: dict[str, tuple[int, str]] = {}
    for chunk in _chunks(sorted(guardian_emails)):
        found = (
            Guardian.objects.annotate(email_key=Lower("email"))
            .filter(email_key__in=chunk)
            .order_by("pk")
            .values_list("email_key", "pk", "first_name", "last_name")
        )
        for email, pk, first_name, last_name in found:
            guardians.setdefault(email, (pk, f"{first_name} {last_name}".strip()))
    return _Lookups(sections=sections, students=students, guardians=guardians)


def _parse_date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value < 100_000:
        from openpyxl.utils.datetime import from_excel

        converted = from_excel(value)
        return converted.date() if isinstance(converted, datetime.datetime) else None
    text = _cell_text(value)
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.date(*time.strptime(text, pattern)[:3])  # a calendar date: no instant, no zone
        except ValueError:
            continue
    return None


GENDER_WORDS = {
    "f": Gender.FEMALE,
    "female": Gender.FEMALE,
    "m": Gender.MALE,
    "male": Gender.MALE,
    "x": Gender.OTHER,
    "other": Gender.OTHER,
    "": Gender.OTHER,
}


class _RowChecker:
    """Checks one data row at a time; remembers what earlier rows used (admission numbers, emails)."""

    def __init__(self, lookups: _Lookups, today: datetime.date):
        self.lookups = lookups
        self.today = today
        self.numbers_seen: dict[str, int] = {}
        # email -> (the row that brings this new guardian in, their full name). Only a row without problems
        # brings a guardian in: a rejected row is not written, so a later row cannot lean on its guardian.
        self.guardian_rows: dict[str, tuple[int, str]] = {}
        self.rejected_guardian_rows: dict[str, int] = {}  # email -> a rejected row that names the guardian

    def _admission_number(self, number: int, admission_number: str, problem, errors: list[str]) -> None:
        """A number already in the school, or earlier in the file, is a problem; a new one is remembered."""
        if admission_number in self.lookups.students:
            problem(
                _("admission number %(number)s is already used by %(name)s."),
                number=admission_number,
                name=self.lookups.students[admission_number],
            )
        elif admission_number in self.numbers_seen:
            errors.append(
                _("Row %(first)s and row %(row)s have the same admission number %(number)s.")
                % {
                    "first": self.numbers_seen[admission_number],
                    "row": number,
                    "number": admission_number,
                }
            )
        else:
            self.numbers_seen[admission_number] = number

    def _birth(self, values: dict[str, Any], text: dict[str, str], problem) -> datetime.date | None:
        """The date of birth typed in the row; None (and a problem) when it is no date or in the future."""
        birth = _parse_date(values.get("date_of_birth"))
        if birth is None or birth.year < 1900:
            problem(
                _("date of birth '%(value)s' is not a valid date (write it as YYYY-MM-DD or DD/MM/YYYY)."),
                value=text["date_of_birth"],
            )
            return None
        if birth > self.today:
            problem(_("date of birth %(value)s is in the future."), value=birth.isoformat())
            return None
        return birth

    def check(self, number: int, values: dict[str, Any], *, approved: bool = True) -> dict[str, Any]:
        """One row's findings. `approved` False: the office did not confirm this row (it had problems at
        the dry run), so it is not written even if it has none now."""
        errors: list[str] = []
        text = {name: _cell_text(values.get(name)) for name in COLUMNS_BY_NAME}

        def problem(message: str, **params: Any) -> None:
            errors.append(_("Row %(row)s: ") % {"row": number} + message % params)

        for name in REQUIRED_COLUMNS:
            if not text[name]:
                problem(_("%(column)s is missing."), column=COLUMNS_BY_NAME[name].label)
        for name, column in COLUMNS_BY_NAME.items():
            if column.max_length and len(text[name]) > column.max_length:
                problem(
                    _("%(column)s is too long (at most %(limit)s characters)."),
                    column=column.label,
                    limit=column.max_length,
                )

        admission_number = text["admission_number"].upper()
        if admission_number:
            self._admission_number(number, admission_number, problem, errors)
        birth = self._birth(values, text, problem) if text["date_of_birth"] else None

        gender = GENDER_WORDS.get(text["gender"].lower())
        if gender is None:
            problem(_("gender '%(value)s' is not F, M or X."), value=text["gender"])

        section_id, section_name = None, text["section"]
        if text["section"]:
            found = self.lookups.sections.get(text["section"].lower())
            if found is None:
                problem(_("section '%(value)s' does not exist this year."), value=text["section"])
            else:
                section_id, section_name = found

        email = text["email"].lower()
        if email and not _valid_email(email):
            problem(_("email '%(value)s' is not a valid email address."), value=text["email"])

        guardians, introduced = self._guardians(number, text, problem)
        if not errors and not approved:
            problem(_("this row had problems at the dry run you confirmed, so it was not imported."))
        for email, name in introduced.items():
            if errors:
                self.rejected_guardian_rows.setdefault(email, number)
            else:
                self.guardian_rows[email] = (number, name)
        return {
            "row": number,
            "admission_number": admission_number,
            "first_name": text["first_name"],
            "last_name": text["last_name"],
            "date_of_birth": birth.isoformat() if birth else None,
            "date_of_birth_text": text["date_of_birth"],
            "gender": gender or "",
            "section": section_name,
            "section_id": section_id,
            "email": email,
            "phone": text["phone"],
            "address": text["address"],
            "guardians": guardians,
            "errors": errors,
        }

    def _guardians(
        self, number: int, text: dict[str, str], problem: Callable[..., None]
    ) -> tuple[list[dict[str, Any]], dict[str, str]]:
        """The row's guardians, and the new ones it brings in (email -> full name) should it be valid."""
        guardians: list[dict[str, Any]] = []
        introduced: dict[str, str] = {}
        emails_in_row: set[str] = set()
        for slot in GUARDIAN_SLOTS:
            prefix = f"guardian{slot}_"
            fields = {name: text[prefix + name] for name in ("first_name", "last_name", "email", "phone")}
            relationship_text = text[prefix + "relationship"]
            if not any(fields.values()) and not relationship_text:
                continue
            email = fields["email"].lower()
            relationship = _relationship(relationship_text)
            if relationship is None:
                problem(
                    _("guardian %(slot)s relationship '%(value)s' is not one of: %(choices)s."),
                    slot=slot,
                    value=relationship_text,
                    choices=", ".join(Relationship.values),
                )
            guardian = {
                "slot": slot,
                **fields,
                "email": email,
                "relationship": relationship or "",
                "primary": not guardians,
                "existing_id": None,
                "existing_name": "",
                "same_as_row": None,
                # The name the preview shows, in full: the portal's for an existing guardian, the first
                # row's for one met earlier in the file (a sibling's row may give only the email).
                "name": f"{fields['first_name']} {fields['last_name']}".strip(),
            }
            if email and not _valid_email(email):
                problem(
                    _("guardian %(slot)s email '%(value)s' is not a valid email address."),
                    slot=slot,
                    value=fields["email"],
                )
                email = ""
            if email and email in emails_in_row:
                problem(_("guardian 1 and guardian 2 have the same email %(email)s."), email=email)
                continue
            if email and email in self.lookups.guardians:
                guardian["existing_id"], guardian["existing_name"] = self.lookups.guardians[email]
                guardian["name"] = guardian["existing_name"]
            elif email and email in self.guardian_rows:
                guardian["same_as_row"], guardian["name"] = self.guardian_rows[email]
            elif not (fields["first_name"] and fields["last_name"]):
                if email in self.rejected_guardian_rows:
                    problem(
                        _(
                            "guardian %(slot)s has no first and last name here, and row %(first)s, which "
                            "names them, has problems."
                        ),
                        slot=slot,
                        first=self.rejected_guardian_rows[email],
                    )
                else:
                    problem(_("guardian %(slot)s has no first and last name."), slot=slot)
            elif email:
                introduced[email] = guardian["name"]
            if email:
                emails_in_row.add(email)
            guardians.append(guardian)
        return guardians, introduced


def _valid_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def _relationship(value: str) -> str | None:
    key = value.strip().lower()
    if not key:
        return Relationship.GUARDIAN
    if key in Relationship.values:
        return key
    labels = {str(label).lower(): choice for choice, label in Relationship.choices}
    labels.update(
        {"legal guardian": Relationship.GUARDIAN, "grandmother": "grandparent", "grandfather": "grandparent"}
    )
    return labels.get(key)


@dataclass
class _Analysis:
    result: dict[str, Any]  # what job.result keeps: rows with their problems, counts, file problems
    rejected: _RejectedSheet | None  # the rejected rows as uploaded, with their reason (None: none)


@dataclass
class _RejectedSheet:
    headers: list[str]
    rows: list[list[Any]]


def _reason_keys() -> set[str]:
    """The header of the Reason column in every language the portal speaks: a file of rejected rows is
    uploaded again with it, perhaps after the office switched language."""
    keys = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            keys.add(_header_key(_("Reason")))
    return keys


def _reason(number: int, errors: list[str]) -> str:
    """One message per row for the Reason column: the problems without the row number they repeat
    (the row moves in the new file), several joined with "; "."""
    prefix = _("Row %(row)s: ") % {"row": number}
    messages = [error.removeprefix(prefix) for error in errors]
    return "; ".join(message[:1].upper() + message[1:] for message in messages)


def _rejected_sheet(
    header: list[Any], data: list[tuple[int, list[Any]]], rows: list[dict[str, Any]], reason_keys: set[str]
) -> _RejectedSheet | None:
    """The rejected rows exactly as uploaded (their columns, in their order, with their values), a Reason
    column last. A Reason column from an earlier round is replaced, not repeated."""
    rejected = [(cells, row) for (_number, cells), row in zip(data, rows, strict=True) if row["errors"]]
    if not rejected:
        return None

    def blank(values: list[Any], index: int) -> bool:
        return index >= len(values) or _cell_text(values[index]) == ""

    # Every column that holds something, in the file's order; the empty ones a spreadsheet pads rows with
    # at the right are left out.
    width = max([len(header), *(len(cells) for cells, _row in rejected)])
    while width and blank(header, width - 1) and all(blank(cells, width - 1) for cells, _row in rejected):
        width -= 1
    kept = [
        index
        for index in range(width)
        if blank(header, index) or _header_key(header[index]) not in reason_keys
    ]

    def cell(values: list[Any], index: int) -> Any:
        value = values[index] if index < len(values) else None
        return "" if value is None else value

    return _RejectedSheet(
        headers=[str(cell(header, index)) for index in kept] + [_("Reason")],
        rows=[
            [cell(cells, index) for index in kept] + [_reason(row["row"], row["errors"])]
            for cells, row in rejected
        ],
    )


def _analyse(job: Job, *, report_progress: bool, approved: set[int] | None = None) -> _Analysis:
    """The dry run's findings for the job's file: every row with its problems, plus file-level problems.

    `approved`: the rows the office confirmed (the others are rejected whatever they hold now)."""
    content = _stored_content(job)
    rows = _read_rows(content, job.payload.get("format", "xlsx"))
    result: dict[str, Any] = {"rows": [], "file_errors": [], "warnings": [], "error_count": 0}
    headers = [_header_key(value) for value in rows[0]] if rows else []
    reason_keys = _reason_keys()
    file_errors: list[str] = result["file_errors"]
    positions: dict[str, int] = {}
    for index, key in enumerate(headers):
        if not key:
            continue
        if key in positions and key in COLUMNS_BY_NAME:
            file_errors.append(_("The column “%(column)s” appears twice.") % {"column": key})
        positions.setdefault(key, index)
    for name in REQUIRED_COLUMNS:
        if name not in positions:
            file_errors.append(
                _("The file has no “%(column)s” column, which is required.") % {"column": name}
            )
    ignored = [key for key in positions if key not in COLUMNS_BY_NAME and key not in reason_keys]
    if ignored:
        result["warnings"].append(
            _("These columns are not used and were ignored: %(columns)s.") % {"columns": ", ".join(ignored)}
        )
    data = list(_data_rows(rows))
    if job.total != len(data):
        # The upload only knew what the file declared (blank rows included, or nothing): now it is counted.
        job.total = len(data)
        Job.objects.filter(pk=job.pk).update(total=job.total)
    if not data:
        file_errors.append(_("The file has no data rows below the header row."))
    if file_errors:
        result["error_count"] = len(file_errors)
        return _Analysis(result=result, rejected=None)

    def value_of(row: list[Any], name: str) -> Any:
        position = positions.get(name)
        return row[position] if position is not None and position < len(row) else None

    records = [(number, {name: value_of(row, name) for name in COLUMNS_BY_NAME}) for number, row in data]
    admission_numbers = {_cell_text(values["admission_number"]).upper() for _n, values in records}
    emails = {
        _cell_text(values[f"guardian{slot}_email"]).lower()
        for _n, values in records
        for slot in GUARDIAN_SLOTS
    }
    checker = _RowChecker(_load_lookups(admission_numbers - {""}, emails - {""}), timezone.localdate())
    step = max(1, len(records) // PROGRESS_STEPS)
    for index, (number, values) in enumerate(records, start=1):
        result["rows"].append(checker.check(number, values, approved=approved is None or number in approved))
        if report_progress and index % step == 0 and index < len(records):
            job.set_progress(min(index, job.total) if job.total else 0)
    valid = [row for row in result["rows"] if not row["errors"]]
    result["error_count"] = sum(len(row["errors"]) for row in result["rows"])
    result["valid_count"] = len(valid)
    result["rejected_count"] = len(result["rows"]) - len(valid)
    result["valid_digest"] = _digest([row["row"] for row in valid])
    # What an import of the valid rows writes (all of them when the file is clean).
    result["summary"] = _summary(valid)
    return _Analysis(result=result, rejected=_rejected_sheet(rows[0], data, result["rows"], reason_keys))


def _digest(numbers: list[int]) -> str:
    """Names one set of valid rows: the office confirms the set it saw, not whatever the job holds later."""
    return hashlib.sha256(json.dumps(sorted(numbers)).encode()).hexdigest()[:16]


def _summary(rows: list[dict[str, Any]]) -> dict[str, int]:
    guardians = [guardian for row in rows for guardian in row["guardians"]]
    return {
        "students": len(rows),
        "enrollments": sum(1 for row in rows if row["section_id"]),
        "new_guardians": sum(1 for g in guardians if not g["existing_id"] and not g["same_as_row"]),
        "existing_guardians": len({g["existing_id"] for g in guardians if g["existing_id"]}),
        "links": len(guardians),
    }


def _rejected_store(job: Job, sheet: _RejectedSheet | None) -> dict[str, str] | None:
    """Store the file(s) of rejected rows for the office to download (an .xlsx, and a CSV like the upload
    when it was one), replacing the job's earlier ones. Written by the worker that read the file, never
    in a web request; kept no longer than the upload (import_uploads_purge)."""
    _rejected_delete(job.payload.get("rejected"))
    if sheet is None:
        return None
    stem = uuid.uuid4().hex
    stored = {
        "xlsx": default_storage.save(
            f"imports/{stem}-rejected.xlsx",
            ContentFile(xlsx_bytes(sheet.headers, sheet.rows, sheet_title=_("Rejected rows"))),
        )
    }
    if job.payload.get("format") == "csv":
        first_line = _stored_content(job).decode("utf-8-sig", "replace").split("\n", 1)[0]
        delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
        stored["csv"] = default_storage.save(
            f"imports/{stem}-rejected.csv",
            ContentFile(csv_bytes(sheet.headers, sheet.rows, delimiter=delimiter)),
        )
    return stored


def _rejected_delete(stored: dict[str, str] | None) -> None:
    for path in (stored or {}).values():
        if path and default_storage.exists(path):
            default_storage.delete(path)


def import_rejected_file(job: Job, file_format: str) -> tuple[str, bytes] | None:
    """(download name, content) of the job's rejected rows in `file_format`, or None when there is none
    (no rejected rows, or the file was purged)."""
    path = (job.payload.get("rejected") or {}).get(file_format)
    if not path or not default_storage.exists(path):
        return None
    with default_storage.open(path, "rb") as handle:
        content = handle.read()
    stem = (job.payload.get("filename") or "students").rsplit(".", 1)[0]
    return f"{stem}-rejected.{file_format}", content


def _stored_content(job: Job) -> bytes:
    path = job.payload.get("path")
    if not path or not default_storage.exists(path):
        raise ImportFileError(_("The uploaded file is no longer available. Upload it again."))
    with default_storage.open(path, "rb") as handle:
        return handle.read()


@contextlib.contextmanager
def _failing(job: Job) -> Iterator[None]:
    """Mark the job failed when its work stops with an error, so its page does not wait forever."""
    try:
        yield
    except JobLost:  # another run holds the job now: this one writes nothing more
        raise
    except ImportFileError as error:
        _finish(job, phase=Phase.FAILED, status=JobStatus.FAILED, message=error.message)
    except Exception:
        _finish(
            job,
            phase=Phase.FAILED,
            status=JobStatus.FAILED,
            message=_("The import stopped because of an unexpected error. Nothing was imported."),
        )
        raise


def _finish(
    job: Job, *, phase: str, status: str, message: str = "", result: dict | None = None, **payload
) -> bool:
    """End this run (fenced: False, nothing written, when another run took the job over)."""
    fields: dict[str, Any] = {"payload": {**job.payload, **payload, "phase": phase}}
    if status == JobStatus.SUCCEEDED:
        fields["done"] = job.total
    if result is not None:
        fields["result"] = result
    return job_finish(job=job, status=status, message=message, **fields)


def student_import_validate(*, job: Job) -> None:
    """The dry run: check every row against the file and the database; store the findings in job.result.

    Writes nothing but the job. Safe to run twice: the run claims the job (modules/core/jobs.py), so a job
    past its dry run, or being checked by a live run, is left as it is; one whose run was killed is
    checked again from its stored file.
    """
    if not job_claim(job=job, where=Q(payload__phase__in=[Phase.UPLOADED, Phase.VALIDATING])):
        return
    job_heartbeat(job=job, payload={**job.payload, "phase": Phase.VALIDATING})
    with job_lease(job), _failing(job):
        # Only a queued dry run has a page polling its progress; an inline one spares the updates.
        analysis = _analyse(job, report_progress=import_runs_in_background(job))
        rejected = _rejected_store(job, analysis.rejected)
        _finish(
            job, phase=Phase.PREVIEW, status=JobStatus.SUCCEEDED, result=analysis.result, rejected=rejected
        )


# ----------------------------------------------------------------------------------------------------
# The write


def student_import_confirm(*, job: Job, queue: bool = True, valid_digest: str | None = None) -> bool:
    """Take a dry run to the write (a new request of the job: fresh attempts). With `queue`, the write runs
    on the queue after commit. False when not confirmable, already confirmed, or stale.

    Without `valid_digest` the dry run must be clean: every row is written. With it, the office chose to
    import the valid rows of a dry run that rejected some; it names the set of valid rows the office saw
    (result["valid_digest"]), and a dry run that changed since (it was run again) is not confirmed.
    Either way the write checks the approved rows again and writes them all, or nothing."""
    job.refresh_from_db()
    result = job.result or {}
    if valid_digest is None:
        if not import_can_confirm(job):
            return False
    elif not import_can_confirm_valid(job) or valid_digest != result.get("valid_digest"):
        return False
    approved = [row["row"] for row in result.get("rows", []) if not row["errors"]]
    claimed = Job.objects.filter(pk=job.pk, status=JobStatus.SUCCEEDED, payload__phase=Phase.PREVIEW).update(
        status=JobStatus.QUEUED,
        payload={**job.payload, "phase": Phase.CONFIRMED, "approved": approved},
        finished_at=None,
        attempts=0,
        leased_until=timezone.now() + lease_duration(),
        worker="",
    )
    job.refresh_from_db()
    if claimed and queue:
        job_dispatch_on_commit(job)
    return claimed == 1


@dataclass
class _Imported:
    path: str  # the uploaded file, to delete once the rows are committed


class _DataChanged(Exception):
    """Rows the office confirmed have problems now: nothing is written, the dry run is shown again."""

    def __init__(self, analysis: _Analysis, newly_rejected: list[int]):
        self.analysis = analysis
        self.newly_rejected = newly_rejected


def student_import_commit(*, job: Job) -> None:
    """Write a clean dry run: students, new guardians, links and enrollments, in one transaction.

    Everything is written or nothing is, and exactly once: the run claims the job, and the job is marked
    imported in the same transaction as the rows, only while this run still holds it. A run killed
    mid-write rolled back; the sweeper queues the job again and the write restarts from the stored file.
    Any other call (already imported, being written by a live run) leaves the job as it is.
    """
    job.refresh_from_db()
    if import_phase(job) == Phase.PREVIEW and not student_import_confirm(job=job, queue=False):
        return
    if not job_claim(job=job, where=Q(payload__phase__in=[Phase.CONFIRMED, Phase.COMMITTING])):
        return
    job_heartbeat(job=job, payload={**job.payload, "phase": Phase.COMMITTING})
    with job_lease(job), _failing(job):
        try:
            imported = _write(job)
        except _DataChanged as changed:
            _finish(
                job,
                phase=Phase.PREVIEW,
                status=JobStatus.SUCCEEDED,
                result=changed.analysis.result,
                message=_changed_message(changed.newly_rejected),
                approved=None,
                rejected=_rejected_store(job, changed.analysis.rejected),
            )
            return
        except DatabaseError as error:
            raise ImportFileError(
                _("Nothing was imported: the database refused the data (%(error)s). Run the dry run again.")
                % {"error": error}
            ) from error
        # The data is in the database now; the uploaded copy of personal data is not kept.
        if imported.path:
            default_storage.delete(imported.path)


def _changed_message(newly_rejected: list[int]) -> str:
    if not newly_rejected:
        return _(
            "Nothing was imported: students or guardians in the portal changed since the dry run. "
            "The problems are listed below."
        )
    return ngettext(
        "Nothing was imported: row %(rows)s was valid in the dry run but has a problem now (students or "
        "guardians in the portal changed). The list below is up to date: check it and choose again.",
        "Nothing was imported: rows %(rows)s were valid in the dry run but have problems now (students or "
        "guardians in the portal changed). The list below is up to date: check it and choose again.",
        len(newly_rejected),
    ) % {"rows": ", ".join(str(number) for number in newly_rejected)}


@transaction.atomic
def _write(job: Job) -> _Imported:
    # Checked again inside the transaction: another admission or guardian may have arrived since the dry run.
    # Only the rows the office confirmed may be written, and all of them or none.
    approved = job.payload.get("approved")
    analysis = _analyse(job, report_progress=False, approved=None if approved is None else set(approved))
    result = analysis.result
    rows = [row for row in result["rows"] if not row["errors"]]
    if result["file_errors"] or not rows:
        raise _DataChanged(analysis, [])
    if approved is None:  # a job confirmed before rows could be chosen: the whole file, clean
        if result["error_count"]:
            raise _DataChanged(analysis, [])
    elif newly_rejected := sorted(set(approved) - {row["row"] for row in rows}):
        raise _DataChanged(analysis, newly_rejected)
    year = current_year()
    students = Student.objects.bulk_create(
        [
            Student(
                admission_number=row["admission_number"],
                first_name=row["first_name"],
                last_name=row["last_name"],
                date_of_birth=datetime.date.fromisoformat(row["date_of_birth"]),
                gender=row["gender"],
                email=row["email"],
                phone=row["phone"],
                address=row["address"],
            )
            for row in rows
        ]
    )
    new_guardians: dict[tuple[int, int], Guardian] = {}  # (row, slot) -> guardian created by that row
    for row in rows:
        for guardian in row["guardians"]:
            if not guardian["existing_id"] and not guardian["same_as_row"]:
                new_guardians[(row["row"], guardian["slot"])] = Guardian(
                    first_name=guardian["first_name"],
                    last_name=guardian["last_name"],
                    email=guardian["email"],
                    phone=guardian["phone"],
                )
    Guardian.objects.bulk_create(list(new_guardians.values()))
    by_email = {guardian.email: guardian.pk for guardian in new_guardians.values() if guardian.email}
    links = []
    for row, student in zip(rows, students, strict=True):
        for guardian in row["guardians"]:
            if guardian["existing_id"]:
                guardian_id = guardian["existing_id"]
            elif guardian["same_as_row"]:
                guardian_id = by_email[guardian["email"]]
            else:
                guardian_id = new_guardians[(row["row"], guardian["slot"])].pk
            links.append(
                GuardianLink(
                    student=student,
                    guardian_id=guardian_id,
                    relationship=guardian["relationship"],
                    is_primary=guardian["primary"],
                )
            )
    GuardianLink.objects.bulk_create(links)
    enrollments = [
        Enrollment(student=student, section_id=row["section_id"], year=year)
        for row, student in zip(rows, students, strict=True)
        if row["section_id"] and year is not None
    ]
    Enrollment.objects.bulk_create(enrollments)
    if enrollments:
        enrollments_created.send_on_commit(enrollment_ids=[e.pk for e in enrollments], by=job.owner)
    imported = {
        "students": len(students),
        "guardians_created": len(new_guardians),
        "guardians_reused": result["summary"]["existing_guardians"],
        "links": len(links),
        "enrollments": len(enrollments),
    }
    audit_log(
        actor=job.owner,
        action="student.import",
        obj=job,
        after={**imported, "filename": job.payload.get("filename", "")},
    )
    path = job.payload.get("path") or ""
    # The rows left out, for the office to correct and upload again (read from the upload, deleted next).
    rejected = _rejected_store(job, analysis.rejected)
    # In the same transaction as the rows: a run that lost the job (its lease ran out and another run took
    # over) rolls its rows back here, so the students are written once.
    if not _finish(
        job,
        phase=Phase.IMPORTED,
        status=JobStatus.SUCCEEDED,
        result={**result, "imported": imported},
        path="",
        rejected=rejected,
    ):
        _rejected_delete(rejected)
        raise JobLost(f"Import {job.pk}: attempt {job.attempts} was taken over; its write is rolled back.")
    return _Imported(path=path)


def import_uploads_purge(*, older_than: datetime.timedelta) -> int:
    """Delete the stored files of imports older than `older_than`: the upload of one never confirmed (or
    failed), and the rejected rows offered for download.

    Uploads hold personal data; a dry run left behind must not keep it on disk. Returns how many jobs had
    files deleted. Confirming such a job afterwards says the file is no longer available.
    """
    cutoff = timezone.now() - older_than
    stale = Job.objects.filter(kind=IMPORT_KIND, created_at__lt=cutoff).filter(
        (~Q(payload__path=None) & ~Q(payload__path=""))
        | (Q(payload__has_key="rejected") & ~Q(payload__rejected=None))
    )
    purged = 0
    for job in stale.only("pk", "payload", "status"):
        phase = import_phase(job)
        path = job.payload.get("path")
        rejected = job.payload.get("rejected")
        if phase in (Phase.VALIDATING, Phase.CONFIRMED, Phase.COMMITTING) or not (path or rejected):
            continue
        if path and default_storage.exists(path):
            default_storage.delete(path)
        _rejected_delete(rejected)
        Job.objects.filter(pk=job.pk).update(payload={**job.payload, "path": None, "rejected": None})
        purged += 1
    return purged
