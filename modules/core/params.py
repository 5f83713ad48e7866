"""Query-string values read without trusting them: a bad one is ignored, never a 500.

Anyone can put anything in a URL. `"²".isdigit()` is True but `int("²")` fails; `int("9" * 23)` works but no
database column holds it (SQLite raises OverflowError); `?per_page=-1` makes the paginator fail. Views read
ids, numbers and dates from `request.GET` through these helpers, and list tables are paginated through
`table_configure`, so each of those mistakes has one fix.
"""

from __future__ import annotations

import datetime
import re

from django.core.paginator import EmptyPage, PageNotAnInteger
from django.http import HttpRequest
from django_tables2 import RequestConfig, Table

# Ids and numbers fit a signed 64-bit integer (SQLite's INTEGER, PostgreSQL's bigint).
MAX_INTEGER = 2**63 - 1
# A list page shows at most this many rows, whatever ?per_page= asks for.
MAX_PER_PAGE = 100
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")
_SORT = re.compile(r"-?[A-Za-z_][A-Za-z0-9_]{0,59}")


def query_id(value: object) -> int | None:
    """A positive database id from a query-string value ("12"), or None for anything else."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        return None
    text = str(value).strip()
    if not _ASCII_DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if 0 < number <= MAX_INTEGER else None


def query_int(value: object, *, default: int, minimum: int = 1, maximum: int = MAX_INTEGER) -> int:
    """A whole number within [minimum, maximum] from a query-string value, else `default`."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        return default
    text = str(value).strip()
    negative = text.startswith("-")
    digits = text[1:] if negative else text
    if not _ASCII_DIGITS.fullmatch(digits):
        return default
    number = -int(digits) if negative else int(digits)
    return number if minimum <= number <= maximum else default


def query_date(value: object) -> datetime.date | None:
    """A date from a query-string value in ISO form (2026-09-01), or None (2026-13-45, garbage, year 0)."""
    if not isinstance(value, str) or len(value) > 10:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


class _PortalRequestConfig(RequestConfig):
    def __init__(self, request: HttpRequest, *, per_page: int, max_per_page: int):
        super().__init__(request, paginate=True)
        self.per_page = per_page
        self.max_per_page = max_per_page

    def configure(self, table: Table) -> Table:
        table.request = self.request
        # Column names only: django-tables2 drops unknown ones, but reads "a.b" as a path (and warns).
        order_by = [
            name for name in self.request.GET.getlist(table.prefixed_order_by_field) if _SORT.fullmatch(name)
        ]
        if order_by:
            table.order_by = order_by
        query = self.request.GET
        per_page = query_int(
            query.get(table.prefixed_per_page_field), default=self.per_page, maximum=self.max_per_page
        )
        page = query_int(query.get(table.prefixed_page_field), default=1)
        try:
            table.paginate(per_page=per_page, page=page)
        except (EmptyPage, PageNotAnInteger):
            # Past the end: the last page, as django-tables2 does (its own fallback fails for per_page < 1).
            table.paginate(per_page=per_page, page=table.paginator.num_pages)
        return table


def table_configure(
    request: HttpRequest, table: Table, *, per_page: int, max_per_page: int = MAX_PER_PAGE
) -> Table:
    """Sort and paginate a django-tables2 table from the request (?sort=, ?page=, ?per_page=).

    Use instead of `RequestConfig(request, paginate=...).configure(table)`: a page or page size that is not
    a sensible whole number is ignored, and no URL can ask for more than `max_per_page` rows at once.
    """
    return _PortalRequestConfig(request, per_page=per_page, max_per_page=max_per_page).configure(table)
