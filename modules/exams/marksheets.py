"""Offline marksheets: an offering's grid for a term as an XLSX file, and the same file read back.

Layout of the "Marks" sheet (the sheet is protected; only the mark cells are unlocked):
  row 1  identification "studentflow-marksheet offering=<id> term=<id>" (hidden row)
  row 2  title (class and term), for the person filling it in
  row 3  assessment ids (hidden row)
  row 4  assessment names      row 5  maxima
  row 6… one row per student: admission number, name, then the marks (scores, or ex / m / abs)

A very hidden "Base" sheet keeps every mark as exported (student id, assessment id, mark): the base of
each cell (modules/core/concurrency.py). A cell left as downloaded is no change, even when someone changed the
mark in the gradebook since; a cell changed in the file over a mark someone else changed since is not taken
(listed as a conflict, their mark stands). A file from before the Base sheet compares with the stored marks.

Reading back never writes: `marksheet_read` returns every change (old → new), every conflict and every error.
It runs on the queue, never in a web request: the request only makes the cheap bounded check
(`marksheet_check`), stores the file privately and creates a "marksheet_read" Job (`marksheet_job_create`);
the job reads the file (`marksheet_job_read`), keeps the reading in job.result and deletes the file. The
teacher confirms the job: `marksheet_confirm` consumes it once and writes every change in one transaction
through `mark_set`, or nothing.
"""

from __future__ import annotations

import datetime
import io
import logging
import re
import uuid
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill, Protection
from openpyxl.utils import get_column_letter

from modules.academics.models import CourseOffering, Enrollment, EnrollmentStatus, Term
from modules.accounts.models import Role, User
from modules.core.audit import audit_log
from modules.core.concurrency import EditConflict, Verdict, edit_verdict
from modules.core.jobs import job_enqueue, job_finish, job_run
from modules.core.models import Job, JobStatus
from modules.core.spreadsheets import SpreadsheetRefused, safe_cell, spreadsheet_check
from modules.exams.models import Assessment, Mark
from modules.exams.services import GradeError, mark_set, mark_text, parse_mark, term_locked

SHEET = "Marks"
BASE_SHEET = "Base"
ID_ROW, TITLE_ROW, ASSESSMENT_ID_ROW, NAME_ROW, MAX_ROW, FIRST_STUDENT_ROW = 1, 2, 3, 4, 5, 6
FIRST_MARK_COLUMN = 3
ID_PATTERN = re.compile(r"^studentflow-marksheet offering=(\d+) term=(\d+)$")
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000
MAX_COLUMNS = 300
# Kept small although it is read on the queue: a full 2,000 x 300 grid of marks is under 20 MB of sheet XML.
MAX_UNPACKED_BYTES = 25 * 1024 * 1024
READ_KIND = "marksheet_read"

logger = logging.getLogger(__name__)


def offering_students(offering: CourseOffering) -> list:
    enrollments = (
        Enrollment.objects.filter(section=offering.section_id, status=EnrollmentStatus.ACTIVE)
        .select_related("student")
        .order_by("student__last_name", "student__first_name")
    )
    return [enrollment.student for enrollment in enrollments]


def offering_assessments(offering: CourseOffering, term: Term) -> list[Assessment]:
    return list(Assessment.objects.filter(offering=offering, term=term).order_by("date", "pk"))


def _display(score: Decimal | None, code: str) -> str:
    return code if code else f"{score.normalize():f}"


def _title(offering: CourseOffering, term: Term) -> str:
    return f"{offering.subject.name} · {offering.section.name} · {term.name}"


# ---------------------------------------------------------------------------------------------- export


