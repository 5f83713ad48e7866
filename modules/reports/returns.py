"""Compliance returns: the figures the office files with the authorities, for a date or a period.

Each return is built by its own file (`returns_census.py`, `returns_attendance.py`, `returns_fees.py`,
`returns_staff.py`) from the selectors the owning module's pages use, as one `ReturnDocument`: a title, the
date or period it covers, a few headline figures, its tables and the rules it applied ("How this was
counted"). The page, the PDF and the XLSX are drawn from that one document, so the three always agree.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from modules.core.audit import audit_log

if TYPE_CHECKING:
    from modules.reports.returns_forms import ReturnForm

# The page shows at most this many rows of a table (the files have every row). A PDF with a table of more
# than PDF_ROWS rows is laid out on the queue (returns_jobs.py): WeasyPrint lays a table out at some
# 10-20 ms a row, and a whole school's 3,000 students would outlast a request's PDF time limit.
PAGE_ROWS = 500
PDF_ROWS = 400


@dataclass
class Table:
    """One table of a return. The first cell of each row names it (a row header); the rest are figures
    (right-aligned from `numeric_from` on)."""

    caption: str
    headers: list[str]
    rows: list[list[Any]]
    totals: list[Any] | None = None
    sheet: str = ""
    numeric_from: int = 1

    @property
    def shown_rows(self) -> list[list[Any]]:
        return self.rows[:PAGE_ROWS]

    @property
    def cut(self) -> bool:
        return len(self.rows) > PAGE_ROWS

    def sheet_rows(self) -> list[list[Any]]:
        return [*self.rows, *([self.totals] if self.totals else [])]


@dataclass
class ReturnDocument:
    slug: str
    title: str
    covers: str  # the date or the period, in words
    tables: list[Table]
    rules: list[str]
    facts: list[tuple[str, Any]] = field(default_factory=list)
    notice: str = ""  # said above the tables (nothing to count, say)
    filename: str = "return"
    # What the export audit names: the model the rows are of, and how many rows the document carries.
    model: type[models.Model] | None = None

    @property
    def row_count(self) -> int:
        return sum(len(table.rows) for table in self.tables)

    def xlsx_sheets(self) -> tuple[str, list[str], list[list[Any]], list[tuple[str, list[str], list]]]:
        """(first sheet's title, headers, rows, the other sheets): each table a sheet, then the headline
        figures and "How this was counted"."""
        sheets: list[tuple[str, list[str], list]] = [
            (table.sheet or table.caption, [str(h) for h in table.headers], table.sheet_rows())
            for table in self.tables
        ]
        about = [[_("Return"), self.title], [_("Covers"), self.covers]]
        about += [[str(label), value] for label, value in self.facts]
        sheets.append((_("Summary"), [_("Item"), _("Value")], about))
        sheets.append((_("How this was counted"), [_("Rule")], [[rule] for rule in self.rules]))
        first, *rest = sheets
        return first[0], first[1], first[2], rest


@dataclass(frozen=True)
class ReturnKind:
    """A return the office can file: its slug (in the URL), its name and what it says, which form asks
    for its date or period, and the function that builds its document from that form's cleaned data."""

    slug: str
    title: str | Promise
    description: str | Promise
    form: type[ReturnForm]
    build: Callable[..., ReturnDocument]


def date_words(day: datetime.date) -> str:
    from django.utils.formats import date_format

    return date_format(day, "DATE_FORMAT")


def period_words(start: datetime.date, end: datetime.date, label: str = "") -> str:
    words = f"{date_words(start)} – {date_words(end)}"
    return f"{label}: {words}" if label else words


def percent(value) -> Any:
    """A rate for a table: the Decimal, or a dash when there is nothing to rate."""
    return "—" if value is None else value


def return_export_audit(*, by, document: ReturnDocument, file_format: str, params: dict[str, Any]) -> None:
    """Who took which return, in which format, for which date or period (exports of student and staff data
    are audited, as every office export is)."""
    from modules.people.models import Student

    audit_log(
        actor=by,
        action="reports.return_export",
        model=document.model or Student,
        description=f"{document.slug} ({file_format})",
        after={"return": document.slug, "format": file_format, "rows": document.row_count, "params": params},
    )


def columns(*names: str) -> list[str]:
    return [str(name) for name in names]


def total_row(label: str, rows: Sequence[Sequence[Any]], start: int = 1) -> list[Any]:
    """A totals row: `label`, then the sum of each numeric column from `start` on."""
    width = max((len(row) for row in rows), default=start)
    sums: list[Any] = [label, *([""] * (start - 1))]
    for index in range(start, width):
        values = [row[index] for row in rows if isinstance(row[index], int | float)]
        sums.append(sum(values) if values else "")
    return sums
