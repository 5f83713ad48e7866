from django.apps import AppConfig


class FeesConfig(AppConfig):
    name = "modules.fees"
    label = "fees"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Subscribes fees to the domain events it acts on (late enrolments are billed).
        from modules.fees import receivers  # noqa: F401
