"""Validating uploaded files before they are stored: size, extension, and the content itself.

A file's name and its browser-declared type prove nothing; the first bytes decide what it is. Only kinds a
school sends to families are allowed (documents, spreadsheets, images, plain text).
"""

from __future__ import annotations

import uuid
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# extension -> (content type, check of the first bytes)
SIGNATURES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    "webp": ("image/webp", (b"RIFF",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (b"PK\x03\x04",)),
    "odt": ("application/vnd.oasis.opendocument.text", (b"PK\x03\x04",)),
    "txt": ("text/plain", ()),
    "csv": ("text/csv", ()),
}
# The member a genuine Office/OpenDocument zip must contain.
ZIP_MARKERS = {
    "docx": "word/document.xml",
    "xlsx": "xl/workbook.xml",
    "pptx": "ppt/presentation.xml",
    "odt": "content.xml",
}


def private_upload_path(folder: str, instance, filename: str) -> str:
    """Where an uploaded file is stored: a random name under `folder/<model>/`, so that its path never reveals
    whose it is. Such files are served only through views that check access."""
    suffix = Path(filename).suffix.lower() or ".jpg"
    return f"{folder}/{instance.__class__.__name__.lower()}/{uuid.uuid4().hex}{suffix}"


def allowed_extensions() -> list[str]:
    return sorted(SIGNATURES)


def validate_attachment(upload, *, max_bytes: int | None = None) -> str:
    """Check an uploaded file; return its content type or raise ValidationError with a plain message."""
    limit = max_bytes or settings.STUDENTFLOW_ATTACHMENT_MAX_BYTES
    name = upload.name or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if upload.size == 0:
        raise ValidationError(_("%(name)s is empty.") % {"name": name})
    if upload.size > limit:
        raise ValidationError(
            _("%(name)s is too large (%(size)s). The limit is %(limit)s.")
            % {"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
        )
    if extension not in SIGNATURES:
        raise ValidationError(
            _("%(name)s is not an accepted kind of file. Accepted: %(kinds)s.")
            % {"name": name, "kinds": ", ".join(allowed_extensions())}
        )
    content_type, signatures = SIGNATURES[extension]
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    if signatures and not head.startswith(signatures):
        raise ValidationError(_("%(name)s is not really a .%(ext)s file.") % {"name": name, "ext": extension})
    if extension in ZIP_MARKERS and not _zip_has(upload, ZIP_MARKERS[extension]):
        raise ValidationError(_("%(name)s is not really a .%(ext)s file.") % {"name": name, "ext": extension})
    if not signatures:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            # A cut in the middle of a multi-byte character at the 2 KiB boundary is fine.
            if b"\x00" in head:
                raise ValidationError(_("%(name)s is not a text file.") % {"name": name}) from None
    return content_type


def _zip_has(upload, member: str) -> bool:
    try:
        with zipfile.ZipFile(upload) as archive:
            return member in archive.namelist()
    except zipfile.BadZipFile:
        return False
    finally:
        upload.seek(0)
