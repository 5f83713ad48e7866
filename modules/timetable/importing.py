"""The requirements of many classes at once, from a spreadsheet: a template to download, a dry run that lists
every row's problems on the page, then the import, all or nothing.

A requirements file is small (a row per class: a large school has a few hundred), so it is read in the
request, but through the same bounded reader as every upload (modules/core/spreadsheets.py: the zip's
directory and declared size checked before any parsing, rows streamed with hard row and column limits, and
a small byte limit here), so the file never decides how much memory or time reading it takes. Between the
dry run and the import the checked rows travel signed in the page (nothing is stored); the import checks
them again against the database, inside its transaction, and writes every row or none.

A row names its class by section and subject (the class is created when the section has no class of that
subject yet); its teacher, co-teachers and qualified teachers by staff number or email; its room and kind
of room by name. A name the school does not know refuses the row, never the guess of another.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core import signing
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from modules.academics.models import AcademicYear, CourseOffering, Room, RoomType, Section, Subject
from modules.accounts.models import User
from modules.core.audit import audit_log
from modules.core.spreadsheets import (
    FORMULA_TRIGGERS,
    SpreadsheetRefused,
    spreadsheet_check,
    spreadsheet_rows,
)
from modules.people.models import Staff
from modules.timetable.models import JointLesson, Requirement
from modules.timetable.requirements import RequirementRefused, requirement_save

MAX_BYTES = 1024 * 1024
MAX_ROWS = 2000
MAX_COLUMNS = 30
MAX_UNPACKED_BYTES = 20 * 1024 * 1024
SIGNING_SALT = "timetable.requirements_import"
SIGNED_MAX_AGE = 60 * 60
XLSX_SIGNATURE = b"PK\x03\x04"


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    help: Promise
    example: str


COLUMNS: tuple[Column, ...] = (
    Column("section", True, gettext_lazy("A section of the current year, e.g. 7A."), "7A"),
    Column("subject", True, gettext_lazy("The subject's name or code."), "MATH"),
    Column("periods_per_week", True, gettext_lazy("Periods a week, 1 to 40."), "5"),
    Column(
        "double_periods",
        False,
        gettext_lazy("How many of them come as double periods (two adjacent periods). 0 when empty."),
        "1",
    ),
    Column(
        "teacher",
        False,
        gettext_lazy("The class's teacher: staff number or email. Empty: the class keeps its teacher."),
        "T-001",
    ),
    Column(
        "co_teachers",
        False,
        gettext_lazy("Teachers who teach every lesson with them, separated by ; (staff number or email)."),
        "",
    ),
    Column(
        "qualified_teachers",
        False,
        gettext_lazy(
            "When the class has no teacher: the teachers the timetable may choose from, separated by ;."
        ),
        "",
    ),
    Column("room", False, gettext_lazy("Always this room (its name)."), ""),
    Column("room_kind", False, gettext_lazy("Or any room of this kind (its name), e.g. Laboratory."), ""),
    Column("heavy", False, gettext_lazy("yes: a heavy subject, early in the day."), "yes"),
    Column(
        "joint_lesson",
        False,
        gettext_lazy("Classes with the same name here are taught at the same time (created when new)."),
        "",
    ),
)
COLUMN_NAMES = tuple(column.name for column in COLUMNS)
REQUIRED = tuple(column.name for column in COLUMNS if column.required)
YES = {"yes", "y", "true", "1", "x", "sí", "si", "oui"}
NO = {"", "no", "n", "false", "0", "non"}


class ImportRefused(Exception):
    """The file cannot be used at all; the message is for the person who uploaded it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Row:
    number: int
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)


@dataclass
class DryRun:
    rows: list[Row]
    file_errors: list[str]

    @property
    def error_count(self) -> int:
        return len(self.file_errors) + sum(len(row.errors) for row in self.rows)

    @property
    def can_import(self) -> bool:
        return bool(self.rows) and self.error_count == 0

    def signed(self) -> str:
        """The checked rows, signed for the confirmation (the import checks them again)."""
        return signing.dumps(
            [[row.number, row.values] for row in self.rows], salt=SIGNING_SALT, compress=True
        )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    if text[:1] == "'" and text[1:2] in FORMULA_TRIGGERS:
        return text[1:]  # the quote our own spreadsheets put before text a spreadsheet would run
    return text


def _header_key(value: Any) -> str:
    return re.sub(r"[\s\-]+", "_", _text(value).lower()).strip("_*")


