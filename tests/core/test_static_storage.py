"""Production's static files: a JavaScript module imports its neighbour by the name collectstatic gave it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_collectstatic_rewrites_module_imports_to_hashed_names(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.production",
        SECRET_KEY="static-check-" + "k" * 60,
        ALLOWED_HOSTS="portal.school.example",
        STATIC_ROOT=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    registers = list((tmp_path / "js").glob("register.*.js"))
    assert registers, sorted(p.name for p in (tmp_path / "js").iterdir())
    imported = re.findall(r'from\s+"\./(live_grid[^"]*)"', registers[0].read_text())
    assert imported, imported
    assert re.fullmatch(r"live_grid\.[0-9a-f]{12}\.js", imported[0]), imported
    assert (tmp_path / "js" / imported[0]).exists()
