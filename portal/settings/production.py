"""Production: every secret and host from the environment; HTTPS everywhere; staff MFA required."""

from portal.settings.base import *  # noqa: F403
from portal.settings.base import DATABASES, LOGGING, SMTP_BACKEND, mailer
from portal.settings.env import env_bool, env_int, env_list, env_str

DEBUG = False
SECRET_KEY = env_str("SECRET_KEY", required=True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("ALLOWED_HOSTS is required in production (comma-separated host names).")
STUDENTFLOW_REQUIRE_STAFF_MFA = env_bool("STUDENTFLOW_REQUIRE_STAFF_MFA", True)

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
MAILERS = {"default": mailer(env_str("EMAIL_BACKEND", SMTP_BACKEND))}
# A deploy-check warning the school has decided to live with is silenced here (one that sends no SMS:
# SILENCED_SYSTEM_CHECKS=communications.W001).
SILENCED_SYSTEM_CHECKS = env_list("SILENCED_SYSTEM_CHECKS")

# Logs: one JSON object per line (modules/core/observability.py), unless LOG_FORMAT=plain.
LOGGING = {
    **LOGGING,
    "handlers": {"console": {**LOGGING["handlers"]["console"], "formatter": env_str("LOG_FORMAT", "json")}},
}
# Error reporting to Sentry (or a service speaking its protocol), without personal data: on when SENTRY_DSN
# is set, off otherwise.
SENTRY_DSN = env_str("SENTRY_DSN")
if SENTRY_DSN:
    from modules.core.observability import sentry_init

    sentry_init(dsn=SENTRY_DSN)

# Throughput. Each gunicorn thread keeps its database connection between requests (DATABASE_CONN_MAX_AGE
# seconds, checked before reuse), SQLite included: base.py closes a SQLite connection after every request,
# and opening one (the file, the WAL pragma, the schema read on first use) cost the register page about a
# quarter of its server CPU under `make load`. Templates need no setting: with DEBUG off Django's default
# loaders are cached, each template parsed once per process.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
