"""SMS backends: `send(to, body) -> provider_id`, raising SmsError with a message the office can read.

settings.STUDENTFLOW_SMS["BACKEND"] names the class: TwilioSmsBackend (the twilio package; credentials from
the environment) sends; ConsoleSmsBackend only logs (development and tests). Empty, as production has it
until a provider is configured, means SMS is off: families are not offered text messages, a delivery that
would go by SMS is recorded as not sent ("SMS not configured"), and `check --deploy` warns
(modules/communications/checks.py). Tests give the Twilio backend a fake `twilio.http.HttpClient`
(tests/fakes.py), so nothing reaches the network.
"""

from __future__ import annotations

import logging
import re
import uuid

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_noop

logger = logging.getLogger(__name__)

# Twilio error codes that mean "this number cannot receive a text": retrying will not help.
# https://www.twilio.com/docs/api/errors
BAD_NUMBER_CODES = {21211, 21212, 21214, 21217, 21219, 21401, 21408, 21421, 21610, 21612, 21614}
BAD_CREDENTIAL_CODES = {20003, 20404}
TWILIO_TIMEOUT = 20  # seconds
# Stored in the delivery log in English and translated where the log is shown.
NOT_CONFIGURED = gettext_noop("SMS not configured")


class SmsError(Exception):
    """Sending failed: `message` in plain words for the delivery log; `permanent`: a retry cannot help."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class SmsBackend:
    # False for a backend that reaches no phone: the deploy check refuses it (it would report texts as sent).
    reaches_phones = True

    @classmethod
    def missing_settings(cls) -> list[str]:
        """The settings this backend needs that are not set (the deploy check lists them)."""
        return []

    def send(self, to: str, body: str) -> str:
        raise NotImplementedError


class ConsoleSmsBackend(SmsBackend):
    """Development and tests only: the text goes to the log instead of a phone, and the delivery is recorded
    as sent with a `console-` reference. Honest there, where the log is what the developer reads; under
    production settings `check --deploy` fails with it (communications.E001)."""

    reaches_phones = False

    def __init__(self, **options):
        pass

    def send(self, to: str, body: str) -> str:
        provider_id = f"console-{uuid.uuid4().hex[:12]}"
        logger.info("SMS to %s (%s): %s", to, provider_id, body)
        return provider_id


def e164(phone: str) -> str:
    """'+1 (555) 010-0100' → '+15550100100': Twilio wants the number without spacing."""
    return re.sub(r"[\s\-().]", "", phone)


class TwilioSmsBackend(SmsBackend):
    def __init__(
        self,
        *,
        account_sid: str | None = None,
        auth_token: str | None = None,
        from_number: str | None = None,
        http_client=None,
        timeout: float = TWILIO_TIMEOUT,
        **options,
    ):
        config = settings.STUDENTFLOW_SMS
        self.account_sid = account_sid if account_sid is not None else config.get("TWILIO_ACCOUNT_SID", "")
        self.auth_token = auth_token if auth_token is not None else config.get("TWILIO_AUTH_TOKEN", "")
        self.from_number = from_number if from_number is not None else config.get("TWILIO_FROM", "")
        self.http_client = http_client
        self.timeout = timeout

    @classmethod
    def missing_settings(cls) -> list[str]:
        config = settings.STUDENTFLOW_SMS
        return [
            name
            for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM")
            if not config.get(name)
        ]

    def _client(self):
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        missing = [
            name
            for name, value in (
                ("TWILIO_ACCOUNT_SID", self.account_sid),
                ("TWILIO_AUTH_TOKEN", self.auth_token),
                ("TWILIO_FROM", self.from_number),
            )
            if not value
        ]
        if missing:
            message = "Twilio is not configured: set " + ", ".join(missing) + " in the environment."
            logger.error(message)
            raise SmsError(message)
        http_client = self.http_client or TwilioHttpClient(timeout=self.timeout)
        return Client(self.account_sid, self.auth_token, http_client=http_client)

    def send(self, to: str, body: str) -> str:
        from requests import RequestException
        from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException

        number = e164(to)
        client = self._client()
        try:
            message = client.messages.create(to=number, from_=self.from_number, body=body)
        except (TwilioRestException, TwilioServiceException) as error:
            raise _refusal(error, number) from error
        except RequestException as error:
            raise SmsError(f"Could not reach Twilio: {error}") from error
        except TwilioException as error:
            raise SmsError(f"Twilio reported an error: {error}") from error
        return message.sid


def _refusal(error, number: str) -> SmsError:
    status = getattr(error, "status", None)
    code = getattr(error, "code", None)
    text = getattr(error, "msg", "") or getattr(error, "detail", "") or getattr(error, "title", "")
    text = re.sub(r"^Unable to [^:]+: ", "", str(text))  # the library's own prefix says nothing useful
    reference = f" (Twilio error {code})" if code else ""
    if code in BAD_NUMBER_CODES:
        return SmsError(f"Twilio refused the number {number}: {text}{reference}", permanent=True)
    if code in BAD_CREDENTIAL_CODES or status == 401:
        return SmsError(f"Twilio did not accept the account credentials: {text}{reference}")
    if status == 429:
        return SmsError(f"Twilio is limiting the sending rate: {text}{reference}")
    if status is not None and status >= 500:
        return SmsError(f"Twilio had a server error (HTTP {status}): {text}{reference}")
    return SmsError(f"Twilio refused the message to {number}: {text}{reference}")


def sms_enabled() -> bool:
    """Whether the school sends text messages at all: an SMS backend is configured."""
    return bool(settings.STUDENTFLOW_SMS.get("BACKEND"))


def sms_backend_class() -> type[SmsBackend]:
    """The configured backend's class; SmsError when SMS is off or the class cannot be loaded."""
    path = settings.STUDENTFLOW_SMS.get("BACKEND")
    if not path:
        raise SmsError(NOT_CONFIGURED, permanent=True)
    try:
        return import_string(path)
    except ImportError as error:
        message = f"The SMS backend {path!r} in STUDENTFLOW_SMS cannot be loaded: {error}"
        logger.error(message)
        raise SmsError(message) from error


def get_sms_backend(**options) -> SmsBackend:
    """The configured backend; `options` (e.g. http_client) go to its constructor."""
    return sms_backend_class()(**options)
