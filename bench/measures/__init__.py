"""One module per portal module (home.py, people.py, attendance_register.py, ...), each registering its
measures."""

from __future__ import annotations

import importlib
import pkgutil


def load_all() -> None:
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        importlib.import_module(f"{__name__}.{module.name}")
