from django.apps import AppConfig


class FeesConfig(AppConfig):
    name = "modules.fees"
    label = "fees"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from modules.communications.kinds import kind_register

        # Subscribes fees to the domain events it acts on (late enrolments are billed).
        from modules.fees import receivers  # noqa: F401
        from modules.fees.notifications import KINDS

        # Declares fees's kinds of notification to communications (modules/communications/kinds.py).
        for kind in KINDS:
            kind_register(kind)
