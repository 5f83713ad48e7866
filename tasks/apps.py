import importlib
import pkgutil

from django.apps import AppConfig


class TasksConfig(AppConfig):
    """Registers every Huey task in this package with the consumer (tasks/ is not a domain app)."""

    name = "tasks"
    label = "tasks"

    def ready(self):
        package = importlib.import_module("tasks")
        for module in pkgutil.iter_modules(package.__path__):
            if module.name != "apps":
                importlib.import_module(f"tasks.{module.name}")
