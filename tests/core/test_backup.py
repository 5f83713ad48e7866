"""`manage.py backup` and `manage.py restore` (modules/core/backup.py), on whichever database the suite runs
(SQLite, or PostgreSQL when DATABASE_URL is set): the round trip into an empty database of its own (a file
under tmp_path, or the PostgreSQL database <test database>_restore), never into the database pytest uses."""

from __future__ import annotations

import datetime
import io
import json
import os
import sqlite3
import tarfile
import time
import tracemalloc
from contextlib import closing
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection
from PIL import Image

from modules.attendance.models import AttendanceRecord
from modules.core.backup import archive_name, archives_in, backup_schedule, backup_scheduled_run
from modules.core.clock import SchoolTime
from modules.people.models import Student
from tasks.backups import backup_due, run_backup
from tests import factories as f


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 50), (200, 30, 60)).save(out, "PNG")
    return out.getvalue()


def _pg_conninfo(dbname: str) -> str:
    from psycopg.conninfo import make_conninfo

    settings = connection.settings_dict
    parameters = {
        "dbname": dbname,
        "user": settings["USER"],
        "password": settings["PASSWORD"],
        "host": settings["HOST"],
        "port": settings["PORT"],
    }
    return make_conninfo("", **{key: str(value) for key, value in parameters.items() if value})


@pytest.fixture
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def backups(tmp_path, settings):
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.BACKUP_KEEP = 14
    return settings.BACKUP_DIR


