from django.apps import AppConfig


class ExamsConfig(AppConfig):
    name = "modules.exams"
    label = "exams"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from modules.communications.kinds import kind_register
        from modules.exams.notifications import KINDS

        # Declares exams's kinds of notification to communications (modules/communications/kinds.py).
        for kind in KINDS:
            kind_register(kind)
