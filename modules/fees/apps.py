from django.apps import AppConfig


class FeesConfig(AppConfig):
    name = "modules.fees"
    label = "fees"
    default_auto_field = "django.db.models.BigAutoField"
