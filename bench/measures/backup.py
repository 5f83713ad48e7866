"""`manage.py backup` of the large school (issue 15, "Recoverable") against the least any backup does: the
database dumped with the vendor's own tool and tarred with the uploaded files at the same gzip level, without
checksums or manifest. Measured in interleaved pairs, so that the machine's load weighs on both alike; the
budget is relative (BACKUP_OVERHEAD_BUDGET above the baseline's median), the note gives both and the size."""

from __future__ import annotations

import itertools
import shutil
import statistics
import tarfile
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.template.defaultfilters import filesizeformat

from bench.registry import measure
from modules.core import backup

BACKUP_OVERHEAD_BUDGET = 0.25


def _baseline(work: Path, number: int) -> None:
    dump = work / f"baseline-{number}" / backup.DATABASE_MEMBERS[connection.vendor]
    dump.parent.mkdir()
    backup._dump_database(connection.vendor, connection.settings_dict, dump)
    with tarfile.open(work / f"baseline-{number}.tar.gz", "w:gz", compresslevel=6) as tar:
        tar.add(dump, arcname=dump.name)
        if Path(settings.MEDIA_ROOT).is_dir():
            tar.add(settings.MEDIA_ROOT, arcname=backup.MEDIA_DIR)
    shutil.rmtree(dump.parent)
    (work / f"baseline-{number}.tar.gz").unlink()


@measure(
    "backup: the large school vs dump + tar alone (interleaved)",
    budget_ms=60000,
    runs=3,
    warmup=0,
    note="manage.py backup against the vendor's dump and a plain tar.gz of the same files: see the run.",
)
def large_school_backup(bench):
    work = Path(tempfile.mkdtemp(prefix="bench-backup-"))
    numbers = itertools.count()
    ours: list[float] = []
    alone: list[float] = []
    sizes: list[int] = []

    def the_backup(number: int) -> None:
        started = time.perf_counter()
        written = backup.backup_create(output=work / f"studentflow-{number}.tar.gz")
        ours.append(time.perf_counter() - started)
        sizes.append(written.size)
        written.path.unlink()

    def the_baseline(number: int) -> None:
        started = time.perf_counter()
        _baseline(work, number)
        alone.append(time.perf_counter() - started)

    def timed():
        number = next(numbers)
        order = (the_baseline, the_backup) if number % 2 == 0 else (the_backup, the_baseline)
        for run in order:
            run(number)
        ratio = statistics.median(ours) / statistics.median(alone)
        timed.note = (
            f"{len(ours)} interleaved pairs on {connection.vendor}: backup {statistics.median(ours):.2f} s "
            f"({filesizeformat(sizes[-1])}) vs dump + tar alone {statistics.median(alone):.2f} s: ratio "
            f"{ratio:.2f} ({'within' if ratio <= 1 + BACKUP_OVERHEAD_BUDGET else 'OVER'} the "
            f"{1 + BACKUP_OVERHEAD_BUDGET:.2f} × budget)."
        )
        # The timed figure is the pair: the baseline plus ours, at most (1 + budget) times the baseline.
        timed.budget_ms = statistics.median(alone) * 1000 * (2 + BACKUP_OVERHEAD_BUDGET)
        print(f"[backup] {timed.note}")

    return timed
