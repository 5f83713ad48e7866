"""What every list of the API shares: its pages (a cursor over the ids, 100 rows, at most 500) and its
filters (each one the caller gave narrows the rows; one left out narrows nothing)."""

from __future__ import annotations

from django.db.models import QuerySet

PAGE = {"ordering": ("id",), "page_size": 100, "max_page_size": 500}


def narrowed(rows: QuerySet, **lookups) -> QuerySet:
    """The rows filtered by each lookup the caller gave (a filter left out, None, narrows nothing)."""
    given = {lookup: value for lookup, value in lookups.items() if value is not None}
    return rows.filter(**given) if given else rows
