"""`manage.py check --deploy` refuses a deployment that would report messages as sent that went nowhere:
a console, local-memory, dummy or file mailer (Django's mail.E001), the console SMS backend, an SMS
provider without its credentials; with no SMS provider at all it warns (SMS is then off, and says so)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]
SMTP = "django.core.mail.backends.smtp.EmailBackend"
TWILIO = "modules.communications.sms.TwilioSmsBackend"
CONSOLE_SMS = "modules.communications.sms.ConsoleSmsBackend"
CREDENTIALS = {
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "f" * 32,
    "TWILIO_FROM": "+15550100000",
}
PRODUCTION_MAILER = {"default": {"BACKEND": SMTP, "OPTIONS": {"host": "smtp.school.example", "port": 587}}}


def deploy_issues(*, sms: dict, mailers: dict = PRODUCTION_MAILER) -> dict[str, str]:
    """The deploy checks' findings about channels, by id, under the given production values."""
    with override_settings(STUDENTFLOW_SMS=sms, MAILERS=mailers):
        found = run_checks(include_deployment_checks=True, tags=["communications", "mail"])
    return {
        issue.id: type(issue).__name__ for issue in found if issue.id.startswith(("communications.", "mail."))
    }


def test_it_passes_with_an_smtp_server_and_twilio():
    assert deploy_issues(sms={"BACKEND": TWILIO, **CREDENTIALS}) == {}


def test_it_fails_with_the_console_sms_backend():
    assert deploy_issues(sms={"BACKEND": CONSOLE_SMS}) == {"communications.E001": "Error"}


def test_it_fails_with_twilio_but_no_credentials():
    assert deploy_issues(sms={"BACKEND": TWILIO, **CREDENTIALS, "TWILIO_AUTH_TOKEN": ""}) == {
        "communications.E003": "Error"
    }


def test_it_fails_with_an_sms_backend_that_cannot_be_loaded():
    assert deploy_issues(sms={"BACKEND": "modules.communications.sms.Nope"}) == {
        "communications.E002": "Error"
    }


def test_it_warns_that_sms_is_off_without_a_provider():
    assert deploy_issues(sms={"BACKEND": ""}) == {"communications.W001": "Warning"}


@pytest.mark.parametrize("kind", ["console", "locmem", "dummy", "filebased"])
def test_it_fails_with_a_mailer_that_delivers_nothing(kind):
    mailers = {"default": {"BACKEND": f"django.core.mail.backends.{kind}.EmailBackend"}}
    assert deploy_issues(sms={"BACKEND": TWILIO, **CREDENTIALS}, mailers=mailers) == {"mail.E001": "Error"}


# --------------------------------------------------------------------- as a deployment (and CI) runs it


def check_deploy(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EMAIL_", "SMS_", "TWILIO_", "SILENCED_"))
        # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE (tests/browser/conftest.py) is no deployment's.
        and k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    clean.update(
        DJANGO_SETTINGS_MODULE="portal.settings.production",
        SECRET_KEY="deploy-check-" + "k" * 60,
        ALLOWED_HOSTS="portal.school.example",
        EMAIL_HOST="smtp.school.example",
        **env,
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
    )


def test_production_settings_pass_with_real_channels():
    result = check_deploy("--fail-level", "WARNING", SMS_BACKEND=TWILIO, **CREDENTIALS)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_settings_say_sms_is_off_until_a_provider_is_configured():
    result = check_deploy("--fail-level", "WARNING")
    assert result.returncode != 0
    assert "(communications.W001) SMS is off" in result.stderr
    # A warning: a deployment checking at the default level (errors) still starts.
    assert check_deploy().returncode == 0
    # A school that sends no text messages says so once.
    assert (
        check_deploy("--fail-level", "WARNING", SILENCED_SYSTEM_CHECKS="communications.W001").returncode == 0
    )


def test_production_settings_fail_with_the_console_sms_backend_or_mailer():
    sms = check_deploy(SMS_BACKEND=CONSOLE_SMS)
    assert sms.returncode != 0
    assert "(communications.E001)" in sms.stderr
    mail = check_deploy(
        SMS_BACKEND=TWILIO, EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend", **CREDENTIALS
    )
    assert mail.returncode != 0
    assert "(mail.E001)" in mail.stderr
