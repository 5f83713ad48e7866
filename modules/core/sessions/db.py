"""Database sessions saved per key (see modules.core.sessions). Without Redis, the deployment's engine."""

from __future__ import annotations

from django.contrib.sessions.backends import db

from modules.core.sessions import MergingSessionMixin
from modules.core.sessions._database import DatabaseRowMixin


class SessionStore(DatabaseRowMixin, MergingSessionMixin, db.SessionStore):
    pass
