"""Every task's log lines carry the request id of the request that enqueued it, and a slow task is logged.

Tasks are enqueued all over (receivers of domain events, jobs, sweepers); Huey's enqueue signal and its
pre- and post-execute hooks see every one of them, in the web process and in the worker, so no call site
passes anything. The work is in modules/core/observability.py.
"""

from __future__ import annotations

from typing import Any

from huey.contrib.djhuey import HUEY
from huey.signals import SIGNAL_ENQUEUED

from modules.core.observability import task_enqueued, task_finished, task_started


@HUEY.signal(SIGNAL_ENQUEUED)
def on_task_enqueued(signal: str, task: Any, *args: Any, **kwargs: Any) -> None:
    task_enqueued(task)


@HUEY.pre_execute(name="observability")
def on_task_start(task: Any) -> None:
    task_started(task)


@HUEY.post_execute(name="observability")
def on_task_end(task: Any, value: Any, exception: BaseException | None) -> None:
    task_finished(task, value, exception)
