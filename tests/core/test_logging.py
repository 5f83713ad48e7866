"""`make demo` prints each log line once. The worker (`manage.py run_huey`, as the Procfile starts it) runs
in a fresh interpreter under the development settings; only the consumer's loop is replaced, by one that
logs as the real one and the portal's code do, so what is counted is what the logging configuration and
run_huey's own set-up write to the terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

WORKER = """
import logging
from django.core.management import call_command
from huey.contrib.djhuey import HUEY

class Consumer:
    def run(self):
        logging.getLogger("huey.consumer").info("huey consumer line")
        logging.getLogger("django.request").warning("django request line")
        logging.getLogger("modules.core.events").error("portal line")

HUEY.create_consumer = lambda **options: Consumer()
call_command("run_huey")
"""


def test_the_demo_worker_prints_each_log_line_once():
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "LOG_LEVEL"}}
    # An in-memory queue: the test touches no queue file of a running demo.
    env.update(DJANGO_SETTINGS_MODULE="portal.settings.development", HUEY_IMMEDIATE="true")
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", WORKER],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    for message, prefix in [
        ("huey consumer line", "INFO huey.consumer"),
        ("django request line", "WARNING django.request"),
        ("portal line", "ERROR modules.core.events"),
    ]:
        printed = [line for line in lines if message in line]
        assert len(printed) == 1, result.stderr
        assert f"{prefix} {message}" in printed[0]  # in the portal's one format
