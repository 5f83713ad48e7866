from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Dashboards with charts, the report builder and the compliance returns: figures gathered from every
    module, each from the selectors its own pages use, so it sits on the top floor beside home."""

    name = "modules.reports"
    label = "reports"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Reports"
