from django.apps import AppConfig


class AcademicsConfig(AppConfig):
    name = "modules.academics"
    label = "academics"
    default_auto_field = "django.db.models.BigAutoField"
