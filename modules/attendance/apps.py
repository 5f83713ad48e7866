from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    name = "modules.attendance"
    label = "attendance"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from modules.attendance.notifications import KINDS
        from modules.communications.kinds import kind_register

        # Declares attendance's kinds of notification to communications (modules/communications/kinds.py).
        for kind in KINDS:
            kind_register(kind)
