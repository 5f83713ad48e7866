"""SMS backends: `send(to, body) -> provider_id`, raising SmsError with a message the office can read.

settings.STUDENTFLOW_SMS["BACKEND"] names the class: ConsoleSmsBackend (the default, for development: it only
logs) or TwilioSmsBackend (the twilio package; credentials from the environment). Tests give the Twilio
backend a fake `twilio.http.HttpClient` (tests/fakes.py), so nothing reaches the network.
"""

from __future__ import annotations

import logging
import re
import uuid

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# Twilio error codes that mean "this number cannot receive a text": retrying will not help.
# https://www.twilio.com/docs/api/errors
BAD_NUMBER_CODES = {21211, 21212, 21214, 21217, 21219, 21401, 21408, 21421, 21610, 21612, 21614}
BAD_CREDENTIAL_CODES = {20003, 20404}
TWILIO_TIMEOUT = 20  # seconds


class SmsError(Exception):
    """Sending failed: `message` in plain words for the delivery log; `permanent`: a retry cannot help."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class SmsBackend:
    def send(self, to: str, body: str) -> str:
        raise NotImplementedError


class ConsoleSmsBackend(SmsBackend):
    """Development: the text goes to the log instead of a phone."""

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


def get_sms_backend(**options) -> SmsBackend:
    """The configured backend; `options` (e.g. http_client) go to its constructor."""
    path = settings.STUDENTFLOW_SMS.get("BACKEND") or "modules.communications.sms.ConsoleSmsBackend"
    try:
        backend_class = import_string(path)
    except ImportError as error:
        message = f"The SMS backend {path!r} in STUDENTFLOW_SMS cannot be loaded: {error}"
        logger.error(message)
        raise SmsError(message) from error
    return backend_class(**options)
