"""`manage.py backup [--output PATH]`: one archive of the database and the uploaded files
(modules/core/backup.py)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from modules.core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Write one consistent archive of the database and the uploaded files, safe while the portal runs: "
        "studentflow-<UTC time>.tar.gz in BACKUP_DIR (keeping the newest BACKUP_KEEP there), or --output."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            help="Write the archive to this file, or into this folder under its timestamped name, instead of "
            "BACKUP_DIR (no archive in BACKUP_DIR is deleted then).",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="The database alias to back up.")

    def handle(self, *args, output: Path | None, database: str, **options):
        if database not in settings.DATABASES:
            raise CommandError(_("There is no database %(alias)s in DATABASES.") % {"alias": database})
        try:
            written = backup_create(output=output, using=database)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            ngettext(
                "Backup written: %(path)s (%(size)s, %(files)s uploaded file).",
                "Backup written: %(path)s (%(size)s, %(files)s uploaded files).",
                written.files,
            )
            % {"path": written.path, "size": filesizeformat(written.size), "files": written.files}
        )
        for path in written.pruned:
            self.stdout.write(
                _("Deleted the old backup %(path)s (BACKUP_KEEP is %(keep)s).")
                % {"path": path, "keep": settings.BACKUP_KEEP}
            )