def _file_rows(content: bytes, file_format: str) -> Iterator[list[Any]]:
    try:
        spreadsheet_check(
            content,
            file_format=file_format,
            max_rows=MAX_ROWS,
            max_columns=MAX_COLUMNS,
            max_unpacked_bytes=MAX_UNPACKED_BYTES,
        )
        yield from spreadsheet_rows(
            content, file_format=file_format, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS
        )
    except SpreadsheetRefused as error:
        raise ImportRefused(error.message) from error


def read_upload(upload) -> list[Row]:
    """The data rows of an uploaded file, as text by column name. Raises ImportRefused."""
    name = (getattr(upload, "name", "") or "").rsplit("/", 1)[-1]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in {"xlsx", "csv"}:
        raise ImportRefused(
            _("“%(name)s” is not an Excel workbook (.xlsx) or a CSV file (.csv).") % {"name": name}
        )
    if (upload.size or 0) > MAX_BYTES:
        raise ImportRefused(_("The file is too large; the limit is 1 MB."))
    content = upload.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise ImportRefused(_("The file is too large; the limit is 1 MB."))
    if not content.strip(b"\xef\xbb\xbf \t\r\n"):
        raise ImportRefused(_("The file is empty."))
    if extension == "xlsx" and not content.startswith(XLSX_SIGNATURE):
        raise ImportRefused(_("This file is not a real Excel workbook (.xlsx)."))
    if extension == "csv":
        if content.startswith(XLSX_SIGNATURE) or b"\x00" in content[:4096]:
            raise ImportRefused(_("This file is not a CSV text file. Save it as .xlsx or as “CSV UTF-8”."))
        try:
            content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ImportRefused(
                _("This CSV file is not in UTF-8. Save it as “CSV UTF-8”, or upload an .xlsx file.")
            ) from error
    rows = _file_rows(content, extension)
    header = next(rows, None)
    if header is None:
        raise ImportRefused(_("The file has no header row."))
    keys = [_header_key(value) for value in header]
    missing = [name for name in REQUIRED if name not in keys]
    if missing:
        raise ImportRefused(
            _("The header row lacks the columns %(columns)s. Download the template to see them.")
            % {"columns": ", ".join(missing)}
        )
    found: list[Row] = []
    for number, cells in enumerate(rows, start=2):
        values = {key: _text(cell) for key, cell in zip(keys, cells, strict=False) if key in COLUMN_NAMES}
        if any(values.values()):
            found.append(Row(number=number, values={name: values.get(name, "") for name in COLUMN_NAMES}))
    return found


def rows_from_signed(token: str) -> list[Row] | None:
    try:
        data = signing.loads(token, salt=SIGNING_SALT, max_age=SIGNED_MAX_AGE)
    except signing.BadSignature:
        return None
    return [
        Row(number=int(number), values={name: str(values.get(name, "")) for name in COLUMN_NAMES})
        for number, values in data
    ]


# ----------------------------------------------------------------------------------------------------
# Checking


@dataclass
class _Lookups:
    sections: dict[str, Section]
    subjects: dict[str, Subject]
    staff: dict[str, Staff]
    rooms: dict[str, Room]
    kinds: dict[str, RoomType]
    offerings: dict[tuple[int, int], CourseOffering]
    joints: dict[str, JointLesson]


def _lookups(year: AcademicYear) -> _Lookups:
    subjects: dict[str, Subject] = {}
    for subject in Subject.objects.all():
        subjects.setdefault(subject.code.lower(), subject)
        subjects.setdefault(subject.name.lower(), subject)
    staff: dict[str, Staff] = {}
    for person in Staff.objects.select_related("user"):
        staff[person.staff_number.lower()] = person
        staff.setdefault(person.user.email.lower(), person)
    return _Lookups(
        sections={section.name.lower(): section for section in Section.objects.filter(year=year)},
        subjects=subjects,
        staff=staff,
        rooms={room.name.lower(): room for room in Room.objects.all()},
        kinds={kind.name.lower(): kind for kind in RoomType.objects.all()},
        offerings={
            (o.section_id, o.subject_id): o for o in CourseOffering.objects.filter(section__year=year)
        },
        joints={joint.name.lower(): joint for joint in JointLesson.objects.filter(year=year)},
    )


def _number(text: str, *, default: int | None = None) -> int | None:
    if text == "" and default is not None:
        return default
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return None
    return int(value) if value.is_integer() else None


