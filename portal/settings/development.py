"""Development: `make demo`. MFA for staff is off so the demo is quick to try."""

from portal.settings.base import *  # noqa: F403
from portal.settings.base import CONSOLE_SMS_BACKEND, STUDENTFLOW_SMS, mailer
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
