"""Sessions in the shared cache (Redis), saved per key (see modules.core.sessions).

The cache has no transactions: a short lock (an atomic add of a lock key, which Redis and the local-memory
cache both provide) is held while the session is re-read and written, so two saves cannot interleave.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid

from django.contrib.sessions.backends import cache

from modules.core.sessions import MergingSessionMixin

logger = logging.getLogger(__name__)

LOCK_SECONDS = 5  # the lock expires by itself should its holder die
LOCK_WAIT = 2.0  # a save waits at most this long for another save of the same session
LOCK_PAUSE = 0.01


class SessionStore(MergingSessionMixin, cache.SessionStore):
    def _stored(self) -> dict | None:
        return self._cache.get(self.cache_key)

    @contextlib.contextmanager
    def _write_lock(self):
        key = f"{self.cache_key}:lock"
        token = uuid.uuid4().hex
        deadline = time.monotonic() + LOCK_WAIT
        held = self._cache.add(key, token, LOCK_SECONDS)
        while not held and time.monotonic() < deadline:
            time.sleep(LOCK_PAUSE)
            held = self._cache.add(key, token, LOCK_SECONDS)
        if not held:
            # A save that held it longer than LOCK_WAIT is stuck: merging without the lock still keeps
            # every key but one written in the same instant.
            logger.warning("Saving session %s without its lock (another save held it too long).", key)
        try:
            yield
        finally:
            if held and self._cache.get(key) == token:
                self._cache.delete(key)