def marksheet_export(*, offering: CourseOffering, term: Term, by: User) -> bytes:
    """The XLSX marksheet of an offering for a term, with the marks entered so far. Audited (student data)."""
    students = offering_students(offering)
    assessments = offering_assessments(offering, term)
    marks = {
        (mark.assessment_id, mark.student_id): mark
        for mark in Mark.objects.filter(assessment__in=assessments, student__in=students)
    }
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    bold = Font(bold=True)
    grey = PatternFill("solid", fgColor="E9ECEF")
    sheet.cell(ID_ROW, 1, f"studentflow-marksheet offering={offering.pk} term={term.pk}")
    sheet.row_dimensions[ID_ROW].hidden = True
    sheet.cell(TITLE_ROW, 1, safe_cell(_title(offering, term))).font = Font(bold=True, size=13)
    sheet.cell(ASSESSMENT_ID_ROW, 1, "id")
    sheet.row_dimensions[ASSESSMENT_ID_ROW].hidden = True
    for column, header in ((1, _("Admission number")), (2, _("Student"))):
        cell = sheet.cell(NAME_ROW, column, safe_cell(header))
        cell.font, cell.fill = bold, grey
    sheet.cell(MAX_ROW, 2, safe_cell(_("Out of"))).font = bold
    for index, assessment in enumerate(assessments):
        column = FIRST_MARK_COLUMN + index
        sheet.cell(ASSESSMENT_ID_ROW, column, assessment.pk)
        cell = sheet.cell(NAME_ROW, column, safe_cell(assessment.name))
        cell.font, cell.fill = bold, grey
        sheet.cell(MAX_ROW, column, assessment.max_score.normalize()).font = bold
        sheet.column_dimensions[get_column_letter(column)].width = max(10, min(30, len(assessment.name) + 2))
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 32
    unlocked = Protection(locked=False)
    for row_index, student in enumerate(students):
        row = FIRST_STUDENT_ROW + row_index
        sheet.cell(row, 1, safe_cell(student.admission_number)).data_type = "s"
        sheet.cell(row, 2, safe_cell(student.full_name)).data_type = "s"
        for index, assessment in enumerate(assessments):
            mark = marks.get((assessment.pk, student.pk))
            value = None
            if mark is not None:
                value = mark.code if mark.code else mark.score.normalize()
            cell = sheet.cell(row, FIRST_MARK_COLUMN + index, safe_cell(value) if value is not None else None)
            cell.protection = unlocked
    sheet.freeze_panes = sheet.cell(FIRST_STUDENT_ROW, FIRST_MARK_COLUMN)
    base = workbook.create_sheet(BASE_SHEET)
    base.sheet_state = "veryHidden"  # not in Excel's "Unhide" list: nobody edits it by mistake
    for (assessment_id, student_id), mark in marks.items():
        base.append([student_id, assessment_id, safe_cell(mark.display)])
    # The identification, names and maxima are locked so that a slip of the mouse cannot change them.
    sheet.protection.sheet = True
    sheet.protection.formatRows = False
    sheet.protection.formatColumns = False
    buffer = io.BytesIO()
    workbook.save(buffer)
    audit_log(
        actor=by,
        action="marksheet.export",
        obj=offering,
        after={"term": term.pk, "students": len(students), "assessments": len(assessments)},
    )
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------- import


@dataclass
class Change:
    row: int
    student_id: int
    student: str
    assessment_id: int
    assessment: str
    old: str
    new: str


@dataclass
class Reading:
    changes: list[Change] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # cells not taken: changed meanwhile by someone else
    rows: int = 0

    def payload(self) -> list[dict]:
        return [asdict(change) for change in self.changes]

    def as_result(self) -> dict:
        """What the job keeps (job.result): the whole reading, and whether it was applied (one-time)."""
        return {
            "changes": self.payload(),
            "errors": self.errors,
            "conflicts": self.conflicts,
            "rows": self.rows,
            "applied": False,
        }

    @classmethod
    def from_result(cls, result: dict) -> Reading:
        return cls(
            changes=[Change(**change) for change in result.get("changes", [])],
            errors=list(result.get("errors", [])),
            conflicts=list(result.get("conflicts", [])),
            rows=result.get("rows", 0),
        )


