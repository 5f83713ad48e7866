from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Outgoing webhooks: the office subscribes a URL to the school's events (a register submitted, marks
    published, a payment recorded, a student enrolled or leaving), and each one is posted to it signed,
    retried with backoff on the queue and logged. It listens to the domain events of the modules below it,
    so it sits on the top floor; nothing imports it."""

    name = "modules.webhooks"
    label = "webhooks"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        # Subscribes webhooks to the domain events it forwards (each becomes a delivery per endpoint).
        from modules.webhooks import checks, receivers  # noqa: F401  (the deploy checks too)
