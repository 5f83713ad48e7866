from django.apps import AppConfig


class TimetableConfig(AppConfig):
    name = "modules.timetable"
    label = "timetable"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Timetable"
