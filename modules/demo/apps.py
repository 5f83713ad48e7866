from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo school's top floor: runs every module's demo seed in order (`manage.py seed_demo`)."""

    name = "modules.demo"
    label = "demo"
    default_auto_field = "django.db.models.BigAutoField"
