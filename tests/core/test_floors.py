"""The floor plan (docs/events.md, modules/core/events.py): `tasks/` is the top floor. It imports the
modules' services and subscribes to their domain events; no module under modules/ imports it, not even
inside a function. (The import-linter contract in `make lint` holds the whole floor order; this test is its
precursor for tasks/.)"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from modules.core.events import DomainEvent

ROOT = Path(__file__).resolve().parents[2]
MODULES = ROOT / "modules"


def _is_tasks(name: str | None) -> bool:
    return name is not None and (name == "tasks" or name.startswith("tasks."))


def tasks_imports(path: Path, root: Path = ROOT) -> list[str]:
    """Every place in the file that imports tasks/: `import tasks...`, `from tasks... import`, and a
    dotted name handed to `import_module` or `__import__`, wherever they stand (deferred ones included)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [f"import {alias.name}" for alias in node.names if _is_tasks(alias.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and _is_tasks(node.module):
            found.append(f"from {node.module} import ...")
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            function = (
                node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            )
            name = node.args[0].value
            if function in {"import_module", "__import__"} and isinstance(name, str) and _is_tasks(name):
                found.append(f"{function}({name!r})")
    return [f"{path.relative_to(root)}: {line}" for line in found]


def test_no_module_imports_tasks():
    sources = sorted(MODULES.rglob("*.py"))
    assert len(sources) > 50  # the walk found the modules
    offending = [place for path in sources for place in tasks_imports(path)]
    assert offending == [], (
        "A module imports tasks/, the top floor. Announce what happened with a domain event "
        "(modules/<module>/events.py, sent with send_on_commit) and subscribe in tasks/:\n"
        + "\n".join(offending)
    )


def test_the_check_sees_every_way_of_importing_tasks(tmp_path):
    source = tmp_path / "services.py"
    source.write_text(
        "import importlib\n"
        "import tasks.exams\n"
        "from tasks import attendance\n"
        "def later():\n"
        "    from tasks.communications import send_deliveries\n"
        "    importlib.import_module('tasks.fees_billing')\n"
        "from modules.core import tasks_like\n"  # not tasks/
        "from .tasks import nothing\n",  # relative: a module's own file, not tasks/
        encoding="utf-8",
    )
    assert tasks_imports(source, root=tmp_path) == [
        "services.py: import tasks.exams",
        "services.py: from tasks import ...",
        "services.py: from tasks.communications import ...",
        "services.py: import_module('tasks.fees_billing')",
    ]


def declared_events() -> list[DomainEvent]:
    events = []
    for path in sorted(MODULES.glob("*/events.py")):
        if path.parent.name == "core":
            continue
        module = importlib.import_module(f"modules.{path.parent.name}.events")
        events += [value for value in vars(module).values() if isinstance(value, DomainEvent)]
    return events


QUEUED_BY_TASKS = {
    "accounts.user_invited": "tasks.accounts",
    "attendance.register_submitted": "tasks.attendance",
    "attendance.record_corrected": "tasks.attendance",
    "communications.announcement_published": "tasks.announcements",
    "communications.deliveries_queued": "tasks.communications",
    "communications.delivery_deferred": "tasks.communications",
    "exams.marks_published": "tasks.exams",
    "exams.term_results_published": "tasks.exams",
    "fees.invoices_issued": "tasks.fees_billing",
}


@pytest.mark.parametrize("name", sorted(QUEUED_BY_TASKS))
def test_tasks_subscribes_to_the_events_that_queue_work(name):
    # Connected by TasksConfig.ready() in every process that loads the apps: web, worker, commands, tests.
    [event] = [event for event in declared_events() if event.name == name]
    sync, _async = event._live_receivers(name.split(".", 1)[0])
    assert QUEUED_BY_TASKS[name] in {receiver.__module__ for receiver in sync}


def test_every_event_is_listed_in_the_docs():
    listed = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")
    events = declared_events()
    assert set(QUEUED_BY_TASKS) <= {event.name for event in events}
    missing = [event.name for event in events if f"`{event.name}`" not in listed]
    assert missing == [], f"Add these events to docs/events.md: {missing}"


# --- one naming scheme for tasks (CONTRIBUTING.md, "A task") ------------------------------------------------

TASK_VERBS = {
    "apply",
    "catch",
    "commit",
    "generate",
    "invite",
    "issue",
    "prepare",
    "publish",
    "purge",
    "read",
    "record",
    "render",
    "run",
    "send",
    "sweep",
    "validate",
}


def test_every_task_is_named_for_what_it_does_verb_first():
    from huey.contrib.djhuey import HUEY

    names = [name for name in HUEY._registry._registry if name.startswith("tasks.")]
    assert names, "no task of tasks/ is registered"
    misnamed = [
        name
        for name in names
        if name.rsplit(".", 1)[1].split("_")[0] not in TASK_VERBS or name.endswith("_task")
    ]
    assert misnamed == [], f"tasks are named verb first, without a _task suffix: {misnamed}"


def test_every_receiver_in_tasks_is_named_on_its_event_with_a_matching_dispatch_uid():
    found = 0
    wrong = []
    for path in sorted((ROOT / "tasks").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                if not (isinstance(decorator, ast.Call) and getattr(decorator.func, "id", "") == "receiver"):
                    continue
                found += 1
                event = decorator.args[0].id if isinstance(decorator.args[0], ast.Name) else "?"
                uid = next((k.value.value for k in decorator.keywords if k.arg == "dispatch_uid"), None)
                if node.name != f"on_{event}" or uid != f"tasks.{path.stem}.{node.name}":
                    wrong.append(f"{path.name}: {node.name} (event {event}, dispatch_uid {uid})")
    assert found >= 9
    assert wrong == []
