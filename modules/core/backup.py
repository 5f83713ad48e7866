"""Backups: one archive holding the database and the uploaded files, and bringing it back.

`backup_create` writes `studentflow-<UTC time>.tar.gz`: the database (SQLite copied through its online backup
API, so the copy is consistent while the portal writes; PostgreSQL through `pg_dump --format=custom`), every
file of the default storage under `media/`, and `manifest.json` last (format version, time, database vendor,
the migrations applied per app, the file count, the sha256 of every member). The archive is written under a
temporary name and renamed when complete, so an archive with the final name is never half written. Files are
streamed through the archive, never read whole into memory.

`backup_restore` brings an archive back into an empty installation: it extracts every member to a working
directory while hashing it, refuses the archive when a checksum, a member or the vendor does not match,
refuses a database or a storage that already holds data unless forced, then loads the database (SQLite's
backup API; `pg_restore --no-owner --clean --if-exists`) and saves the files into the default storage.

`backup_scheduled_run` is what the worker runs on BACKUP_SCHEDULE (tasks/backups.py): one backup per
scheduled time even when several workers or a catch-up run ask for it, then only the newest BACKUP_KEEP
archives are kept.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.core.clock import SchoolTime, school_time

logger = logging.getLogger(__name__)

FORMAT = "studentflow-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA_DIR = "media"
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
ARCHIVE_NAME = re.compile(r"^studentflow-(\d{4}-\d{2}-\d{2}T\d{6}Z)\.tar\.gz$")
ARCHIVE_TIME = "%Y-%m-%dT%H%M%SZ"
CHUNK = 256 * 1024
MANIFEST_MAX_BYTES = 64 * 1024 * 1024
# Rows that `migrate` itself writes into a new installation: a database holding only these is empty.
MIGRATION_TABLES = {
    "django_migrations",
    "django_content_type",
    "auth_permission",
    "auth_group",
    "auth_group_permissions",
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# The scheduled run: made up on the hours after the scheduled one when a killed worker lost it.
CATCH_UP_HOURS = 3
RUN_LOCK = "studentflow:backup:running"
LAST_RUN = "studentflow:backup:last"


class BackupError(Exception):
    """A backup or a restore that cannot be done; the message says why, for the person running it."""


@dataclass(frozen=True)
class BackupWritten:
    path: Path
    size: int
    files: int
    pruned: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class BackupRestored:
    database: str
    vendor: str
    files: int
    created: str
    # Migrations this version of the code has and the archive's database had not: `manage.py migrate` next.
    migrations_behind: int


class _Hashing:
    """A file read through it (by tarfile, in chunks) leaves its sha256 behind."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.sha256.update(data)
        return data


# --- backup -----------------------------------------------------------------------------------------------