@pytest.fixture
def target(tmp_path):
    """An empty database of the suite's vendor, apart from the test database: its DATABASE_URL."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    import psycopg

    name = f"{connection.settings_dict['NAME']}_restore"
    with psycopg.connect(_pg_conninfo("postgres"), autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.execute(f'CREATE DATABASE "{name}"')
    settings = connection.settings_dict
    credentials = quote(settings["USER"] or "", safe="")
    if settings["PASSWORD"]:
        credentials += ":" + quote(settings["PASSWORD"], safe="")
    yield f"postgres://{credentials}@{settings['HOST'] or 'localhost'}:{settings['PORT'] or 5432}/{name}"
    with psycopg.connect(_pg_conninfo("postgres"), autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _query(url: str, sql: str) -> list[tuple]:
    """Rows of the restored database, read without Django (its connections serve the test database)."""
    if url.startswith("sqlite:///"):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
            return db.execute(sql).fetchall()
    import psycopg

    with psycopg.connect(_pg_conninfo(url.rsplit("/", 1)[1])) as db:
        return db.execute(sql).fetchall()


def _backup(**options) -> tuple[Path, str]:
    out = io.StringIO()
    call_command("backup", stdout=out, **options)
    written = out.getvalue()
    path = Path(written.split("Backup written: ", 1)[1].split(" (", 1)[0])
    return path, written


def _restore(archive: Path, url: str, *arguments: str) -> str:
    out = io.StringIO()
    call_command("restore", str(archive), "--database-url", url, *arguments, stdout=out)
    return out.getvalue()


def _rewrite(archive: Path, change) -> Path:
    """A copy of the archive with `change(name, data) -> (name, data)` applied to every member."""
    copy = archive.with_name("changed-" + archive.name)
    with tarfile.open(archive, "r:gz") as source, tarfile.open(copy, "w:gz") as out:
        for member in source:
            name, data = change(member.name, source.extractfile(member).read())
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    return copy


def _school_with_a_photo() -> Student:
    child = f.StudentFactory(first_name="Rosa", last_name="Backup", admission_number="B-0042")
    child.photo.save("rosa.png", ContentFile(_png()))
    f.AttendanceRecordFactory(student=child, status="absent")
    return child


@pytest.mark.django_db(transaction=True)
def test_it_round_trips_the_database_and_the_uploaded_files_into_an_empty_installation(
    media, backups, target, tmp_path, settings
):
    child = _school_with_a_photo()
    photo = child.photo.name

    archive, written = _backup()

    assert archive.parent == backups
    assert archive.name.startswith("studentflow-")
    assert archive.name.endswith(".tar.gz")
    assert f"({archive.stat().st_size}" not in written  # sizes are said in words (KB, MB)
    assert "uploaded files" in written
    assert sorted(p.name for p in backups.iterdir()) == [archive.name]  # no temporary file left behind
    assert archive.stat().st_mode & 0o077 == 0  # every family's data: for the portal's user only
    with tarfile.open(archive, "r:gz") as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["files"] == 2  # the photo and its thumbnail
    assert "0001_initial" in manifest["migrations"]["people"]

    settings.MEDIA_ROOT = tmp_path / "restored-media"
    said = _restore(archive, target)

    assert "with 2 uploaded files" in said
    student = Student._meta.db_table
    assert _query(target, f"SELECT first_name, photo FROM {student} WHERE admission_number = 'B-0042'") == [
        ("Rosa", photo)
    ]
    records = AttendanceRecord._meta.db_table
    assert _query(target, f"SELECT status FROM {records} WHERE student_id = {child.pk}") == [("absent",)]
    assert (tmp_path / "restored-media" / photo).read_bytes() == (media / photo).read_bytes()


@pytest.mark.django_db(transaction=True)
def test_it_refuses_a_target_that_holds_data_unless_forced(media, backups, target, tmp_path, settings):
    _school_with_a_photo()
    archive, _written = _backup()
    settings.MEDIA_ROOT = tmp_path / "restored-media"
    _restore(archive, target)

    with pytest.raises(CommandError, match="already holds data.*pass --force"):
        _restore(archive, target)

    said = _restore(archive, target, "--force")
    assert "Restored the backup" in said
    student = Student._meta.db_table
    assert _query(target, f"SELECT count(*) FROM {student} WHERE admission_number = 'B-0042'") == [(1,)]


@pytest.mark.django_db
def test_it_refuses_the_uploaded_files_storage_when_it_holds_files(media, backups, target):
    _school_with_a_photo()
    archive, _written = _backup()

    # MEDIA_ROOT still holds the photo: an installation with files is not an empty one.
    with pytest.raises(CommandError, match="already holds files"):
        _restore(archive, target)


@pytest.mark.django_db(transaction=True)
def test_it_refuses_the_database_it_runs_on_when_that_holds_data(media, backups, tmp_path, settings):
    _school_with_a_photo()
    archive, _written = _backup()
    settings.MEDIA_ROOT = tmp_path / "restored-media"

    with pytest.raises(CommandError, match="already holds data"):
        call_command("restore", str(archive), stdout=io.StringIO())

    assert Student.objects.filter(admission_number="B-0042").exists()


@pytest.mark.django_db
def test_it_refuses_an_altered_archive_and_restores_nothing(media, backups, target, tmp_path, settings):
    child = _school_with_a_photo()
    archive, _written = _backup()
    photo = f"media/{child.photo.name}"
    tampered = _rewrite(archive, lambda name, data: (name, data + b"\0" if name == photo else data))
    settings.MEDIA_ROOT = tmp_path / "restored-media"

    with pytest.raises(CommandError, match=f"altered or damaged: media/{child.photo.name} does not match"):
        _restore(tampered, target)

    assert not (tmp_path / "restored-media").exists()
    if connection.vendor == "sqlite":
        assert not Path(target.removeprefix("sqlite:///")).exists()
    else:
        assert _query(target, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]


@pytest.mark.django_db
def test_it_refuses_an_archive_with_a_member_outside_its_folders(media, backups, target):
    archive, _written = _backup()
    escaping = _rewrite(
        archive, lambda name, data: ("media/../../escaped.txt" if name == "manifest.json" else name, data)
    )

    with pytest.raises(CommandError, match="which a StudentFlow backup never writes"):
        _restore(escaping, target)


@pytest.mark.django_db
def test_it_refuses_a_dump_of_the_other_database_vendor(media, backups, target):
    archive, _written = _backup()
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    members = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}

    def swap_vendor(name: str, data: bytes) -> tuple[str, bytes]:
        if name == members[connection.vendor]:
            return members[other], data
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["database"] = {"vendor": other, "member": members[other]}
            manifest["members"][members[other]] = manifest["members"].pop(members[connection.vendor])
            return name, json.dumps(manifest).encode()
        return name, data

    foreign = _rewrite(archive, swap_vendor)

    expected = {
        "sqlite": "holds a PostgreSQL database; it cannot be restored into SQLite",
        "postgresql": "holds a SQLite database; it cannot be restored into PostgreSQL",
    }[connection.vendor]
    with pytest.raises(CommandError, match=expected):
        _restore(foreign, target)


def test_it_keeps_the_newest_archives_after_a_backup(media, backups, settings, db):
    settings.BACKUP_KEEP = 2
    backups.mkdir(parents=True)
    old = [
        backups / archive_name(datetime.datetime(2026, 11, day, 2, 30, tzinfo=datetime.UTC))
        for day in (1, 2, 3)
    ]
    for path in old:
        path.write_bytes(b"an older backup")
    unrelated = backups / "notes.txt"
    unrelated.write_text("kept")
    # What killed backups left: one yesterday (deleted), one that may be running now (kept).
    killed = backups / ".studentflow-2026-11-03T023000Z.tar.gz.partial"
    killed.write_bytes(b"half")
    os.utime(killed, (time.time() - 25 * 3600, time.time() - 25 * 3600))
    running = backups / ".studentflow-backup-abc123"
    running.mkdir()

    archive, written = _backup()

    assert sorted(p.name for p in backups.iterdir()) == sorted(
        [old[2].name, archive.name, "notes.txt", running.name]
    )
    assert f"Deleted the old backup {old[0]}" in written
    assert f"Deleted the old backup {old[1]}" in written


def test_it_deletes_nothing_when_the_archive_goes_elsewhere(media, backups, settings, tmp_path, db):
    settings.BACKUP_KEEP = 1
    backups.mkdir(parents=True)
    older = backups / archive_name(datetime.datetime(2026, 11, 1, 2, 30, tzinfo=datetime.UTC))
    older.write_bytes(b"an older backup")

    archive, _written = _backup(output=tmp_path / "elsewhere.tar.gz")
    (tmp_path / "usb").mkdir()
    in_a_folder, _written = _backup(output=tmp_path / "usb")

    assert archive == tmp_path / "elsewhere.tar.gz"
    assert in_a_folder.parent == tmp_path / "usb"
    assert in_a_folder.name.startswith("studentflow-")
    assert older.exists()


def test_it_reads_the_schedule_setting():
    assert backup_schedule("daily 02:30") == SchoolTime(hour=2, minute=30)
    assert backup_schedule("Sunday 3:05") == SchoolTime(hour=3, minute=5, weekday=6)
    assert backup_schedule("") is None
    assert backup_schedule("  ") is None
    for wrong in ("sometimes 02:30", "daily 24:00", "daily 2.30", "02:30"):
        with pytest.raises(ImproperlyConfigured, match="BACKUP_SCHEDULE"):
            backup_schedule(wrong)


def test_it_runs_at_the_scheduled_minute_and_makes_up_a_lost_run(settings):
    # BACKUP_TIME is read at start from BACKUP_SCHEDULE: "daily 02:30" unless the environment says otherwise.
    settings.TIME_ZONE = "UTC"
    assert backup_due(datetime.datetime(2026, 12, 5, 2, 30, tzinfo=datetime.UTC))
    assert not backup_due(datetime.datetime(2026, 12, 5, 2, 31, tzinfo=datetime.UTC))
    assert backup_due(
        datetime.datetime(2026, 12, 5, 4, 30, tzinfo=datetime.UTC)
    )  # a catch-up, should 02:30's run have been lost
    assert not backup_due(datetime.datetime(2026, 12, 5, 7, 30, tzinfo=datetime.UTC))


def test_it_makes_one_scheduled_backup_per_scheduled_time(media, backups, settings, tmp_path, db):
    settings.BACKUP_SCHEDULE = "daily 02:30"
    at_half_past_two = datetime.datetime(2026, 12, 5, 2, 30, tzinfo=datetime.UTC)

    first = backup_scheduled_run(now=at_half_past_two)
    again = backup_scheduled_run(now=at_half_past_two + datetime.timedelta(hours=1))
    settings.BACKUP_DIR = tmp_path / "another-nodes-backups"  # a worker whose BACKUP_DIR is not shared
    on_another_node = backup_scheduled_run(now=at_half_past_two + datetime.timedelta(hours=2))
    settings.BACKUP_DIR = backups
    next_day = backup_scheduled_run(now=at_half_past_two + datetime.timedelta(days=1))

    assert first is not None
    assert first.path == backups / "studentflow-2026-12-05T023000Z.tar.gz"
    assert again is None
    assert on_another_node is None
    assert not (tmp_path / "another-nodes-backups").exists()
    assert next_day is not None
    assert [path for _created, path in archives_in(backups)] == [first.path, next_day.path]


def test_it_runs_the_scheduled_backup_on_the_queue(media, backups, settings, db):
    settings.BACKUP_SCHEDULE = "daily 02:30"

    run_backup()  # Huey runs tasks immediately in tests

    ((_created, written),) = archives_in(backups)
    with tarfile.open(written, "r:gz") as tar:
        assert json.load(tar.extractfile("manifest.json"))["database"]["vendor"] == connection.vendor


def test_it_makes_no_scheduled_backup_when_the_schedule_is_empty(media, backups, settings, db):
    settings.BACKUP_SCHEDULE = ""

    assert backup_scheduled_run() is None
    assert not backups.exists()


@pytest.mark.django_db(transaction=True)
def test_it_streams_files_through_the_archive_in_bounded_memory(media, backups, target, tmp_path, settings):
    big = bytes(range(256)) * (24 * 1024 * 1024 // 256)
    default_storage.save("attachments/big.bin", ContentFile(big))
    del big

    tracemalloc.start()
    try:
        archive, _written = _backup()
        backing_up = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        settings.MEDIA_ROOT = tmp_path / "restored-media"
        _restore(archive, target)
        restoring = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    # A 24 MB file read whole would show here as 24 MB at least.
    assert backing_up < 8 * 1024 * 1024
    assert restoring < 8 * 1024 * 1024
    assert (tmp_path / "restored-media" / "attachments" / "big.bin").stat().st_size == 24 * 1024 * 1024
