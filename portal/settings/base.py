"""Settings shared by every configuration. Deploy-time values come from the environment (.env.example)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from portal.settings.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("STUDENTFLOW_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-change-me")
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # Single sign-on (modules/accounts/sso.py): each provider is switched on by the office with the school's
    # domains; no account is ever made by signing in.
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.microsoft",
    "allauth.socialaccount.providers.saml",
    "django_htmx",
    "ninja",  # the API docs page's templates and static files (Swagger UI, served from here: no CDN)
    "crispy_forms",
    "crispy_bootstrap5",
    "django_tables2",
    "django_filters",
    "huey.contrib.djhuey",
    "health_check",
    "modules.core",
    "modules.accounts",
    "modules.people",
    "modules.academics",
    "modules.communications",
    "modules.timetable",
    "modules.attendance",
    "modules.exams",
    "modules.fees",
    "modules.assignments",
    "modules.home",
    "modules.reports",
    "modules.privacy",
    "modules.api",
    "modules.webhooks",
    "modules.demo",
    "tasks",
]

MIDDLEWARE = [
    # First: the request id and the request's time and SQL count cover every other middleware.
    "modules.core.observability.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "modules.core.middleware.NulCharacterMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "modules.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "modules.accounts.middleware.SsoFormActionMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "modules.accounts.middleware.StaffMfaRequiredMiddleware",
    "modules.core.pdf.PdfFailedMiddleware",
    # Last: ETags on the API's reads (answered 304 when unchanged), on the whole answer.
    "modules.api.middleware.ApiConditionalGetMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'studentflow.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the Huey worker use the file at the same time.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
# Sessions are saved per key, so that no request undoes another's write (modules/core/sessions).
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    SESSION_ENGINE = "modules.core.sessions.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Not cached_db: the local-memory cache is private to each gunicorn worker, and a worker serving its
    # cached copy of a session would not see what another worker wrote (a role switched on one worker, the
    # next page on the other: the old role). One read of the session row by its key instead.
    SESSION_ENGINE = "modules.core.sessions.db"

HUEY_IMMEDIATE = env_bool("HUEY_IMMEDIATE", False)
# A worker must pick a job up within 100 ms of it being queued (issue 15), where Huey's defaults let an idle
# consumer poll only every 10 s. Redis: each worker blocks on the queue (BRPOP), so it wakes the moment a
# task arrives; read_timeout only bounds how long it waits before checking for shutdown. SQLite cannot
# block: each worker polls every HUEY_POLL_MS ms without backing off (the poll is one indexed read of the
# small queue file, not a write). Threads, not processes: every WeasyPrint layout already runs in a forked
# child (modules/core/pdf.py run_with_limits), so two thread workers render on two cores.
HUEY_CONSUMER = {
    "workers": env_int("HUEY_WORKERS", 2),
    "worker_type": env_str("HUEY_WORKER_TYPE", "thread"),
    "initial_delay": env_int("HUEY_POLL_MS", 50) / 1000,
    "backoff": 1.0,
    "max_delay": env_int("HUEY_POLL_MS", 50) / 1000,
}
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": env_str("HUEY_NAME", "studentflow"),
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
        "blocking": True,
        "read_timeout": 1,
        "consumer": HUEY_CONSUMER,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "studentflow",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
        "consumer": HUEY_CONSUMER,
    }

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["modules.accounts.backends.PortalBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

# allauth: email login, no public sign-up (the office creates accounts and sends invitations).
ACCOUNT_ADAPTER = "modules.accounts.adapters.AccountAdapter"
MFA_ADAPTER = "modules.accounts.adapters.MFAAdapter"
ACCOUNT_FORMS = {"login": "modules.accounts.forms.PortalLoginForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_PREVENT_ENUMERATION = True
# Single sign-on (modules/accounts/sso.py). The adapter links a sign-in to the login whose address the
# identity provider vouches for (verified, in the school's domains) and refuses anything else; allauth's own
# matching by email is off: it would make a login's password unusable on its first SSO sign-in.
SOCIALACCOUNT_ADAPTER = "modules.accounts.sso.SocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_STORE_TOKENS = False  # who someone is, never access to their mail or files
SOCIALACCOUNT_LOGIN_ON_GET = False  # a sign-in starts from a form (a link could be followed by another site)
SOCIALACCOUNT_REQUESTS_TIMEOUT = 5
SOCIALACCOUNT_PROVIDERS = {"google": {"OAUTH_PKCE_ENABLED": True}, "microsoft": {"OAUTH_PKCE_ENABLED": True}}
# How many reverse proxies (nginx, a load balancer) stand in front of the portal, each appending the address
# it saw to X-Forwarded-For. 0 (direct): the client is REMOTE_ADDR and the header is ignored (anyone can
# write it). Behind nginx, 1: else every visitor's sign-in throttle and rate limits count against nginx's one
# address, and ten mistyped passwords a minute lock the whole school out. Sign-in (allauth) and the portal's
# own rate limits (modules/core/ratelimits.py) read the client the same way.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[StudentFlow] "
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env_str("MFA_TOTP_ISSUER", "StudentFlow")
# Staff positions (teacher, bursar, administrator) must enrol in MFA before any other page.
STUDENTFLOW_REQUIRE_STAFF_MFA = env_bool("STUDENTFLOW_REQUIRE_STAFF_MFA", True)

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish")), ("fr", _("French"))]
LOCALE_PATHS = [Path(env_str("STUDENTFLOW_LOCALE_DIR", str(BASE_DIR / "locale")))]
FORMAT_MODULE_PATH = "portal.formats"  # the house date forms: one long and one short per language
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Uploads are private: served only through views that check access, never from a public URL.
MEDIA_URL = "/private-media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "modules.core.storage.StaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def mailer(backend: str) -> dict:
    """Django 6.1 MAILERS entry; SMTP options come from the environment."""
    if backend != SMTP_BACKEND:
        return {"BACKEND": backend}
    return {
        "BACKEND": backend,
        "OPTIONS": {
            "host": env_str("EMAIL_HOST", "localhost"),
            "port": env_int("EMAIL_PORT", 25),
            "username": env_str("EMAIL_HOST_USER") or None,
            "password": env_str("EMAIL_HOST_PASSWORD") or None,
            "use_tls": env_bool("EMAIL_USE_TLS", False),
            "use_ssl": env_bool("EMAIL_USE_SSL", False),
            "timeout": env_int("EMAIL_TIMEOUT", 20),
        },
    }


MAILERS = {"default": mailer(env_str("EMAIL_BACKEND", SMTP_BACKEND))}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "StudentFlow <no-reply@studentflow.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Django's own CSP: scripts only from our origin or carrying the per-request nonce; no inline handlers.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
DJANGO_TABLES2_TEMPLATE = "components/table.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "table table-hover align-middle"}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Import limits (bulk student import).
STUDENTFLOW_IMPORT_MAX_BYTES = env_int("STUDENTFLOW_IMPORT_MAX_BYTES", 5 * 1024 * 1024)
STUDENTFLOW_IMPORT_MAX_ROWS = env_int("STUDENTFLOW_IMPORT_MAX_ROWS", 10_000)
# Every import runs on the queue; above this many rows its dry run also reports progress as it goes.
STUDENTFLOW_IMPORT_BACKGROUND_ROWS = env_int("STUDENTFLOW_IMPORT_BACKGROUND_ROWS", 200)
# A PDF is laid out in a child process stopped after this many seconds, or when it needs this much more memory
# (modules/core/pdf.py): a document that cannot be produced says so instead of holding a worker.
STUDENTFLOW_PDF_TIMEOUT = env_int("STUDENTFLOW_PDF_TIMEOUT", 20)
# A part of a report-card batch lays out many cards at once: its limit grows by this many seconds per card
# (a part of 20 cards: 20 + 20 × 5 s), so that a busy machine slows a batch down instead of failing it.
STUDENTFLOW_PDF_SECONDS_PER_CARD = env_int("STUDENTFLOW_PDF_SECONDS_PER_CARD", 5)
STUDENTFLOW_PDF_MAX_MEMORY_MB = env_int("STUDENTFLOW_PDF_MAX_MEMORY_MB", 1024)
# A queue worker runs its tasks, and the PDFs they lay out, at this CPU niceness (nice(2); web workers keep
# 0), so that on a machine that also serves pages the pages come first; alone, a task runs as fast.
STUDENTFLOW_QUEUE_NICENESS = env_int("STUDENTFLOW_QUEUE_NICENESS", 10)
STUDENTFLOW_PHOTO_MAX_BYTES = env_int("STUDENTFLOW_PHOTO_MAX_BYTES", 2 * 1024 * 1024)
# Photos are stored re-encoded, at most this many pixels on the longer side (a profile picture, not a print).
STUDENTFLOW_PHOTO_MAX_SIDE = env_int("STUDENTFLOW_PHOTO_MAX_SIDE", 1024)
# An uploaded image (photo or attachment) declaring more pixels than this is refused before it is decoded:
# 40 megapixels is more than a phone camera takes, and a few bytes can declare billions (decompression bomb).
STUDENTFLOW_IMAGE_MAX_PIXELS = env_int("STUDENTFLOW_IMAGE_MAX_PIXELS", 40_000_000)
# Per-user limits on writes that reach other people and on bulk exports (modules.core.ratelimits): "5/m"
# is five a minute, several windows separated by commas. Each can be set from the environment, e.g.
# STUDENTFLOW_RATE_LIMIT_MESSAGE_THREAD=10/m,60/h.
STUDENTFLOW_RATE_LIMITS = {
    action: env_str(f"STUDENTFLOW_RATE_LIMIT_{action.upper()}", default)
    for action, default in {
        "message_thread": "5/m,30/h",  # new conversations (each emails the recipient)
        "message_reply": "10/m,120/h",
        "announcement": "3/m,20/h",  # each one notifies a whole audience
        "absence_note": "3/m,20/h",
        "invitation": "10/m,60/h",
        "export": "5/m,30/h",  # bulk downloads of student data
        "api": "120/m,5000/h",  # calls with one API token
        "api_sign_in": "10/m,100/h",  # calls with a wrong or no API token, per address
    }.items()
}

# Every record is written once, by the root's handler, in one format. Two loggers would otherwise print their
# records a second time: Django's own "django" logger has a console handler while DEBUG is on, and run_huey
# gives the "huey" logger a handler of its own when it has none; both also pass records up to the root.
# So "django" is configured here with no handler (records go up to the root), and "huey" with the root's
# handler and no propagation (having a handler, run_huey leaves it alone). tests/core/test_logging.py.
# The handler's filter adds the request id, the user's id, the path and the task to every record
# (modules/core/observability.py); LOG_FORMAT=json writes one JSON object per line (production's default).
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOG_FORMAT = env_str("LOG_FORMAT", "plain")
if LOG_FORMAT not in {"plain", "json"}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "modules.core.observability.ContextFilter"}},
    "formatters": {
        "plain": {"()": "modules.core.observability.PlainFormatter"},
        "json": {"()": "modules.core.observability.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        "huey": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
    },
}
# One line per request (method, path, status, time, SQL count); a request or a task slower than these many
# milliseconds is logged as a WARNING whatever the setting.
STUDENTFLOW_LOG_REQUESTS = env_bool("STUDENTFLOW_LOG_REQUESTS", True)
STUDENTFLOW_SLOW_REQUEST_MS = env_int("STUDENTFLOW_SLOW_REQUEST_MS", 500)
STUDENTFLOW_SLOW_TASK_MS = env_int("STUDENTFLOW_SLOW_TASK_MS", 5000)

# Absolute links in emails (invitations, password resets sent from the queue).
STUDENTFLOW_BASE_URL = env_str("STUDENTFLOW_BASE_URL", "http://localhost:8000")

# Online payments (Stripe Checkout). Without the secret key the pay button is not shown; the webhook secret
# verifies the signature of each event Stripe posts to /fees/stripe/webhook/.
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET", "")
STUDENTFLOW_ATTACHMENT_MAX_BYTES = env_int("STUDENTFLOW_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
# An external homework similarity service (its address is the office's homework policy): the token sent as
# "Authorization: Bearer ..." with each check, kept out of the database. Empty: no Authorization header.
STUDENTFLOW_SIMILARITY_SERVICE_TOKEN = env_str("STUDENTFLOW_SIMILARITY_SERVICE_TOKEN", "")
STUDENTFLOW_MESSAGE_MAX_CHARS = env_int("STUDENTFLOW_MESSAGE_MAX_CHARS", 10_000)

# SMS: off unless a provider is configured (SMS_BACKEND=modules.communications.sms.TwilioSmsBackend and the
# Twilio credentials). Off, families are not offered text messages and SMS deliveries are recorded as "SMS not
# configured"; `check --deploy` warns. The console backend (logs, development and tests only) fails it.
CONSOLE_SMS_BACKEND = "modules.communications.sms.ConsoleSmsBackend"
STUDENTFLOW_SMS = {
    "BACKEND": env_str("SMS_BACKEND", ""),
    "TWILIO_ACCOUNT_SID": env_str("TWILIO_ACCOUNT_SID"),
    "TWILIO_AUTH_TOKEN": env_str("TWILIO_AUTH_TOKEN"),
    "TWILIO_FROM": env_str("TWILIO_FROM"),
}
# Delivery retries: attempts and the wait before each retry, in seconds.
STUDENTFLOW_DELIVERY_MAX_ATTEMPTS = env_int("STUDENTFLOW_DELIVERY_MAX_ATTEMPTS", 5)
STUDENTFLOW_DELIVERY_BACKOFF = [60, 300, 1800, 7200]
# Outgoing webhooks (modules/webhooks/sending.py): the wait before each retry, in seconds (1, 5 and 30 min,
# 2, 4, 8 and 12 h: eight attempts over about a day, then given up), the connect and whole-exchange timeouts,
# the largest body, and how many days of nothing but failures pause an endpoint. The office page states them.
STUDENTFLOW_WEBHOOKS_BACKOFF = [60, 300, 1800, 7200, 14400, 28800, 43200]
STUDENTFLOW_WEBHOOKS_MAX_ATTEMPTS = len(STUDENTFLOW_WEBHOOKS_BACKOFF) + 1
STUDENTFLOW_WEBHOOKS_TIMEOUT = (5.0, 10.0)
STUDENTFLOW_WEBHOOKS_MAX_PAYLOAD_BYTES = 64 * 1024
STUDENTFLOW_WEBHOOKS_PAUSE_AFTER_DAYS = 3
# Plain http and addresses inside private networks or this machine, for webhooks: tests and development only
# (a webhook must not become a way to reach the school's own network from the server).
STUDENTFLOW_WEBHOOKS_ALLOW_HTTP = env_bool("STUDENTFLOW_WEBHOOKS_ALLOW_HTTP", False)
STUDENTFLOW_WEBHOOKS_ALLOW_PRIVATE = env_bool("STUDENTFLOW_WEBHOOKS_ALLOW_PRIVATE", False)
# Background jobs and deliveries: how long a worker holds one without a sign of life before the sweeper
# restarts it (a killed worker), and how many runs a job gets before it is marked failed.
STUDENTFLOW_JOB_LEASE_SECONDS = env_int("STUDENTFLOW_JOB_LEASE_SECONDS", 120)
STUDENTFLOW_JOB_MAX_ATTEMPTS = env_int("STUDENTFLOW_JOB_MAX_ATTEMPTS", 3)
# A run reporting no progress for this long is taken as hung (alive but stuck) and restarted like a dead one.
STUDENTFLOW_JOB_SILENT_SECONDS = env_int("STUDENTFLOW_JOB_SILENT_SECONDS", 900)
# Notices whose task a killed worker lost are sent by the sweeper, looking back at most this many hours.
STUDENTFLOW_FANOUT_LOOKBACK_HOURS = env_int("STUDENTFLOW_FANOUT_LOOKBACK_HOURS", 48)
# /health/ reports the worker down when none has run its minute heartbeat for this many seconds.
STUDENTFLOW_WORKER_HEARTBEAT_MAX_AGE = env_int("STUDENTFLOW_WORKER_HEARTBEAT_MAX_AGE", 180)
# Report cards rendered per part of a batch: a batch whose worker was killed resumes after its last part.
STUDENTFLOW_REPORT_CARD_PART_SIZE = env_int("STUDENTFLOW_REPORT_CARD_PART_SIZE", 20)
# A laid-out report card (exams.RenderedCard) is kept this many days after a batch last used it.
STUDENTFLOW_REPORT_CARD_CACHE_DAYS = env_int("STUDENTFLOW_REPORT_CARD_CACHE_DAYS", 60)
# A guardian's data request (modules/privacy): its zip may be downloaded once, within this many days.
STUDENTFLOW_DATA_REQUEST_DAYS = env_int("STUDENTFLOW_DATA_REQUEST_DAYS", 7)
# The report builder (modules/reports) refuses a grouping into more groups than this.
STUDENTFLOW_REPORT_MAX_GROUPS = env_int("STUDENTFLOW_REPORT_MAX_GROUPS", 200)
# Backups (`manage.py backup`, modules/core/backup.py): archives go to BACKUP_DIR. BACKUP_SCHEDULE is when
# the worker makes one, in the school's time zone: "daily 02:30" or a weekday ("sunday 02:30"); empty turns
# it off.
# After each successful backup only the newest BACKUP_KEEP archives in BACKUP_DIR are kept (0 keeps them all).
BACKUP_DIR = Path(env_str("BACKUP_DIR", str(VAR_DIR / "backups")))
BACKUP_SCHEDULE = env_str("BACKUP_SCHEDULE", "daily 02:30")
BACKUP_KEEP = env_int("BACKUP_KEEP", 14)
# How often an open page asks whether there are new notifications (the answer is 204 when there are none).
STUDENTFLOW_BELL_POLL_SECONDS = env_int("STUDENTFLOW_BELL_POLL_SECONDS", 15)
