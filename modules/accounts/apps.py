from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "modules.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from modules.accounts import signals  # noqa: F401
        from modules.accounts.groups import ensure_groups

        # Every app's permissions exist only after its own post_migrate; re-syncing each time is cheap.
        post_migrate.connect(ensure_groups, dispatch_uid="studentflow_ensure_groups")