class _Checker:
    def __init__(self, lookups: _Lookups):
        self.lookups = lookups
        self.seen: dict[tuple[int, int], int] = {}

    def _people(self, text: str, what: str, problem) -> list[Staff]:
        found = []
        for ref in [part.strip() for part in re.split(r"[;,\n]", text) if part.strip()]:
            person = self.lookups.staff.get(ref.lower())
            if person is None:
                problem(
                    _("no staff member has the number or email %(ref)s (%(what)s).")
                    % {"ref": ref, "what": what}
                )
            elif not person.is_active:
                problem(
                    _("%(name)s has left the school (%(what)s).") % {"name": person.full_name, "what": what}
                )
            else:
                found.append(person)
        return found

    def _teachers(self, v: dict[str, str], problem) -> tuple[Staff | None, list[Staff], list[Staff]]:
        teacher = None
        if v["teacher"]:
            people = self._people(v["teacher"], _("teacher"), problem)
            teacher = people[0] if len(people) == 1 else None
            if len(people) > 1:
                problem(_("a class has one teacher; put the others under co_teachers."))
        co = self._people(v["co_teachers"], _("co-teachers"), problem)
        candidates = self._people(v["qualified_teachers"], _("qualified teachers"), problem)
        return teacher, co, candidates

    def _rooms(self, v: dict[str, str], problem) -> tuple[Room | None, RoomType | None]:
        room = self.lookups.rooms.get(v["room"].lower()) if v["room"] else None
        if v["room"] and room is None:
            problem(_("there is no room %(name)s.") % {"name": v["room"]})
        kind = self.lookups.kinds.get(v["room_kind"].lower()) if v["room_kind"] else None
        if v["room_kind"] and kind is None:
            problem(_("there is no kind of room %(name)s.") % {"name": v["room_kind"]})
        if v["room"] and v["room_kind"]:
            problem(_("give a room or a kind of room, not both."))
        return room, kind

    def check(self, row: Row) -> dict[str, Any]:
        """The row's values as the service takes them; problems go to row.errors."""
        v = row.values

        def problem(message: str) -> None:
            row.errors.append(_("Row %(row)s: ") % {"row": row.number} + message)

        for name in REQUIRED:
            if not v[name]:
                problem(_("%(column)s is missing.") % {"column": name})
        section = self.lookups.sections.get(v["section"].lower()) if v["section"] else None
        if v["section"] and section is None:
            problem(_("there is no section %(name)s this year.") % {"name": v["section"]})
        subject = self.lookups.subjects.get(v["subject"].lower()) if v["subject"] else None
        if v["subject"] and subject is None:
            problem(_("there is no subject %(name)s.") % {"name": v["subject"]})
        periods = _number(v["periods_per_week"]) if v["periods_per_week"] else None
        if v["periods_per_week"] and (periods is None or not 1 <= periods <= 40):
            problem(
                _("periods a week must be a whole number from 1 to 40, not %(value)s.")
                % {"value": v["periods_per_week"]}
            )
            periods = None
        doubles = _number(v["double_periods"], default=0)
        if doubles is None or doubles < 0:
            problem(
                _("double periods must be a whole number, not %(value)s.") % {"value": v["double_periods"]}
            )
            doubles = None
        elif periods is not None and 2 * doubles > periods:
            problem(
                _("%(doubles)s double periods take %(needed)s periods, more than the %(periods)s a week.")
                % {"doubles": doubles, "needed": 2 * doubles, "periods": periods}
            )
        teacher, co, candidates = self._teachers(v, problem)
        room, kind = self._rooms(v, problem)
        heavy = v["heavy"].lower()
        if heavy not in YES | NO:
            problem(_("heavy must be yes or no, not %(value)s.") % {"value": v["heavy"]})
        if len(v["joint_lesson"]) > 80:
            problem(_("the joint lesson's name is too long (at most 80 characters)."))
        if section is not None and subject is not None:
            key = (section.pk, subject.pk)
            if key in self.seen:
                problem(
                    _("row %(first)s already states %(subject)s for %(section)s.")
                    % {"first": self.seen[key], "subject": subject.name, "section": section.name}
                )
            else:
                self.seen[key] = row.number
        if teacher is not None and any(person.pk == teacher.pk for person in co):
            problem(_("the class's own teacher cannot also be its co-teacher."))
        return {
            "section": section,
            "subject": subject,
            "periods_per_week": periods,
            "double_lessons": doubles,
            "teacher": teacher,
            "co_teachers": co,
            "candidate_teachers": candidates,
            "room": room,
            "room_type": kind,
            "prefer_early": heavy in YES,
            "joint": v["joint_lesson"],
        }


