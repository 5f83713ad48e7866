"""The bench runner's timing: a run's own time (`Elapsed`) instead of the wall time around the call."""

from __future__ import annotations

import time

import pytest

from bench.registry import Elapsed, Measure
from bench.runner import Bench, run_measure


def _measure(timed) -> Measure:
    return Measure(
        "sleeps", lambda _bench: timed, budget_ms=10, budget_queries=None, runs=3, warmup=0, note=""
    )


@pytest.mark.django_db
def test_a_run_that_times_its_own_part_is_measured_by_that_part():
    def flow():
        time.sleep(0.03)  # a tab opened and a page read: outside what the user waits for
        return Elapsed(4.0)

    result = run_measure(Bench(), _measure(flow))

    assert (result.median_ms, result.p95_ms) == (4.0, 4.0)
    assert result.passed


@pytest.mark.django_db
def test_any_other_run_is_measured_by_its_wall_time():
    result = run_measure(Bench(), _measure(lambda: time.sleep(0.03) or 4.0))

    assert result.median_ms >= 30
    assert not result.passed
