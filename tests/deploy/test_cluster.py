"""`make cluster`, short: two web nodes and two workers, each in its own network namespace, behind nginx,
on one PostgreSQL and one Redis; 20 s of a school morning through locust with a report-card batch, whose
worker is SIGKILLed mid-way; then everything is gone again (docs/cluster.md).

It needs root (network namespaces), nginx, and the PostgreSQL and Redis of CI's second pass: it runs there,
once, on a database and a Redis database of its own (the cluster empties its Redis database). Speed is not
asserted here (`make cluster` reports it, against its budget): failed requests, lost cards and left-overs are.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest

from cluster.run import netns_refusal, our_namespaces

ROOT = Path(__file__).resolve().parent.parent.parent
PREFIX = "sft"
SUBNET = "10.232.0"


def _urls() -> tuple[str, str]:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")) or not os.environ.get("REDIS_URL"):
        pytest.skip(
            "the cluster runs on PostgreSQL and Redis (one of each for every node): CI's PostgreSQL pass "
            "runs this test, with DATABASE_URL and REDIS_URL set"
        )
    if refusal := netns_refusal():
        pytest.skip(f"the cluster cannot start here: {refusal}")
    parsed = urlparse(database_url)
    cluster_database = urlunparse(parsed._replace(path=f"{parsed.path}_cluster"))
    redis = urlparse(os.environ["REDIS_URL"])
    # Its own Redis database: the run empties it first. CLUSTER_REDIS_URL chooses another one.
    cluster_redis = os.environ.get("CLUSTER_REDIS_URL") or urlunparse(redis._replace(path="/13"))
    return cluster_database, cluster_redis


def _command(database_url: str, redis_url: str, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "cluster.run", "--prefix", PREFIX, "--subnet", SUBNET,
        "--database-url", database_url, "--redis-url", redis_url, "--school", "small",
        "--phases", "two", "--users", "6", "--seconds", "20", "--batch-sections", "2",
        "--lease-seconds", "5", "--batch-timeout", "150", "--no-latency-budget", "--out", str(out), *extra,
    ]  # fmt: skip


def _env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}


def _nothing_left() -> None:
    assert our_namespaces(PREFIX) == []
    bridge = subprocess.run(["ip", "link", "show", f"{PREFIX}br0"], capture_output=True)
    assert bridge.returncode != 0, "the bridge is still there"
    assert not (ROOT / "var" / "cluster" / PREFIX / "pids").exists()


def test_it_serves_a_morning_on_two_nodes_and_a_killed_worker_loses_no_card(tmp_path):
    database_url, redis_url = _urls()
    done = subprocess.run(
        _command(database_url, redis_url, tmp_path), cwd=ROOT, env=_env(), capture_output=True, text=True,
        timeout=420,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text())
    [phase] = results["phases"]
    pages = phase["stats"]["pages"]
    for page in ("register page", "register save", "register live mark", "guardian fees", "bell poll"):
        assert pages[page]["requests"] > 0, page
    assert pages["all"]["errors"] == 0, phase["stats"]["failures"]
    kill = phase["kill"]
    assert kill["killed"] in (f"{PREFIX}-work1", f"{PREFIX}-work2")
    assert 0 < kill["cards_done_then"] < kill["cards"], "the worker was not killed mid-batch"
    batch = phase["batch"]
    assert batch["status"] == "succeeded", batch["message"]
    assert batch["cards"] == batch["expected_cards"] > 0
    assert batch["missing"] == []
    assert batch["pages"] >= batch["cards"]
    _nothing_left()


def test_it_removes_the_namespaces_and_processes_when_stopped_midway(tmp_path):
    database_url, redis_url = _urls()
    run = subprocess.Popen(
        _command(database_url, redis_url, tmp_path), cwd=ROOT, env=_env(), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        pid_file = ROOT / "var" / "cluster" / PREFIX / "pids"
        deadline = time.monotonic() + 240
        # Stopped once the forwarder, the SMTP sink, both web nodes and both workers have started.
        while time.monotonic() < deadline and run.poll() is None:
            if pid_file.exists() and len(pid_file.read_text().split("\n")) > 6:
                break
            time.sleep(0.2)
        assert len(our_namespaces(PREFIX)) == 4, "the cluster's namespaces never appeared"
        started = pid_file.read_text().split("\n")
        run.send_signal(signal.SIGTERM)
        output, _ = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 128 + signal.SIGTERM, output[-3000:]
    _nothing_left()
    for line in filter(None, started):
        pid = int(line.split()[0])
        assert not Path(f"/proc/{pid}").exists() or Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
