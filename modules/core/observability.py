"""What the logs say about a request or a task: one request id from the web to the queue, the time and the
SQL statements each took, and (when SENTRY_DSN is set) the errors reported to Sentry.

- ``RequestContextMiddleware`` (first in MIDDLEWARE) takes the request id from a valid ``X-Request-ID``
  header (nginx sets one) or makes one, returns it in the response's ``X-Request-ID``, and keeps it, with
  the request, in a context variable while the request runs. It counts the SQL statements through
  ``connection.execute_wrapper`` (one integer added per statement: cheap enough for production, unlike
  DEBUG's query log), and writes one line per request, a WARNING when it took longer than
  ``STUDENTFLOW_SLOW_REQUEST_MS``.
- ``ContextFilter`` (on the console handler, so on every record of every logger) adds the request id, the
  user's id (never the email), the path and method, and the task's name and id in a worker.
- ``JsonFormatter``: one JSON object per line (production); ``PlainFormatter``: one readable line.
- Huey: ``task_enqueued``, ``task_started`` and ``task_finished`` are connected by ``tasks/observability.py``
  to Huey's enqueue signal and its pre- and post-execute hooks, so the request id travels with every task a
  request enqueues, wherever it is enqueued, and a task slower than ``STUDENTFLOW_SLOW_TASK_MS`` is logged.
- ``sentry_init``: error reporting without personal data, called by the production settings.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from contextvars import ContextVar, Token
from typing import Any

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty

REQUEST_ID_HEADER = "X-Request-ID"
# What an incoming id may be: nginx's $request_id (32 hex digits), a UUID, or another proxy's token. A
# bounded length and a safe charset keep a client from writing what it likes into the logs.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{8,64}")
# The keyword argument that carries the request id inside a queued task's message. Huey's message has no
# field for it; the pre-execute hook takes it out again before the task's function is called.
TASK_REQUEST_ID_KWARG = "_studentflow_request_id"

requests_logger = logging.getLogger("modules.core.observability.requests")
tasks_logger = logging.getLogger("modules.core.observability.tasks")


@dataclasses.dataclass(frozen=True, slots=True)
class LogContext:
    request_id: str | None = None
    request: HttpRequest | None = None
    task: str | None = None
    task_id: str | None = None


NO_CONTEXT = LogContext()
_context: ContextVar[LogContext] = ContextVar("studentflow_log_context", default=NO_CONTEXT)


def current_request_id() -> str | None:
    return _context.get().request_id


def request_id_from(header: str | None) -> str:
    """The incoming id when it is a safe one, else a new one."""
    if header and REQUEST_ID_PATTERN.fullmatch(header):
        return header
    return uuid.uuid4().hex


def _user_id(request: HttpRequest | None) -> int | None:
    """The signed-in person's id if the request has already loaded them: reading it here never costs a
    query (the user is loaded lazily, and a log line must not be the thing that loads it)."""
    if request is None:
        return None
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        user = user._wrapped
        if user is empty:
            return None
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.pk


class QueryCounter:
    """An execute wrapper that counts the statements run through it."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def _count_queries(stack: ExitStack, counter: QueryCounter) -> None:
    for alias in connections:
        stack.enter_context(connections[alias].execute_wrapper(counter))


# --- Logging -----------------------------------------------------------------------------------------------

# Fields a record may carry (from ContextFilter or from `extra=`), in the order a JSON line lists them.
CONTEXT_FIELDS = ("request_id", "user_id", "path", "method", "task", "task_id")
RESULT_FIELDS = ("status", "duration_ms", "queries")


