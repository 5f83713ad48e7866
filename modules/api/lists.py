"""What every list of the API shares: its pages (a cursor over the ids, 100 rows, at most 500) and its
filters (each one the caller gave narrows the rows; one left out narrows nothing)."""

from __future__ import annotations

import datetime
import re
from typing import Annotated

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Path
from ninja.pagination import CursorPagination
from pydantic import AfterValidator, BeforeValidator, Field

PAGE = {"ordering": ("id",), "page_size": 100, "max_page_size": 500}


def narrowed(rows: QuerySet, **lookups) -> QuerySet:
    """The rows filtered by each lookup the caller gave (a filter left out, None, narrows nothing)."""
    given = {lookup: value for lookup, value in lookups.items() if value is not None}
    return rows.filter(**given) if given else rows


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _written_as(pattern: re.Pattern, example: str):
    def check(value):
        # Only as the document says (pydantic would also read 0.5 as a second after 1970: a number sent by
        # mistake would silently become another day).
        if isinstance(value, str) and not pattern.match(value):
            raise ValueError(_("Write it as in %(example)s.") % {"example": example})
        return value

    return BeforeValidator(check)


def in_utc(value: datetime.datetime) -> datetime.datetime:
    """A moment as UTC (one without a zone is the school's). ISO 8601 allows offsets PostgreSQL refuses
    (beyond ±15:59, e.g. -17:45: schemathesis found the 500), and a moment is the same moment in UTC."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    try:
        return value.astimezone(datetime.UTC)
    except OverflowError as error:  # a moment in year 1 with an offset that takes it before the calendar
        raise ValueError(_("This moment is outside the calendar.")) from error


# A day and a moment in a list's filters, as ISO 8601 text only; a moment as UTC.
Day = Annotated[datetime.date, _written_as(_DATE, "2026-09-01")]
Moment = Annotated[datetime.datetime, _written_as(_DATETIME, "2026-09-01T08:30:00Z"), AfterValidator(in_utc)]


# A record's id, in a path or a filter: what the database can hold (a larger number is refused as a bad
# value, not sent to the database to overflow there).
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


class Pages(CursorPagination):
    """ninja's cursor pages, over records or over rows read as dicts (`.values()`: the long lists, whose
    every row as a model instance would cost more than the page's query)."""

    class Input(CursorPagination.Input):
        # A whole number as text only (pydantic would read "0.0" as 0, then the page size would be a guess).
        page_size: Annotated[int, _written_as(re.compile(r"\d+$"), "100")] | None = None

    def _get_position(self, item) -> str:
        if isinstance(item, dict):
            return str(item[self._order_attribute])
        return super()._get_position(item)
