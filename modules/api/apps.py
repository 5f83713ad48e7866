from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST API (v1, django-ninja) and its personal access tokens: every module's records for other
    programs, each read through the selectors and `visible_to` scoping its own pages use, so it sits on the
    top floor beside home and reports."""

    name = "modules.api"
    label = "api"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "API"

    def ready(self) -> None:
        # Revokes a deactivated login's tokens.
        from modules.api import receivers  # noqa: F401
