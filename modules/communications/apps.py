from django.apps import AppConfig


class CommunicationsConfig(AppConfig):
    name = "modules.communications"
    label = "communications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from modules.communications import checks  # noqa: F401  (registers the deploy checks)
        from modules.communications.kinds import kind_register
        from modules.communications.notifications import KINDS

        for kind in KINDS:
            kind_register(kind)
