"""Reading and locking the session row, for the database-backed stores."""

from __future__ import annotations

from django.db import router, transaction
from django.utils import timezone


class DatabaseRowMixin:
    def _stored(self) -> dict | None:
        # The row is locked until the merged session is written (PostgreSQL: FOR UPDATE; SQLite: the
        # deployment's IMMEDIATE transactions take the write lock at the start).
        data = (
            self.model.objects.select_for_update()
            .filter(session_key=self.session_key, expire_date__gt=timezone.now())
            .values_list("session_data", flat=True)
            .first()
        )
        return None if data is None else self.decode(data)

    def _write_lock(self):
        return transaction.atomic(using=router.db_for_write(self.model))
