"""The settings modules as a deploy would load them, each in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRINT = "from django.conf import settings; print(settings.STUDENTFLOW_REQUIRE_STAFF_MFA, settings.DEBUG)"


def run(module: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"}}
    clean.update(DJANGO_SETTINGS_MODULE=module, **env)
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", PRINT],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
    )


def test_it_requires_staff_mfa_in_production_by_default():
    result = run("portal.settings.production", SECRET_KEY="x" * 60, ALLOWED_HOSTS="portal.school.example")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False"]


def test_it_leaves_mfa_off_in_development_so_the_demo_is_quick():
    result = run("portal.settings.development")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]


def test_it_fails_at_start_with_a_clear_message_without_a_secret_key():
    result = run("portal.settings.production", ALLOWED_HOSTS="portal.school.example")
    assert result.returncode != 0
    assert "The environment variable SECRET_KEY is required" in result.stderr


def test_it_fails_at_start_without_allowed_hosts():
    result = run("portal.settings.production", SECRET_KEY="x" * 60)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS is required in production" in result.stderr


def test_it_switches_to_postgresql_and_redis_from_the_environment():
    code = (
        "from django.conf import settings; print(settings.DATABASES['default']['ENGINE']);"
        "print(settings.CACHES['default']['BACKEND']); print(settings.HUEY['huey_class'])"
    )
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.development",
        DATABASE_URL="postgres://u@db.internal:5432/sf",
        REDIS_URL="redis://cache.internal:6379/0",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "django.core.cache.backends.redis.RedisCache",
        "huey.RedisHuey",
    ]