def backup_create(
    *, output: Path | None = None, using: str = "default", now: datetime.datetime | None = None
) -> BackupWritten:
    """Write one archive of the database `using` and the default storage's files; return where and how big.

    Without `output` the archive goes to BACKUP_DIR under its timestamped name, and older archives there are
    pruned to BACKUP_KEEP once it is complete."""
    created = (now or timezone.now()).astimezone(datetime.UTC)
    directory = Path(settings.BACKUP_DIR)
    path = output if output is not None else directory / archive_name(created)
    if path.is_dir():
        path = path / archive_name(created)
    path = path.resolve()
    if path.exists():
        raise BackupError(_("%(path)s already exists: choose another name.") % {"path": path})
    # Archives hold every family's data: readable by the portal's user only.
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    connection = connections[using]
    vendor = _vendor(connection.settings_dict["ENGINE"])
    partial = path.with_name(f".{path.name}.partial")
    try:
        with tempfile.TemporaryDirectory(prefix=".studentflow-backup-", dir=path.parent) as work:
            dump = Path(work) / DATABASE_MEMBERS[vendor]
            # The database first, then the files: a row saved meanwhile may miss its file, but every file a
            # row of the copy names was stored before that row, so it is in the archive.
            _dump_database(vendor, connection.settings_dict, dump)
            migrations = _applied_migrations(using)
            raw = os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")
            os.fchmod(raw.fileno(), 0o600)
            with raw, tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
                members = {dump.name: _add_file(tar, dump.name, dump)}
                for name, checksum in _add_storage(tar, default_storage):
                    members[name] = checksum
                manifest = {
                    "format": FORMAT,
                    "version": FORMAT_VERSION,
                    "created": created.isoformat(),
                    "database": {"vendor": vendor, "member": dump.name},
                    "migrations": migrations,
                    "files": len(members) - 1,
                    "members": members,
                }
                _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
                tar.close()  # writes the end of the archive and the gzip trailer, before the file is synced
                raw.flush()
                os.fsync(raw.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    pruned = backups_prune(directory=directory, keep=settings.BACKUP_KEEP) if output is None else []
    logger.info("Backup written to %s (%d bytes, %d files)", path, path.stat().st_size, len(members) - 1)
    return BackupWritten(path=path, size=path.stat().st_size, files=len(members) - 1, pruned=pruned)


def archive_name(created: datetime.datetime) -> str:
    return f"studentflow-{created.astimezone(datetime.UTC).strftime(ARCHIVE_TIME)}.tar.gz"


def archives_in(directory: Path) -> list[tuple[datetime.datetime, Path]]:
    """The archives `backup_create` named in `directory`, oldest first (their names carry the time)."""
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        match = ARCHIVE_NAME.match(path.name)
        if match and path.is_file():
            created = datetime.datetime.strptime(match.group(1), ARCHIVE_TIME).replace(tzinfo=datetime.UTC)
            found.append((created, path))
    return sorted(found)


def backups_prune(*, directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` archives of `directory` (keep 0: delete none); return the deleted.

    Also what a killed backup left behind there a day ago or more: its partial archive and working folder."""
    stale = time.time() - 24 * 3600
    for leftover in directory.glob(".studentflow-*") if directory.is_dir() else []:
        if leftover.stat().st_mtime < stale:
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
    if keep <= 0:
        return []
    old = [path for _created, path in archives_in(directory)[:-keep]]
    for path in old:
        path.unlink(missing_ok=True)
        logger.info("Old backup deleted: %s", path)
    return old


def _vendor(engine: str) -> str:
    if "sqlite" in engine:
        return "sqlite"
    if "postgresql" in engine or "postgis" in engine:
        return "postgresql"
    raise BackupError(
        _("Backups support SQLite and PostgreSQL, not the database engine %(engine)s.") % {"engine": engine}
    )


def _dump_database(vendor: str, database: dict[str, Any], dump: Path) -> None:
    if vendor == "sqlite":
        name = str(database["NAME"])
        if name == ":memory:" or "mode=memory" in name or not Path(name).is_file():
            raise BackupError(
                _("The SQLite database %(name)s is not a file that can be backed up.") % {"name": name}
            )
        # The online backup API copies a consistent snapshot while other connections keep writing (WAL).
        source = sqlite3.connect(name, timeout=30)
        target = sqlite3.connect(dump)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return
    _run_pg("pg_dump", ["--format=custom", "--no-password", f"--file={dump}"], database)


def _pg_parameters(database: dict[str, Any]) -> dict[str, str]:
    """libpq's connection keywords for a DATABASES entry."""
    options = database.get("OPTIONS") or {}
    values = {
        "dbname": database.get("NAME"),
        "user": database.get("USER"),
        "password": database.get("PASSWORD"),
        "host": database.get("HOST"),
        "port": database.get("PORT"),
        **{
            key: options.get(key)
            for key in ("sslmode", "sslrootcert", "sslcert", "sslkey", "passfile", "service")
        },
    }
    return {key: str(value) for key, value in values.items() if value not in (None, "")}


def _pg_environment(database: dict[str, Any]) -> dict[str, str]:
    """libpq's environment for the database: the password never appears on a command line (ps shows it)."""
    names = {"dbname": "PGDATABASE"}
    parameters = _pg_parameters(database)
    return {**os.environ, **{names.get(key, f"PG{key.upper()}"): value for key, value in parameters.items()}}


def _run_pg(program: str, arguments: list[str], database: dict[str, Any]) -> None:
    if shutil.which(program) is None:
        raise BackupError(
            _("%(program)s was not found: install the PostgreSQL client programs (postgresql-client).")
            % {"program": program}
        )
    done = subprocess.run(
        [program, *arguments], env=_pg_environment(database), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(
            _("%(program)s failed (exit code %(code)s): %(error)s")
            % {"program": program, "code": done.returncode, "error": done.stderr.strip()}
        )


def _applied_migrations(using: str) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connections[using]).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def _storage_files(storage: Storage, directory: str = "") -> Iterator[str]:
    subdirectories, files = storage.listdir(directory)
    for name in sorted(files):
        yield f"{directory}/{name}" if directory else name
    for name in sorted(subdirectories):
        yield from _storage_files(storage, f"{directory}/{name}" if directory else name)


def _add_storage(tar: tarfile.TarFile, storage: Storage) -> Iterator[tuple[str, str]]:
    if not _storage_exists(storage):
        return
    for name in _storage_files(storage):
        member = f"{MEDIA_DIR}/{name}"
        try:
            size = storage.size(name)
            with storage.open(name, "rb") as stream:
                info = tarfile.TarInfo(member)
                info.size = size
                info.mtime = int(timezone.now().timestamp())
                reader = _Hashing(stream)
                tar.addfile(info, reader)
        except FileNotFoundError:
            # Deleted since the listing (a photo replaced meanwhile): its row is gone from the copy too.
            continue
        yield member, reader.sha256.hexdigest()


def _storage_exists(storage: Storage) -> bool:
    try:
        storage.listdir("")
    except FileNotFoundError:
        return False
    return True


def _add_file(tar: tarfile.TarFile, member: str, path: Path) -> str:
    with open(path, "rb") as stream:
        info = tar.gettarinfo(fileobj=stream, arcname=member)
        reader = _Hashing(stream)
        tar.addfile(info, reader)
    return reader.sha256.hexdigest()


def _add_bytes(tar: tarfile.TarFile, member: str, data: bytes) -> None:
    info = tarfile.TarInfo(member)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    tar.addfile(info, io.BytesIO(data))


# --- restore ----------------------------------------------------------------------------------------------


def backup_restore(*, archive: Path, database: dict[str, Any], force: bool = False) -> BackupRestored:
    """Load `archive` into the database described by `database` (a DATABASES entry) and the default storage.

    Refuses, before changing anything, an archive that was altered or damaged, a dump of another vendor, an
    archive made by a newer version of the code, and — unless `force` — a database or a storage that already
    holds data."""
    vendor = _vendor(database["ENGINE"])
    with tempfile.TemporaryDirectory(prefix="studentflow-restore-") as work:
        manifest = _extract_checked(archive, Path(work))
        _check_compatible(manifest, vendor)
        if not force:
            _check_empty(vendor, database)
        dump = Path(work) / manifest["database"]["member"]
        connections.close_all()
        if vendor == "sqlite":
            _load_sqlite(dump, Path(database["NAME"]))
        else:
            _run_pg(
                "pg_restore",
                [
                    "--no-owner",
                    "--no-acl",
                    "--clean",
                    "--if-exists",
                    "--single-transaction",
                    "--exit-on-error",
                    "--no-password",
                    f"--dbname={database['NAME']}",
                    str(dump),
                ],
                database,
            )
        files = _load_storage(Path(work) / MEDIA_DIR, default_storage, replace=force)
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    had = {(app, name) for app, names in manifest["migrations"].items() for name in names}
    return BackupRestored(
        database=str(database["NAME"]),
        vendor=vendor,
        files=files,
        created=manifest["created"],
        migrations_behind=len(known - had),
    )


def _member_path(work: Path, name: str) -> Path:
    """Where a member is extracted; only the names a backup writes, never outside the working directory."""
    parts = PurePosixPath(name).parts
    allowed = name in (MANIFEST, *DATABASE_MEMBERS.values()) or (len(parts) > 1 and parts[0] == MEDIA_DIR)
    if not allowed or name.startswith("/") or ".." in parts or "\\" in name:
        raise BackupError(
            _("The archive holds %(name)s, which a StudentFlow backup never writes.") % {"name": name}
        )
    return work.joinpath(*parts)


def _extract_checked(archive: Path, work: Path) -> dict[str, Any]:
    """Extract every member to `work`, hashing as it streams; return the manifest if every checksum holds."""
    checksums: dict[str, str] = {}
    manifest: dict[str, Any] | None = None
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            for member in tar:
                if not member.isfile():
                    raise BackupError(
                        _("The archive holds %(name)s, which is not a file.") % {"name": member.name}
                    )
                stream = tar.extractfile(member)
                assert stream is not None  # a regular file always has one
                if member.name == MANIFEST:
                    if member.size > MANIFEST_MAX_BYTES:
                        raise BackupError(_("The archive's manifest is too large to be one."))
                    manifest = json.loads(stream.read(member.size))
                    continue
                checksums[member.name] = _extract_one(stream, _member_path(work, member.name))
    except (tarfile.TarError, EOFError, OSError, json.JSONDecodeError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise BackupError(_("There is no file %(path)s.") % {"path": archive}) from exc
        raise BackupError(
            _("%(path)s is not a readable StudentFlow backup (%(error)s).") % {"path": archive, "error": exc}
        ) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(_("%(path)s has no StudentFlow backup manifest.") % {"path": archive})
    if manifest.get("version") != FORMAT_VERSION:
        raise BackupError(
            _(
                "%(path)s is a backup of format %(version)s; this version of StudentFlow reads "
                "format %(ours)s."
            )
            % {"path": archive, "version": manifest.get("version"), "ours": FORMAT_VERSION}
        )
    expected = manifest.get("members", {})
    for name in sorted(set(expected) | set(checksums)):
        if expected.get(name) != checksums.get(name):
            raise BackupError(
                _(
                    "%(path)s was altered or damaged: %(name)s does not match its checksum in the "
                    "manifest. Nothing was restored."
                )
                % {"path": archive, "name": name}
            )
    return manifest


def _extract_one(stream: IO[bytes], target: Path) -> str:
    target.parent.mkdir(parents=True, exist_ok=True)
    checksum = hashlib.sha256()
    with open(target, "wb") as out:
        while chunk := stream.read(CHUNK):
            checksum.update(chunk)
            out.write(chunk)
    return checksum.hexdigest()


def _check_compatible(manifest: dict[str, Any], vendor: str) -> None:
    theirs = manifest["database"]["vendor"]
    if theirs != vendor:
        raise BackupError(
            _(
                "This archive holds a %(theirs)s database; it cannot be restored into %(ours)s. "
                "Point DATABASE_URL at a %(theirs)s database and run the restore again."
            )
            % {"theirs": VENDOR_NAMES.get(theirs, theirs), "ours": VENDOR_NAMES[vendor]}
        )
    known = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    unknown = [
        f"{app}.{name}"
        for app, names in manifest["migrations"].items()
        for name in names
        if (app, name) not in known
    ]
    if unknown:
        raise BackupError(
            _(
                "This archive was made by a newer version of StudentFlow (its database has migrations "
                "this code does not know, such as %(migration)s). Install that version, then restore."
            )
            % {"migration": unknown[0]}
        )


def _school_tables() -> set[str]:
    return {model._meta.db_table for model in apps.get_models(include_auto_created=True)} - MIGRATION_TABLES


def _tables_with_rows(vendor: str, database: dict[str, Any]) -> list[str]:
    tables = _school_tables()
    if vendor == "sqlite":
        path = Path(database["NAME"])
        if not path.is_file() or path.stat().st_size == 0:
            return []
        with closing(sqlite3.connect(path)) as db:
            present = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            return [
                t
                for t in sorted(tables & set(present))
                if db.execute(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone()
            ]
    import psycopg
    from psycopg.conninfo import make_conninfo

    try:
        with psycopg.connect(make_conninfo("", **_pg_parameters(database))) as db:
            present = [
                row[0]
                for row in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            ]
            return [
                t
                for t in sorted(tables & set(present))
                if db.execute(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone()
            ]
    except psycopg.OperationalError as exc:
        raise BackupError(
            _("Cannot open the database %(name)s: %(error)s (create it first, empty).")
            % {"name": database["NAME"], "error": exc}
        ) from exc


def _check_empty(vendor: str, database: dict[str, Any]) -> None:
    tables = _tables_with_rows(vendor, database)
    if tables:
        raise BackupError(
            _(
                "The database %(name)s already holds data (%(count)s tables with rows, such as "
                "%(table)s). Restore into an empty installation, or pass --force to replace everything "
                "in it."
            )
            % {"name": database["NAME"], "count": len(tables), "table": tables[0]}
        )
    if _storage_exists(default_storage) and next(_storage_files(default_storage), None) is not None:
        raise BackupError(
            _(
                "The uploaded files' storage (%(location)s) already holds files. Restore into an empty "
                "installation, or pass --force to replace them."
            )
            % {"location": getattr(default_storage, "location", default_storage.__class__.__name__)}
        )


def _load_sqlite(dump: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(dump)
    destination = sqlite3.connect(target, timeout=30)
    try:
        # Page by page over whatever the target held: its tables, indexes and rows become the archive's.
        source.backup(destination)
    finally:
        destination.close()
        source.close()


def _load_storage(media: Path, storage: Storage, *, replace: bool) -> int:
    count = 0
    if not media.is_dir():
        return 0
    for path in sorted(p for p in media.rglob("*") if p.is_file()):
        name = path.relative_to(media).as_posix()
        if replace and storage.exists(name):
            storage.delete(name)
        with open(path, "rb") as stream:
            saved = storage.save(name, File(stream, name=name))
        if saved != name:
            raise BackupError(_("The storage saved %(name)s as %(saved)s.") % {"name": name, "saved": saved})
        count += 1
    return count


# --- schedule ---------------------------------------------------------------------------------------------


def backup_schedule(text: str | None = None) -> SchoolTime | None:
    """BACKUP_SCHEDULE read: "daily 02:30" or "sunday 02:30" in the school's time zone, None when empty."""
    value = (settings.BACKUP_SCHEDULE if text is None else text).strip().lower()
    if not value:
        return None
    match = re.fullmatch(r"(daily|[a-z]+)\s+(\d{1,2}):(\d{2})", value)
    if match is None or (match.group(1) != "daily" and match.group(1) not in WEEKDAYS):
        raise ImproperlyConfigured(
            f'BACKUP_SCHEDULE must be "daily HH:MM" or a weekday and a time ("sunday 02:30"), or empty to '
            f"turn scheduled backups off, not {value!r}."
        )
    day, hour, minute = match.group(1), int(match.group(2)), int(match.group(3))
    if hour > 23 or minute > 59:
        raise ImproperlyConfigured(f"BACKUP_SCHEDULE has no such time of day: {value!r}.")
    return SchoolTime(hour=hour, minute=minute, weekday=None if day == "daily" else WEEKDAYS.index(day))


def backup_scheduled_run(*, now: datetime.datetime | None = None) -> BackupWritten | None:
    """The scheduled backup, safe to run twice: None when the backup of this scheduled time exists already
    (a catch-up run after a good one, a second worker's run) or another run is making it."""
    schedule = backup_schedule()
    if schedule is None:
        return None
    local = school_time(now or timezone.now())
    slot = local.replace(hour=schedule.hour, minute=schedule.minute, second=0, microsecond=0)
    newest = archives_in(Path(settings.BACKUP_DIR))[-1:]
    if newest and newest[0][0] >= slot:
        return None
    # The cache (Redis when there are several nodes) also knows of a backup another node's worker wrote to
    # a BACKUP_DIR of its own.
    last = cache.get(LAST_RUN)
    if last and datetime.datetime.fromisoformat(last) >= slot:
        return None
    # Expires, so that a run killed while holding it does not block the catch-up runs.
    if not cache.add(RUN_LOCK, local.isoformat(), timeout=3600):
        return None
    try:
        written = backup_create(now=now)
    finally:
        cache.delete(RUN_LOCK)
    cache.set(LAST_RUN, local.isoformat(), timeout=None)
    return written


def last_backup_age(*, now: datetime.datetime | None = None) -> datetime.timedelta | None:
    """How long ago the newest backup was made: the newest archive in BACKUP_DIR, or the last scheduled run
    any node's worker recorded (the cache: Redis when there are several nodes, each with a BACKUP_DIR of
    its own). None when there has been none."""
    now = now or timezone.now()
    times = [created for created, _path in archives_in(Path(settings.BACKUP_DIR))[-1:]]
    last = cache.get(LAST_RUN)
    if last:
        times.append(datetime.datetime.fromisoformat(last))
    return now - max(times) if times else None


def backup_overdue_after() -> datetime.timedelta | None:
    """How old the newest backup may be before a monitor should hear of it: the schedule's interval (a day,
    or a week) and the four hours of its catch-up runs. None when scheduled backups are off."""
    schedule = backup_schedule()
    if schedule is None:
        return None
    return datetime.timedelta(days=1 if schedule.weekday is None else 7, hours=4)
