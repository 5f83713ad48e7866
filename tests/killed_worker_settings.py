"""Settings of a real Huey consumer started by tests/core/test_killed_worker.py, in a subprocess.

It works on the test database of the pytest run that started it (named in STUDENTFLOW_TEST_DB_NAME, on
SQLite or on PostgreSQL alike) and takes tasks from a SQLite queue file shared with that run, whatever
queue the run itself uses (Redis in CI's second pass): the test enqueues into the same file.
"""

import os
import time
from pathlib import Path

from django.db.backends.signals import connection_created

from portal.settings.testing import *  # noqa: F403
from portal.settings.testing import DATABASES

DATABASES = {
    "default": {
        **DATABASES["default"],
        "NAME": os.environ["STUDENTFLOW_TEST_DB_NAME"],
        "TEST": {},
        "CONN_MAX_AGE": 0,
    }
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # As in production (portal/settings/base.py): a transaction takes the write lock when it begins, and
    # waits for it, rather than failing when it upgrades a read while the job's heartbeat writes.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
HUEY = {
    "huey_class": "huey.SqliteHuey",
    "name": "studentflow-killed-worker-test",
    "filename": os.environ["STUDENTFLOW_TEST_HUEY_FILE"],
    "immediate": False,
    "consumer": {"workers": 1, "worker_type": "thread"},
}
if os.environ.get("STUDENTFLOW_TEST_SMTP"):
    host, port = os.environ["STUDENTFLOW_TEST_SMTP"].rsplit(":", 1)
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": host, "port": int(port), "timeout": 30},
        }
    }


def _pause_after(prefix: str, marker: Path):
    """An execute wrapper that, once a statement starting with `prefix` has run, writes `marker` and waits
    there, inside whatever transaction the statement is part of, until the test kills the process."""

    def wrapper(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith(prefix):
            marker.write_text(sql[:200])
            while True:
                time.sleep(1)
        return result

    return wrapper


if os.environ.get("STUDENTFLOW_TEST_PAUSE_AFTER_SQL"):
    # The test kills this consumer at a known point of a job (the middle of an import's write) instead of
    # racing it: the statement runs, then the worker stops where it is, its transaction still open.
    _wrapper = _pause_after(
        os.environ["STUDENTFLOW_TEST_PAUSE_AFTER_SQL"], Path(os.environ["STUDENTFLOW_TEST_PAUSE_MARKER"])
    )

    def _install_pause(sender, connection, **kwargs):
        connection.execute_wrappers.append(_wrapper)

    connection_created.connect(_install_pause, weak=False)
