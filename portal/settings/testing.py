"""Tests: SQLite in memory unless DATABASE_URL is set (CI runs the suite again on PostgreSQL and Redis)."""

import os

from portal.settings.base import *  # noqa: F403
from portal.settings.base import CONSOLE_SMS_BACKEND, HUEY, REDIS_URL, STUDENTFLOW_SMS, VAR_DIR

# Tests run side by side (pytest -n, as CI does on PostgreSQL) each get their own Redis database: every test
# clears the cache, and one worker must not clear another's sessions and throttles mid-test.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if REDIS_URL and _WORKER.startswith("gw"):
    _base, _, _db = REDIS_URL.rpartition("/")
    REDIS_URL = f"{_base}/{int(_db or 0) + 1 + int(_WORKER[2:])}"
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    HUEY = {**HUEY, "url": REDIS_URL}

SECRET_KEY = "testing-only-secret-key-not-for-production-use-0123456789"
DEBUG = False
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
# Texts go to the log; tests of the Twilio backend give it a fake HTTP client (tests/fakes.py).
STUDENTFLOW_SMS = {**STUDENTFLOW_SMS, "BACKEND": CONSOLE_SMS_BACKEND}
HUEY = {**HUEY, "immediate": True}
if not os.environ.get("DATABASE_URL"):
    # A file, not memory: the browser tests' live server answers from its own threads, and an in-memory
    # database would have to share one connection between them.
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "test.sqlite3"),
            # One file per test run, so that runs side by side never share it.
            "TEST": {"NAME": str(VAR_DIR / f"test-run-{os.getpid()}.sqlite3")},
        }
    }
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "test-media"
if not REDIS_URL:
    # One process serves the tests (the browser tests' live server runs in threads of it), so the
    # local-memory copy of a session is coherent here; deployments without Redis read the row
    # (portal/settings/base.py). The query counts pinned by the tests are then the pages' own.
    SESSION_ENGINE = "modules.core.sessions.cached_db"
STUDENTFLOW_REQUIRE_STAFF_MFA = False
# Tests that exercise the limits set their own; the defaults here keep failed logins from blocking fixtures.
ACCOUNT_RATE_LIMITS = {"login_failed": "1000/m/ip"}
STUDENTFLOW_IMPORT_BACKGROUND_ROWS = 50
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STUDENTFLOW_BELL_POLL_SECONDS = 1