def _check_joints(rows: list[Row], checked: list[dict], lookups: _Lookups) -> None:
    """Classes joined in one joint lesson (in the file, and already in the school) need equal counts."""
    groups: dict[str, list[tuple[Row, dict]]] = defaultdict(list)
    for row, values in zip(rows, checked, strict=True):
        if values["joint"]:
            groups[values["joint"].lower()].append((row, values))
    in_file = {
        (values["section"].pk, values["subject"].pk)
        for values in checked
        if values["section"] is not None and values["subject"] is not None
    }
    for key, members in groups.items():
        counts = {(values["periods_per_week"], values["double_lessons"]) for _row, values in members}
        existing = lookups.joints.get(key)
        if existing is not None:
            for other in existing.requirements.select_related("offering"):
                if (other.offering.section_id, other.offering.subject_id) not in in_file:
                    counts.add((other.periods_per_week, other.double_lessons))
        if len(counts) > 1:
            for row, values in members:
                row.errors.append(
                    _("Row %(row)s: ") % {"row": row.number}
                    + _("the classes of the joint lesson %(name)s need the same periods a week and doubles.")
                    % {"name": values["joint"]}
                )


def requirements_dry_run(*, year: AcademicYear, rows: list[Row]) -> DryRun:
    """Check every row (writes nothing)."""
    for row in rows:
        row.errors = []
    file_errors = [] if rows else [_("The file has no data rows below the header row.")]
    lookups = _lookups(year)
    checker = _Checker(lookups)
    checked = [checker.check(row) for row in rows]
    _check_joints(rows, checked, lookups)
    return DryRun(rows=rows, file_errors=file_errors)


@transaction.atomic
def requirements_import(*, year: AcademicYear, rows: list[Row], by: User) -> DryRun | int:
    """Check the rows again and write them all, or none: the number written, or the dry run that found
    problems. Raises RequirementRefused when a row cannot be written (a fixed lesson the new counts leave
    no room for); the transaction then writes nothing."""
    lookups = _lookups(year)
    checker = _Checker(lookups)
    checked = [checker.check(row) for row in rows]
    _check_joints(rows, checked, lookups)
    dry_run = DryRun(
        rows=rows, file_errors=[] if rows else [_("The file has no data rows below the header row.")]
    )
    if not dry_run.can_import:
        return dry_run
    joints: dict[str, JointLesson] = {}
    joined: list[tuple[Requirement, str]] = []
    for row, values in zip(rows, checked, strict=True):
        offering = lookups.offerings.get((values["section"].pk, values["subject"].pk))
        if offering is None:
            offering = CourseOffering.objects.create(
                section=values["section"], subject=values["subject"], teacher=values["teacher"]
            )
            audit_log(
                actor=by,
                action="timetable.import_class",
                obj=offering,
                after={"teacher": offering.teacher_id},
            )
        elif values["teacher"] is not None and offering.teacher_id != values["teacher"].pk:
            before = {"teacher": offering.teacher_id}
            offering.teacher = values["teacher"]
            offering.save(update_fields=["teacher"])
            audit_log(
                actor=by,
                action="timetable.import_class",
                obj=offering,
                before=before,
                after={"teacher": offering.teacher_id},
            )
        try:
            requirement = requirement_save(
                offering=offering,
                periods_per_week=values["periods_per_week"],
                double_lessons=values["double_lessons"],
                room=values["room"],
                room_type=values["room_type"],
                co_teachers=values["co_teachers"],
                candidate_teachers=values["candidate_teachers"],
                prefer_early=values["prefer_early"],
                joint=None,
                by=by,
            )
        except RequirementRefused as refusal:
            raise RequirementRefused(_("Row %(row)s: ") % {"row": row.number} + refusal.message) from refusal
        if values["joint"]:
            joined.append((requirement, values["joint"]))
    for requirement, name in joined:
        key = name.lower()
        if key not in joints:
            joints[key] = lookups.joints.get(key) or JointLesson.objects.create(year=year, name=name)
        Requirement.objects.filter(pk=requirement.pk).update(joint=joints[key])
    audit_log(
        actor=by,
        action="timetable.requirements_import",
        model=Requirement,
        description=_("%(count)s requirements imported") % {"count": len(rows)},
    )
    return len(rows)


def template_rows() -> tuple[list[str], list[list[str]], list[list[str]]]:
    """The template's header, its example row and its help sheet's rows."""
    help_rows = [[c.name, _("yes") if c.required else _("no"), str(c.help)] for c in COLUMNS]
    return list(COLUMN_NAMES), [[c.example for c in COLUMNS]], help_rows
