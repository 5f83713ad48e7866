"""Database sessions with a cached copy for reading, saved per key (see modules.core.sessions).

Only where one process serves every request or the cache is shared: a worker's local-memory copy does not
see another worker's writes. The merge re-reads the database row, never the cache.
"""

from __future__ import annotations

from django.contrib.sessions.backends import cached_db

from modules.core.sessions import MergingSessionMixin
from modules.core.sessions._database import DatabaseRowMixin


class SessionStore(DatabaseRowMixin, MergingSessionMixin, cached_db.SessionStore):
    pass
