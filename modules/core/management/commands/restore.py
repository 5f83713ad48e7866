"""`manage.py restore ARCHIVE [--force] [--database-url URL]`: an archive of `manage.py backup` brought back
into an empty installation (modules/core/backup.py). Stop the web server and the worker first."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from modules.core.backup import VENDOR_NAMES, BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore an archive written by `manage.py backup` into an empty installation: the database "
        "(DATABASE_URL) and the uploaded files (MEDIA_ROOT). Checks the archive's checksums first. Stop the "
        "web server and the worker before restoring."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="The studentflow-….tar.gz archive.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Restore even though the database or the uploaded files' storage already holds data: "
            "everything in the database is replaced by the archive's.",
        )
        parser.add_argument(
            "--database-url",
            help="Restore into this database instead of the configured one (e.g. to try a backup out).",
        )

    def handle(self, *args, archive: Path, force: bool, database_url: str | None, **options):
        if database_url:
            try:
                target = dj_database_url.parse(database_url)
            except ValueError as error:
                raise CommandError(_("--database-url: %(error)s") % {"error": error}) from error
        else:
            target = connections[DEFAULT_DB_ALIAS].settings_dict
        try:
            restored = backup_restore(archive=archive, database=dict(target), force=force)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            ngettext(
                "Restored the backup of %(created)s into the %(vendor)s database %(database)s, with "
                "%(files)s uploaded file.",
                "Restored the backup of %(created)s into the %(vendor)s database %(database)s, with "
                "%(files)s uploaded files.",
                restored.files,
            )
            % {
                "created": restored.created,
                "vendor": VENDOR_NAMES[restored.vendor],
                "database": restored.database,
                "files": restored.files,
            }
        )
        if restored.migrations_behind:
            self.stdout.write(
                _(
                    "The archive is older than this version: run `manage.py migrate` now (%(count)s "
                    "migrations to apply)."
                )
                % {"count": restored.migrations_behind}
            )
