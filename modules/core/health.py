from __future__ import annotations

import dataclasses

from asgiref.sync import sync_to_async
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from huey.contrib.djhuey import HUEY


@dataclasses.dataclass
class QueueCheck(HealthCheck):
    """The Huey queue's storage answers (the SQLite file or Redis)."""

    async def run(self) -> None:
        try:
            await sync_to_async(HUEY.pending_count)()
        except Exception as exc:  # any storage failure means the queue cannot take work
            raise ServiceUnavailable("Queue storage unavailable") from exc
