"""Exact query pins for the key pages: the count must match, and a mismatch prints every SQL statement.

pytest-django's ``django_assert_num_queries`` checks equality but prints the SQL only under ``-v``, which
``make test`` and CI do not pass, so a failing pin there says "13 were done" and nothing more. Here a failure
lists each statement, numbered, so the extra (or missing) query is visible in the CI log, as zulip's
``queries_captured`` does.

Upper bounds (``django_assert_max_num_queries``) stay for the tests that guard scaling (N against 2N rows);
the pins in this file say how many queries a page takes today, so any change to that number is a decision.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext


@contextmanager
def queries_exactly(
    expected: int, *, postgresql: int | None = None, using: str = "default"
) -> Iterator[CaptureQueriesContext]:
    """Fail unless the block runs exactly ``expected`` queries on ``using``.

    ``postgresql`` is the count on PostgreSQL when it legitimately differs from SQLite's (say a
    ``select_for_update`` or a savepoint one backend skips); the caller says why in a comment.
    """
    connection = connections[using]
    if postgresql is not None and connection.vendor == "postgresql":
        expected = postgresql
    with CaptureQueriesContext(connection) as captured:
        yield captured
    if len(captured) != expected:
        numbered = "\n".join(
            f"{number:>3}. {query['sql']}" for number, query in enumerate(captured.captured_queries, 1)
        )
        pytest.fail(
            f"Expected exactly {expected} queries on {connection.vendor}, "
            f"{len(captured)} were run:\n{numbered}",
            pytrace=False,
        )