def _text(value) -> str:
    """A cell as the text a person typed: 7.0 → "7", 7.5 → "7.5", text stripped of a protecting quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value))
        return f"{number.normalize():f}" if number == number.to_integral_value() else str(number)
    text = str(value).strip()
    return text


def marksheet_check(content: bytes) -> None:
    """The cheap bounded check (zip directory, declared extent), made in the request before the file is
    stored: zip bombs and absurd declared sizes are refused before anything unpacks them.
    Raises SpreadsheetRefused."""
    spreadsheet_check(
        content,
        file_format="xlsx",
        max_rows=MAX_ROWS,
        max_columns=MAX_COLUMNS,
        sheet=SHEET,
        max_unpacked_bytes=MAX_UNPACKED_BYTES,
    )


def _refusal(offering_id: int, term_id: int, *, offering: CourseOffering, term: Term, by: User) -> str:
    """Why this file may not be read for this class and term by this person; "" when it may."""
    if offering_id != offering.pk:
        other = CourseOffering.objects.select_related("subject", "section").filter(pk=offering_id).first()
        return (
            _("This file is for %(other)s, not for this class.") % {"other": other}
            if other is not None
            else _("This file is for another class, not for this one.")
        )
    if term_id != term.pk:
        other_term = Term.objects.filter(pk=term_id).first()
        return _("This file is for %(other)s, not for %(term)s.") % {
            "other": other_term.name if other_term else _("another term"),
            "term": term.name,
        }
    if term_locked(term.pk) and Role.ADMINISTRATOR not in by.roles:
        return _("This term is locked. Ask the office to change a mark.")
    return ""


def _mark_columns(
    cell, width: int, assessments: dict[int, Assessment], reading: Reading
) -> dict[int, Assessment]:
    """The file's mark columns that name an assessment of this class; the others are errors in the reading."""
    columns: dict[int, Assessment] = {}
    for column in range(FIRST_MARK_COLUMN, width + 1):
        raw_id, name = cell(ASSESSMENT_ID_ROW, column), _text(cell(NAME_ROW, column))
        if raw_id is None and not name:
            continue
        assessment = None
        if isinstance(raw_id, int | float) and not isinstance(raw_id, bool) and float(raw_id).is_integer():
            assessment = assessments.get(int(raw_id))
        if assessment is None:
            reading.errors.append(
                _("Assessment “%(name)s” is not in this class.") % {"name": name or _("(no name)")}
            )
            continue
        columns[column] = assessment
    return columns


def _student_rows(rows: list[tuple], students: dict, reading: Reading) -> list[tuple[int, object, tuple]]:
    """(row number, student, values) for each row of a student of this class, once; a row naming no
    student of the class, or one seen before, is an error in the reading."""
    seen: set[str] = set()
    student_rows: list[tuple[int, object, tuple]] = []
    for row_number in range(FIRST_STUDENT_ROW, len(rows) + 1):
        values = rows[row_number - 1]
        if all(_text(value) == "" for value in values):
            continue
        admission = _text(values[0] if values else None)
        student = students.get(admission)
        if student is None:
            if admission:
                message = _("The student rows changed: %(number)s is not in this class.")
                message %= {"number": admission}
            else:
                message = _("The student rows changed: row %(row)s has no admission number.")
                message %= {"row": row_number}
            reading.errors.append(message)
            continue
        if admission in seen:
            reading.errors.append(
                _("The student rows changed: %(number)s appears twice.") % {"number": admission}
            )
            continue
        seen.add(admission)
        student_rows.append((row_number, student, values))
    return student_rows


