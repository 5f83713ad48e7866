from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """What the school holds on a person and for how long: a guardian's request for their child's data and
    the retention schedule that anonymises or deletes what has expired. It reaches every module's rows, so it
    sits on the top floor beside home and reports."""

    name = "modules.privacy"
    label = "privacy"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Privacy"

    def ready(self) -> None:
        from modules.communications.kinds import kind_register
        from modules.privacy.notifications import KINDS

        # Declares privacy's kind of notification to communications (modules/communications/kinds.py).
        for kind in KINDS:
            kind_register(kind)
