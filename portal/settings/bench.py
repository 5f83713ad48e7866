"""Benchmarks (`make bench`, `python -m bench`): production-like settings on a database of their own.

SQLite at var/bench.sqlite3 unless DATABASE_URL is set. DEBUG is off and templates are cached, as in
production. Staff MFA is off: the benchmark signs the demo users in with force_login and times the pages
themselves, not the enrolment redirect.
"""

import os

from portal.settings.base import *  # noqa: F403
from portal.settings.base import DATABASES, HUEY, REDIS_URL, STUDENTFLOW_RATE_LIMITS, VAR_DIR

SECRET_KEY = os.environ.get("SECRET_KEY") or "bench-only-secret-key-not-for-production-use-0123456789"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
if not os.environ.get("DATABASE_URL"):
    DATABASES = {"default": {**DATABASES["default"], "NAME": str(VAR_DIR / "bench.sqlite3")}}
# A server a measure starts on these settings may keep its connections as production does (production.py:
# DATABASE_CONN_MAX_AGE, 60 s by default); unset, each request opens its own, as base.py has it for SQLite.
if os.environ.get("DATABASE_CONN_MAX_AGE"):
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ["DATABASE_CONN_MAX_AGE"])
# Its own queue file, run inline: nothing the benchmark does may land on the development worker's queue.
HUEY = {**HUEY, "immediate": True}
if "filename" in HUEY:
    HUEY["filename"] = str(VAR_DIR / "bench-huey.sqlite3")
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
MEDIA_ROOT = VAR_DIR / "bench-media"
if not REDIS_URL:
    # The benchmark runs in one process, where the local-memory copy of a session is coherent. A deployment
    # without Redis reads the session row instead (one query by primary key per signed-in request, not
    # counted in the budgets below; portal/settings/base.py says why).
    SESSION_ENGINE = "modules.core.sessions.cached_db"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # No collectstatic needed to render pages; the manifest lookup it skips is a dictionary read.
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if os.environ.get("STUDENTFLOW_BENCH_PRODUCTION_STATIC"):
    # A server a browser measure starts serves static files as production does (collectstatic first): hashed
    # names cached for a year as immutable, gzip and Brotli copies. Unhashed names would be revalidated
    # after WhiteNoise's 60 s, and sent uncompressed.
    STORAGES["staticfiles"] = {"BACKEND": "modules.core.storage.StaticFilesStorage"}
STUDENTFLOW_REQUIRE_STAFF_MFA = False
# The benchmark times exports, not the export limit per person (5 a minute) its repeated runs would hit.
STUDENTFLOW_RATE_LIMITS = {**STUDENTFLOW_RATE_LIMITS, "export": "10000/m"}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