def marksheet_read(*, content: bytes, offering: CourseOffering, term: Term, by: User) -> Reading:
    """Every change the file would make and every error in it; nothing is written. Runs on the queue."""
    reading = Reading()
    try:
        marksheet_check(content)  # again: the stored file is only trusted as far as it is checked
    except SpreadsheetRefused as error:
        reading.errors.append(error.message)
        return reading
    try:
        workbook = load_workbook(io.BytesIO(content), data_only=True, read_only=True)
    except Exception:  # openpyxl raises many kinds (zip, XML, key errors) for a damaged file
        reading.errors.append(_("The file could not be read as an XLSX workbook."))
        return reading
    if SHEET not in workbook.sheetnames:
        reading.errors.append(_("This is not a StudentFlow marksheet (the “Marks” sheet is missing)."))
        return reading
    rows = [
        tuple(row)
        for row in workbook[SHEET].iter_rows(max_row=MAX_ROWS, max_col=MAX_COLUMNS, values_only=True)
    ]
    bases = None
    if BASE_SHEET in workbook.sheetnames:
        bases = {
            (_text(row[0]), _text(row[1])): _text(row[2])
            for row in workbook[BASE_SHEET].iter_rows(
                max_row=MAX_ROWS * MAX_COLUMNS, max_col=3, values_only=True
            )
            if len(row) == 3
        }
    workbook.close()
    cell = lambda r, c: rows[r - 1][c - 1] if r <= len(rows) and c <= len(rows[r - 1]) else None  # noqa: E731
    match = ID_PATTERN.match(_text(cell(ID_ROW, 1)))
    if match is None:
        reading.errors.append(_("This is not a StudentFlow marksheet (its identification is missing)."))
        return reading
    refusal = _refusal(int(match[1]), int(match[2]), offering=offering, term=term, by=by)
    if refusal:
        reading.errors.append(refusal)
        return reading

    assessments = {a.pk: a for a in offering_assessments(offering, term)}
    width = max((len(row) for row in rows), default=0)
    columns = _mark_columns(cell, width, assessments, reading)

    students = {s.admission_number: s for s in offering_students(offering)}
    student_rows = _student_rows(rows, students, reading)
    reading.rows = len(student_rows)

    marks = {
        (mark.assessment_id, mark.student_id): mark.display
        for mark in Mark.objects.filter(assessment__in=list(columns.values()), student__in=students.values())
    }
    for row_number, student, values in student_rows:
        for column, assessment in columns.items():
            raw = _text(values[column - 1] if column <= len(values) else None)
            if raw.startswith("'"):
                raw = raw[1:]
            if not raw:
                # A blank cell leaves the mark as it is: clearing a mark is done in the gradebook.
                continue
            base = None if bases is None else bases.get((str(student.pk), str(assessment.pk)), "")
            if base is not None and mark_text(raw) == mark_text(base):
                continue  # as downloaded: not this person's change, whatever the mark is now
            try:
                parsed = parse_mark(raw, max_score=assessment.max_score)
            except GradeError as error:
                reading.errors.append(
                    _("Row %(row)s (%(student)s), %(assessment)s: %(error)s")
                    % {
                        "row": row_number,
                        "student": student.full_name,
                        "assessment": assessment.name,
                        "error": error.message,
                    }
                )
                continue
            new = _display(*parsed)
            old = marks.get((assessment.pk, student.pk), "")
            if (
                base is not None
                and edit_verdict(base=mark_text(base), new=new, stored=old) is Verdict.CONFLICT
            ):
                reading.conflicts.append(
                    _(
                        "Row %(row)s (%(student)s), %(assessment)s: someone else changed the mark from "
                        "“%(base)s” to “%(now)s” since the file was downloaded; the file's “%(new)s” is not "
                        "saved."
                    )
                    % {
                        "row": row_number,
                        "student": student.full_name,
                        "assessment": assessment.name,
                        "base": base or "—",
                        "now": old or "—",
                        "new": new,
                    }
                )
                continue
            if new != old:
                reading.changes.append(
                    Change(
                        row=row_number,
                        student_id=student.pk,
                        student=student.full_name,
                        assessment_id=assessment.pk,
                        assessment=assessment.name,
                        old=old,
                        new=new,
                    )
                )
    return reading


# ---------------------------------------------------------------------------------------------- the queue


@transaction.atomic
def marksheet_job_create(*, owner: User, offering: CourseOffering, term: Term, content: bytes) -> Job:
    """Check an uploaded marksheet cheaply, store it privately and queue its reading (after commit).

    Raises SpreadsheetRefused (nothing stored, no job) when the cheap check refuses the file. The caller
    bounded its size (MAX_UPLOAD_BYTES)."""
    marksheet_check(content)
    path = default_storage.save(f"marksheets/{uuid.uuid4().hex}.xlsx", ContentFile(content))
    job = Job.objects.create(
        kind=READ_KIND,
        owner=owner,
        payload={"offering": offering.pk, "term": term.pk, "path": path},
    )
    return job_enqueue(job=job)


def _delete_upload(job: Job) -> None:
    path = job.payload.get("path")
    if path and default_storage.exists(path):
        default_storage.delete(path)
    Job.objects.filter(pk=job.pk).update(payload={**job.payload, "path": ""})


def _read(job: Job) -> None:
    offering = (
        CourseOffering.objects.select_related("subject", "section").filter(pk=job.payload["offering"]).first()
    )
    term = Term.objects.filter(pk=job.payload["term"]).first()
    path = job.payload.get("path")
    if offering is None or term is None or not path or not default_storage.exists(path):
        message = _("The uploaded file is no longer available. Upload it again.")
        if job_finish(job=job, status=JobStatus.FAILED, message=message):
            _delete_upload(job)
        return
    with default_storage.open(path, "rb") as handle:
        content = handle.read()
    reading = marksheet_read(content=content, offering=offering, term=term, by=job.owner)
    # Fenced: a run that was taken over writes nothing and leaves the file to its successor.
    if job_finish(job=job, status=JobStatus.SUCCEEDED, result=reading.as_result()):
        _delete_upload(job)  # the marks of a whole class: not kept once read


