"""Deploy checks (`manage.py check --deploy`): the portal never reports a message as sent that went nowhere.

- communications.W001: SMS is off (no provider configured). Honest, since nothing is offered or reported
  sent, but a school that meant to send texts should know. A school that sends none silences it
  (SILENCED_SYSTEM_CHECKS=communications.W001 under production settings).
- communications.E001: the SMS backend reaches no phone (the console one logs texts and records them sent).
- communications.E002: the SMS backend cannot be loaded.
- communications.E003: the SMS provider lacks settings (Twilio credentials or sender number).

Email needs no check of its own: Django's mail.E001 (also `--deploy`) is an error when the default mailer
is the console, local-memory, dummy or file one (tests/core/test_deploy_checks.py holds it).
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks

from modules.communications.sms import SmsError, sms_backend_class, sms_enabled

TWILIO_HINT = (
    "Set SMS_BACKEND=modules.communications.sms.TwilioSmsBackend with TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN "
    "and TWILIO_FROM."
)


@checks.register("communications", deploy=True)
def sms_provider_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if not sms_enabled():
        return [
            checks.Warning(
                "SMS is off: no SMS provider is configured. Families are not offered text messages, and "
                "notices that would go by SMS are recorded as not sent (SMS not configured).",
                hint=f"{TWILIO_HINT} A school that sends no text messages can silence this warning "
                "(SILENCED_SYSTEM_CHECKS=communications.W001).",
                id="communications.W001",
            )
        ]
    try:
        backend = sms_backend_class()
    except SmsError as error:
        return [checks.Error(error.message, hint=TWILIO_HINT, id="communications.E002")]
    if not getattr(backend, "reaches_phones", True):
        return [
            checks.Error(
                f"The SMS backend {settings.STUDENTFLOW_SMS['BACKEND']} sends no text message: it would "
                "record every SMS as sent while no phone receives it.",
                hint=f"{TWILIO_HINT} Or leave SMS_BACKEND empty: SMS is then off, and said to be.",
                id="communications.E001",
            )
        ]
    missing = backend.missing_settings()
    if missing:
        return [
            checks.Error(
                f"The SMS backend {settings.STUDENTFLOW_SMS['BACKEND']} is missing "
                f"{', '.join(missing)}: every text message would fail.",
                hint=TWILIO_HINT,
                id="communications.E003",
            )
        ]
    return []
