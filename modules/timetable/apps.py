from django.apps import AppConfig


class TimetableConfig(AppConfig):
    name = "modules.timetable"
    label = "timetable"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Timetable"

    def ready(self) -> None:
        from modules.communications.kinds import kind_register
        from modules.timetable.notifications import KINDS

        # Declares the timetable's kinds of notification to communications (modules/communications/kinds.py).
        for kind in KINDS:
            kind_register(kind)
