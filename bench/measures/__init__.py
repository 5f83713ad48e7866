"""One module per portal module (accounts.py, people.py, ...), each registering its measures."""

from __future__ import annotations

import importlib
import pkgutil


def load_all() -> None:
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        importlib.import_module(f"{__name__}.{module.name}")
