"""Development: `make demo`. MFA for staff is off so the demo is quick to try."""

from portal.settings.base import *  # noqa: F403
from portal.settings.base import CONSOLE_SMS_BACKEND, INSTALLED_APPS, MIDDLEWARE, STUDENTFLOW_SMS, mailer
from portal.settings.env import env_bool, env_str

DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = ["*"]
MAILERS = {"default": mailer(env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"))}
STUDENTFLOW_REQUIRE_STAFF_MFA = env_bool("STUDENTFLOW_REQUIRE_STAFF_MFA", False)
# Texts go to the log (ConsoleSmsBackend), where a developer reads them.
STUDENTFLOW_SMS = {**STUDENTFLOW_SMS, "BACKEND": env_str("SMS_BACKEND", CONSOLE_SMS_BACKEND)}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# runserver prints a line per request already.
STUDENTFLOW_LOG_REQUESTS = env_bool("STUDENTFLOW_LOG_REQUESTS", False)

# The debug toolbar (SQL, templates, cache, signals per page), for the browsers of this machine, here only:
# never in production or the tests (tests/core/test_observability.py). It sits inside Django's CSP
# middleware, so the nonce its <script> tags carry is the one the page's Content-Security-Policy names.
if DEBUG:
    INSTALLED_APPS = [*INSTALLED_APPS, "debug_toolbar"]
    _csp = MIDDLEWARE.index("django.middleware.csp.ContentSecurityPolicyMiddleware")
    MIDDLEWARE = [
        *MIDDLEWARE[: _csp + 1],
        "debug_toolbar.middleware.DebugToolbarMiddleware",
        *MIDDLEWARE[_csp + 1 :],
    ]
    ROOT_URLCONF = "portal.urls_development"
    INTERNAL_IPS = ["127.0.0.1", "::1"]
    # htmx swaps parts of the page; the toolbar stays as it is across them.
    DEBUG_TOOLBAR_CONFIG = {"ROOT_TAG_EXTRA_ATTRS": "hx-preserve"}
