"""Session stores that never lose another request's write.

Django saves a session as one whole dictionary: a request that loaded the session, changed anything, and
saved after another request had saved, wrote its stale copy of every other key back. A role switched by
one request was undone by a request that started before it and finished after it. These stores save
per key instead: each request's changes (the keys whose value differs from what that request loaded, and
the keys it removed) are applied to the session as stored at the moment of saving, re-read under a lock,
so the last writer wins per key, not per session. A request that changed nothing writes nothing.

A value written back unchanged is not a change: a request that re-assigns what it read cannot undo a newer
value another request saved meanwhile. `clear()`, `flush()` (sign-out) and `cycle_key()` (sign-in) replace
the session as a whole, as Django's stores do; a session deleted or expired meanwhile is not revived (the
save raises UpdateError, which Django's middleware reports as a session ended during the request).

One module per engine, as SESSION_ENGINE expects: `.db`, `.cached_db` and `.cache` wrap Django's own.
`.cached_db` keeps a copy in the cache for reading; it is coherent only when every process shares that
cache (Redis), or when one process serves everything (the tests, the benchmark). With the local-memory
cache, each gunicorn worker has its own copy, so a worker that cached the session before another worker
changed it would serve the old one: without Redis, deployments use `.db` (portal/settings/base.py).
"""

from __future__ import annotations

import copy
import logging

from asgiref.sync import sync_to_async

logger = logging.getLogger(__name__)


class MergingSessionMixin:
    """Goes before one of Django's session stores; the engine supplies `_stored()` and `_write_lock()`."""

    def __init__(self, session_key=None):
        super().__init__(session_key)
        # The data as this request loaded it (a deep copy, so that values changed in place are seen);
        # None until loaded.
        self._as_loaded: dict | None = None
        # clear(), flush() or cycle_key(): this request's data is the whole session, not a set of changes.
        self._replacing = False

    def load(self):
        data = super().load()
        self._as_loaded = copy.deepcopy(data)
        return data

    async def aload(self):
        data = await super().aload()
        self._as_loaded = copy.deepcopy(data)
        return data

    def clear(self):
        super().clear()
        self._replacing = True

    def cycle_key(self):
        self._replacing = True
        super().cycle_key()

    async def acycle_key(self):
        self._replacing = True
        await super().acycle_key()

    def changes(self) -> tuple[dict, set[str]]:
        """What this request changed: the keys set to a new value, and the keys removed."""
        current = self._session_cache if hasattr(self, "_session_cache") else {}
        loaded = self._as_loaded or {}
        written = {key: value for key, value in current.items() if key not in loaded or loaded[key] != value}
        removed = set(loaded) - set(current)
        return written, removed

    def save(self, must_create=False):
        if must_create or self._replacing or self._as_loaded is None or self.session_key is None:
            super().save(must_create)
            self._loaded_now()
            return
        written, removed = self.changes()
        if not written and not removed:
            return  # nothing changed: nothing to write (a poll or a page view never writes the session)
        with self._write_lock():
            stored = self._stored()
            if stored is None:
                # Deleted (signed out elsewhere, sessions ended) or expired meanwhile: Django's own save
                # raises UpdateError for a session that is gone, rather than bringing it back.
                super().save(must_create=False)
                return
            merged = {key: value for key, value in stored.items() if key not in removed}
            merged.update(written)
            self._session_cache = merged
            if merged != stored:
                super().save(must_create=False)
        self._loaded_now()

    async def asave(self, must_create=False):
        await sync_to_async(self.save)(must_create)

    def _loaded_now(self) -> None:
        """After a save, what is stored is the base the request's further changes are measured from."""
        self._as_loaded = copy.deepcopy(getattr(self, "_session_cache", {}))
        self._replacing = False

    def _stored(self) -> dict | None:
        """The session as stored now, read past any per-process copy; None when it no longer exists."""
        raise NotImplementedError

    def _write_lock(self):
        """Held while the stored session is re-read and the merged one written."""
        raise NotImplementedError
