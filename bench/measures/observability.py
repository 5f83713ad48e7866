"""What the request id, the SQL count and the JSON log line (modules/core/observability.py) cost each request.

One run sends 100 requests to a view that does nothing, bare and then through RequestContextMiddleware
with the production log line (the context filter and the JSON formatter, written to memory), interleaved
in the same run so that the machine's load falls on both alike. The time is both halves together; the
note gives the middleware's own cost per request, the median over the runs of (observed − bare) / 100.
"""

from __future__ import annotations

import io
import logging
import statistics
import time

from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from bench.registry import measure
from modules.core.observability import ContextFilter, JsonFormatter, RequestContextMiddleware

REQUESTS = 100
# Per request, the middleware and its line should stay far below a page's own time (tens of milliseconds).
OVERHEAD_BUDGET_US = 200


def _nothing(request):
    return HttpResponse("ok")


@measure(
    "observability: 100 requests bare + 100 with request id, SQL count and JSON line",
    budget_ms=REQUESTS * OVERHEAD_BUDGET_US / 1000,  # replaced while it runs (below)
    budget_queries=0,
)
def request_context(bench):
    observed = RequestContextMiddleware(_nothing)
    requests = [
        RequestFactory().get("/attendance/", HTTP_X_REQUEST_ID=f"bench-{n:08d}") for n in range(REQUESTS)
    ]
    handler = logging.StreamHandler(io.StringIO())
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("modules.core.observability.requests")
    overheads_us: list[float] = []
    bares_ms: list[float] = []

    def timed():
        stream = io.StringIO()
        handler.setStream(stream)
        logger.addHandler(handler)
        level, propagate = logger.level, logger.propagate
        logger.setLevel(logging.INFO)
        logger.propagate = False
        try:
            with override_settings(STUDENTFLOW_LOG_REQUESTS=True, STUDENTFLOW_SLOW_REQUEST_MS=60_000):
                started = time.perf_counter()
                for request in requests:
                    _nothing(request)
                bare = time.perf_counter() - started
                started = time.perf_counter()
                for request in requests:
                    observed(request)
                with_context = time.perf_counter() - started
        finally:
            logger.removeHandler(handler)
            logger.setLevel(level)
            logger.propagate = propagate
        if stream.getvalue().count("\n") != REQUESTS:
            raise AssertionError("the middleware did not write one line per request")
        overheads_us.append((with_context - bare) / REQUESTS * 1e6)
        bares_ms.append(bare * 1000)
        # The budget is relative: this run's bare half, plus the overhead allowed for each request.
        timed.budget_ms = statistics.median(bares_ms) + REQUESTS * OVERHEAD_BUDGET_US / 1000
        timed.note = (
            f"middleware + JSON line: {statistics.median(overheads_us):.0f} µs per request over bare "
            f"(budget {OVERHEAD_BUDGET_US} µs)"
        )

    timed.note = ""
    return timed