def _failed(job: Job, error: Exception) -> None:
    message = _("The file could not be read because of an unexpected error. Nothing was saved.")
    if job_finish(job=job, status=JobStatus.FAILED, message=message):
        _delete_upload(job)


def marksheet_job_read(*, job_id) -> bool:
    """What the queue runs: read the stored file under the job's lease (a killed read is queued again by the
    sweeper and reads the file again: reading writes nothing but the job)."""
    return job_run(job_id=job_id, kind=READ_KIND, run=_read, fail=_failed)


def marksheet_uploads_purge(*, older_than: datetime.timedelta) -> int:
    """Delete the stored files of readings that never finished (given up, lost) older than `older_than`:
    they hold a class's marks. A reading still running then says the file is no longer available."""
    cutoff = timezone.now() - older_than
    stale = Job.objects.filter(kind=READ_KIND, created_at__lt=cutoff).exclude(payload__path="")
    purged = 0
    for job in stale.only("pk", "payload"):
        if job.payload.get("path"):
            _delete_upload(job)
            purged += 1
    return purged


def marksheet_reading(job: Job) -> Reading | None:
    """The job's reading once it is ready, else None."""
    return Reading.from_result(job.result) if job.status == JobStatus.SUCCEEDED else None


def marksheet_can_confirm(job: Job) -> bool:
    result = job.result or {}
    return (
        job.status == JobStatus.SUCCEEDED
        and not result.get("applied")
        and not result.get("errors")
        and bool(result.get("changes"))
    )


class MarksheetAlreadyApplied(Exception):
    """The reading was confirmed already (a double click, the back button) or has nothing to save."""


@transaction.atomic
def marksheet_confirm(*, job: Job, offering: CourseOffering, term: Term, by: User, reason: str = "") -> int:
    """Write a reading's changes once: the job is consumed by one conditional UPDATE (a second confirm,
    even a concurrent one, finds it consumed: MarksheetAlreadyApplied), in the same transaction as the
    write, so a refused write (GradeError) leaves the reading as it was."""
    if not marksheet_can_confirm(job):
        raise MarksheetAlreadyApplied
    consumed = Job.objects.filter(pk=job.pk, status=JobStatus.SUCCEEDED, result__applied=False).update(
        result={**job.result, "applied": True}
    )
    if not consumed:
        raise MarksheetAlreadyApplied
    return marksheet_apply(offering=offering, term=term, changes=job.result["changes"], by=by, reason=reason)


@transaction.atomic
def marksheet_apply(
    *, offering: CourseOffering, term: Term, changes: list[dict], by: User, reason: str = ""
) -> int:
    """Write the previewed changes, all or none. Refused when a mark changed since the preview, when a
    student left the class, or when the term is locked for this person (GradeError)."""
    locked = term_locked(term.pk)
    if locked and Role.ADMINISTRATOR not in by.roles:
        raise GradeError(_("This term is locked. Ask the office to change a mark."))
    assessments = {a.pk: a for a in offering_assessments(offering, term)}
    student_ids = {s.pk for s in offering_students(offering)}
    for change in changes:
        assessment = assessments.get(change["assessment_id"])
        if assessment is None or change["student_id"] not in student_ids:
            raise GradeError(_("The class changed since the preview. Upload the file again."))
        try:
            # The preview's "now" is the base: a mark changed since the preview refuses the whole file.
            mark_set(
                assessment=assessment,
                student_id=change["student_id"],
                raw=change["new"],
                by=by,
                reason=reason,
                locked=locked,
                base=change["old"],
            )
        except EditConflict:
            raise GradeError(
                _(
                    "%(student)s's mark for %(assessment)s changed since the preview. Nothing was saved: "
                    "upload the file again."
                )
                % {"student": change["student"], "assessment": assessment.name}
            ) from None
    audit_log(
        actor=by,
        action="marksheet.import",
        obj=offering,
        after={"term": term.pk, "changes": len(changes)},
        reason=reason.strip(),
    )
    return len(changes)
