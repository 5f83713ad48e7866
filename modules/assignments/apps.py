from django.apps import AppConfig


class AssignmentsConfig(AppConfig):
    name = "modules.assignments"
    label = "assignments"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Assignments"
