"""What production does for throughput, read from the production settings themselves (in a child process:
this test run has the testing settings), and the verdict `make load` gives against issue 15's budget."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.load import BUDGET_REQ_PER_S, REGISTER_PAGE, procfile_command, server_cpu_seconds, verdict

ROOT = Path(__file__).resolve().parents[2]


# Each variant imports the settings module afresh (its values come from the environment at import); the
# template engine is built once, with django.setup(), for the loaders Django chooses by default.
SCRIPT = """
import importlib, json, os, sys
variants = json.loads(sys.argv[1])
found = []
for variant in variants:
    os.environ.update(variant)
    for name in [m for m in sys.modules if m.startswith("portal.settings")]:
        del sys.modules[name]
    db = importlib.import_module("portal.settings.production").DATABASES["default"]
    found.append({"conn_max_age": db["CONN_MAX_AGE"], "health_checks": db["CONN_HEALTH_CHECKS"]})
    for name in variant:
        del os.environ[name]
import django
django.setup()
from django.conf import settings
from django.template import engines
loaders = [l[0] if isinstance(l, tuple) else l for l in engines["django"].engine.loaders]
print(json.dumps({"variants": found, "loaders": loaders, "debug": settings.DEBUG}))
"""


def production_settings(*variants: dict[str, str]) -> dict:
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "REDIS_URL", "DATABASE_CONN_MAX_AGE"}
        },
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "SECRET_KEY": "s" * 50,
        "ALLOWED_HOSTS": "school.example",
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(variants)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_it_keeps_database_connections_and_parses_templates_once_in_production():
    sqlite, postgres = "sqlite:////tmp/studentflow-settings-check.sqlite3", "postgres://u:p@db:5432/sf"
    settings = production_settings(
        {"DATABASE_URL": sqlite},
        {"DATABASE_URL": postgres},
        {"DATABASE_URL": sqlite, "DATABASE_CONN_MAX_AGE": "0"},
    )
    # SQLite as well as PostgreSQL: base.py alone closes a SQLite connection after every request.
    assert settings["variants"] == [
        {"conn_max_age": 60, "health_checks": True},
        {"conn_max_age": 60, "health_checks": True},
        {"conn_max_age": 0, "health_checks": True},
    ]
    assert settings["debug"] is False
    assert settings["loaders"] == ["django.template.loaders.cached.Loader"]


def test_it_loads_with_the_procfile_web_command():
    assert procfile_command("web").startswith("gunicorn portal.wsgi ")
    with pytest.raises(SystemExit):
        procfile_command("scheduler")


def _rows(req_per_s: float, errors: int) -> list[dict]:
    row = {"page": REGISTER_PAGE, "req_per_s": req_per_s, "errors": errors, "p95_ms": 90.0}
    return [row, {**row, "page": "all"}]


def test_it_passes_the_register_page_at_the_budget_with_no_error():
    passed, line = verdict(_rows(BUDGET_REQ_PER_S, 0), 8, ["register"])
    assert passed is True
    assert line.startswith("PASS: 75.0 req/s")


def test_it_fails_below_the_budget_or_with_one_error():
    assert verdict(_rows(BUDGET_REQ_PER_S - 0.1, 0), 8, ["register"])[0] is False
    passed, line = verdict(_rows(200, 1), 8, ["register"])
    assert passed is False
    assert "1 errors" in line


def test_it_gives_no_verdict_for_another_load():
    assert verdict(_rows(200, 0), 32, ["register"])[0] is None
    assert verdict(_rows(200, 0), 8, ["register", "home"])[0] is None


def test_it_counts_the_cpu_a_process_uses():
    before = server_cpu_seconds(os.getpid())
    end = time.process_time() + 0.1
    while time.process_time() < end:
        pass
    after = server_cpu_seconds(os.getpid())
    assert before is not None
    assert after is not None
    assert after - before >= 0.05