class ContextFilter(logging.Filter):
    """Adds what is known of the current request or task to every record (a handler's filter sees the
    records that propagate to it from every logger; a logger's would see only its own)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get()
        request = context.request
        request_id = context.request_id
        # django.request logs a 4xx or 5xx after the middleware has returned, naming the request itself.
        logged_request = getattr(record, "request", None)
        if request is None and isinstance(logged_request, HttpRequest):
            request = logged_request
            request_id = getattr(request, "request_id", None)
        values = {
            "request_id": request_id,
            "user_id": _user_id(request),
            "path": request.path if request is not None else None,
            "method": request.method if request is not None else None,
            "task": context.task,
            "task_id": context.task_id,
        }
        for key, value in values.items():
            if not hasattr(record, key):
                setattr(record, key, value)
        # django.request's own records (4xx, 5xx) name the status `status_code`.
        if not hasattr(record, "status") and hasattr(record, "status_code"):
            record.status = record.status_code
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id and user_id
    always (null outside a request), then whichever of path, method, task, task_id, status, duration_ms
    and queries the record knows, and the exception's traceback as one string."""

    def format(self, record: logging.LogRecord) -> str:
        seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        line: dict[str, Any] = {
            "time": f"{seconds}.{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "user_id": getattr(record, "user_id", None),
        }
        for key in CONTEXT_FIELDS[2:] + RESULT_FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class PlainFormatter(logging.Formatter):
    """`time LEVEL logger message`, and the request or task it belongs to in brackets at the end."""

    def __init__(self, fmt: str | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(fmt or "%(asctime)s %(levelname)s %(name)s %(message)s", *args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        parts = [
            f"{key}={value}"
            for key in ("request_id", "user_id", "task")
            if (value := getattr(record, key, None)) is not None
        ]
        if not parts:
            return text
        first, newline, rest = text.partition("\n")
        return f"{first} [{' '.join(parts)}]{newline}{rest}"


# --- Requests ----------------------------------------------------------------------------------------------


class RequestContextMiddleware:
    """First in MIDDLEWARE, so its time and query count cover every other middleware too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # META, not request.headers: that would build a dictionary of every header on each request.
        request_id = request_id_from(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _context.set(LogContext(request_id=request_id, request=request))
        counter = QueryCounter()
        start = time.perf_counter()
        try:
            with ExitStack() as stack:
                _count_queries(stack, counter)
                response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            duration_ms = round((time.perf_counter() - start) * 1000, 1)
            request_log(request, response, duration_ms=duration_ms, queries=counter.count)
            return response
        finally:
            _context.reset(token)


def request_log(request: HttpRequest, response: HttpResponse, *, duration_ms: float, queries: int) -> None:
    """One line per request; a WARNING instead when it was slow. The path without its query string: that
    may hold what someone searched for (a student's name)."""
    slow = duration_ms >= settings.STUDENTFLOW_SLOW_REQUEST_MS
    if not slow and not settings.STUDENTFLOW_LOG_REQUESTS:
        return
    level = logging.WARNING if slow else logging.INFO
    if not requests_logger.isEnabledFor(level):
        return
    requests_logger.log(
        level,
        "%s%s %s %s in %.0f ms, %d SQL queries",
        "Slow request: " if slow else "",
        request.method,
        request.path,
        response.status_code,
        duration_ms,
        queries,
        extra={"status": response.status_code, "duration_ms": duration_ms, "queries": queries},
    )


# --- Tasks -------------------------------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class _TaskRun:
    token: Token[LogContext]
    stack: ExitStack
    counter: QueryCounter
    start: float


def task_enqueued(task: Any) -> None:
    """Huey's enqueue signal: put the current request id into the task's message (and the messages of the
    tasks chained after it). A retry keeps it too: `task_finished` puts it back for Huey to requeue."""
    request_id = current_request_id()
    if request_id is None:
        return
    chained = task
    while chained is not None:
        chained.kwargs.setdefault(TASK_REQUEST_ID_KWARG, request_id)
        chained = chained.on_complete


def task_started(task: Any) -> None:
    """Huey's pre-execute hook: take the request id out of the arguments (the task's function never sees
    it), make it the context of the task's log lines, and start counting time and SQL statements."""
    request_id = task.kwargs.pop(TASK_REQUEST_ID_KWARG, None)
    # Run inline (HUEY immediate) inside a request, the task keeps the request's path and user.
    context = dataclasses.replace(
        _context.get(),
        request_id=request_id or current_request_id(),
        task=task.name,
        task_id=task.id,
    )
    stack = ExitStack()
    counter = QueryCounter()
    _count_queries(stack, counter)
    task._studentflow_run = _TaskRun(_context.set(context), stack, counter, time.perf_counter())


def task_finished(task: Any, value: Any, exception: BaseException | None) -> None:
    """Huey's post-execute hook: log a slow task, then give the thread back its earlier context."""
    run: _TaskRun | None = task.__dict__.pop("_studentflow_run", None)
    if run is None:
        return
    duration_ms = round((time.perf_counter() - run.start) * 1000, 1)
    run.stack.close()
    try:
        if duration_ms >= settings.STUDENTFLOW_SLOW_TASK_MS:
            tasks_logger.warning(
                "Slow task: %s took %.0f ms, %d SQL queries",
                task.name,
                duration_ms,
                run.counter.count,
                extra={"duration_ms": duration_ms, "queries": run.counter.count},
            )
    finally:
        # Huey enqueues a retry after this hook, outside the task's context: the message keeps the id.
        request_id = current_request_id()
        if exception is not None and task.retries and request_id:
            task.kwargs.setdefault(TASK_REQUEST_ID_KWARG, request_id)
        _context.reset(run.token)


# --- Sentry ------------------------------------------------------------------------------------------------


def sentry_before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Tag the event with the request id, and drop what may name a person: the query string (searches),
    the body, cookies and the user (Sentry leaves most of these out already without PII; this makes sure)."""
    request_id = current_request_id()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    task = _context.get().task
    if task:
        event.setdefault("tags", {})["task"] = task
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("query_string", "data", "cookies", "env"):
            request.pop(key, None)
        if isinstance(request.get("url"), str):
            request["url"] = request["url"].split("?", 1)[0]
    event.pop("user", None)
    return event


def sentry_init(*, dsn: str, environment: str = "production") -> None:
    """Report errors to Sentry (or a compatible service) without personal data: no PII, no local variables
    of the failing frames (they hold students' names and marks), no request bodies, no log lines as
    breadcrumbs (their text may name someone). Django's and Huey's integrations are on."""
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        integrations=[DjangoIntegration(), LoggingIntegration(level=None, event_level=logging.ERROR)],
        before_send=sentry_before_send,  # type: ignore[arg-type]
    )
