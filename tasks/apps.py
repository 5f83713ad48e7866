import importlib
import pkgutil

from django.apps import AppConfig


class TasksConfig(AppConfig):
    """Registers every Huey task in this package with the consumer, and connects the receivers that queue
    them when a module announces what happened (its domain events, docs/events.md). Every process that sets
    Django up loads this, so events are heard in the web, the worker, commands and tests alike. tasks/ is
    not a domain app: it has no models, and no module imports it."""

    name = "tasks"
    label = "tasks"

    def ready(self):
        package = importlib.import_module("tasks")
        for module in pkgutil.iter_modules(package.__path__):
            if module.name != "apps":
                importlib.import_module(f"tasks.{module.name}")
