from django.apps import AppConfig


class HomeConfig(AppConfig):
    """The role home pages: the top floor under tasks/, the one place that reads from every module at once."""

    name = "modules.home"
    label = "home"
    default_auto_field = "django.db.models.BigAutoField"
