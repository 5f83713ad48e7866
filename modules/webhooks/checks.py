"""Deploy checks (`manage.py check --deploy`): webhooks reach only the public internet, encrypted.

- webhooks.E001: STUDENTFLOW_WEBHOOKS_ALLOW_PRIVATE is on: a webhook could make the server post to the
  school's own network, this machine or the cloud's metadata service (tests and development only).
- webhooks.W001: STUDENTFLOW_WEBHOOKS_ALLOW_HTTP is on: deliveries to http:// addresses travel unencrypted.
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks


@checks.register("webhooks", deploy=True)
def webhook_addresses_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    found: list[checks.CheckMessage] = []
    if settings.STUDENTFLOW_WEBHOOKS_ALLOW_PRIVATE:
        found.append(
            checks.Error(
                "STUDENTFLOW_WEBHOOKS_ALLOW_PRIVATE is on: webhooks may be posted to private, loopback and "
                "link-local addresses, so anyone who can add an endpoint can make the server call the "
                "school's own network.",
                hint="Set STUDENTFLOW_WEBHOOKS_ALLOW_PRIVATE=false (it is for tests and development).",
                id="webhooks.E001",
            )
        )
    if settings.STUDENTFLOW_WEBHOOKS_ALLOW_HTTP:
        found.append(
            checks.Warning(
                "STUDENTFLOW_WEBHOOKS_ALLOW_HTTP is on: deliveries to http:// addresses travel unencrypted.",
                hint="Set STUDENTFLOW_WEBHOOKS_ALLOW_HTTP=false (it is for tests and development).",
                id="webhooks.W001",
            )
        )
    return found
