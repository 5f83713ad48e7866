"""Validating uploaded files before they are stored: size, extension, and the content itself.

A file's name and its browser-declared type prove nothing; the first bytes decide what it is. Only kinds a
school sends to families are allowed (documents, spreadsheets, images, plain text). An image is proved by
decoding it (a WebP header is only "RIFF", shared with audio and video), with its pixel count bounded before
any decoding, so that a small file declaring a huge picture (a decompression bomb) is refused unread.

Content a browser would run is refused whatever the file is called: an HTML page, an SVG drawing or a script
renamed to a text kind (`.txt`, `.csv`) is recognised from its first bytes as a browser sniffs them (the
WHATWG "MIME Sniffing" patterns, and a `<script`, `<svg`, `<html` or `<iframe` tag anywhere in the first
KiB, where old browsers looked). Files are also served as attachments with `nosniff`; this is the second
lock. A zip-based file (`.docx`, `.xlsx`, `.pptx`, `.odt`, and `.zip` where a caller accepts it) is judged
by its central directory alone, never unpacked: too many members, too much once expanded, a member that
expands far beyond its compressed size (a zip bomb), or a member named outside the archive is refused.
Readers that later unpack one (text extraction) still bound what they read: the sizes a zip declares are
what it claims, and the claim is what is refused here.

Photos are stored re-encoded (`PhotoField`): the bytes kept are a picture the server drew with Pillow, without
the upload's metadata (EXIF location, comments) or whatever was appended to it (a polyglot: a JPEG that is
also HTML or a zip), and no larger than a profile photo needs to be.
"""

from __future__ import annotations

import io
import re
import uuid
import warnings
import zipfile
from collections.abc import Iterable
from pathlib import Path

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

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
    # Accepted only where a caller names it (`extensions=`): a teacher may ask for a project as a zip.
    "zip": ("application/zip", (b"PK\x03\x04",)),
}
# Kinds accepted only when the caller names them; every other kind is accepted by default.
OPT_IN_EXTENSIONS = {"zip"}
ZIP_EXTENSIONS = {"docx", "xlsx", "pptx", "odt", "zip"}
IMAGE_EXTENSIONS = {"png", "jpg", "jpeg", "gif", "webp"}
# Pillow's format name for each image extension; a file must decode as the kind its name says.
IMAGE_FORMATS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "gif": "GIF", "webp": "WEBP"}
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


# A zip (or an Office/OpenDocument file) is refused, unread, beyond these: what its members add up to once
# expanded, how many members it has, and how far one member may expand beyond its compressed size (text and
# XML compress 5 to 20 times; zip bombs thousands of times). The ratio is judged on members that expand to
# more than ZIP_RATIO_FROM_BYTES only, so that a tiny, very repetitive part is not refused for its ratio.
ZIP_MAX_EXPANDED_BYTES = 100 * 1024 * 1024
ZIP_MAX_MEMBERS = 2000
ZIP_MAX_RATIO = 200
ZIP_RATIO_FROM_BYTES = 1024 * 1024

# The first bytes of what a browser would render as HTML or run as script (WHATWG MIME Sniffing, "rules
# for identifying an unknown MIME type": the HTML patterns are followed by a space or ">"; XML and PDF-less
# markup too), checked after leading whitespace and a byte-order mark.
_SNIFFED_TAGS = (
    b"<!doctype html",
    b"<html",
    b"<head",
    b"<script",
    b"<iframe",
    b"<h1",
    b"<div",
    b"<font",
    b"<table",
    b"<a",
    b"<style",
    b"<title",
    b"<b",
    b"<body",
    b"<br",
    b"<p",
    b"<!--",
    b"<svg",
    b"<object",
    b"<embed",
    b"<meta",
    b"<link",
    b"<img",
    b"<form",
)
_TAG_ENDS = (b" ", b">", b"\t", b"\n", b"\r", b"\x0c", b"/")
# Tags anywhere in the first KiB: what older browsers (and some mail readers) look for when they sniff.
_ACTIVE_ANYWHERE = re.compile(rb"<\s*(script|svg|html|iframe|object|embed)[\s>/]|<\?xml[^>]*\?>\s*<svg", re.I)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def allowed_extensions() -> list[str]:
    """The kinds accepted by default (a caller may narrow them, or add an opt-in kind, with `extensions`)."""
    return sorted(set(SIGNATURES) - OPT_IN_EXTENSIONS)


def accepted_extensions(extensions: Iterable[str] | None = None) -> list[str]:
    """The kinds a caller accepts: `extensions` (those the portal knows), or the default kinds."""
    if extensions is None:
        return allowed_extensions()
    return sorted({e.strip().lower().lstrip(".") for e in extensions} & set(SIGNATURES))


def validate_attachment(
    upload, *, max_bytes: int | None = None, extensions: Iterable[str] | None = None
) -> str:
    """Check an uploaded file; return its content type or raise ValidationError with a plain message.
    `extensions`: the kinds this upload may be (an assignment's accepted types); None: the default kinds."""
    limit = max_bytes or settings.STUDENTFLOW_ATTACHMENT_MAX_BYTES
    accepted = accepted_extensions(extensions)
    name = upload.name or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if upload.size == 0:
        raise ValidationError(_("%(name)s is empty.") % {"name": name})
    if upload.size > limit:
        raise ValidationError(
            _("%(name)s is too large (%(size)s). The limit is %(limit)s.")
            % {"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
        )
    if extension not in accepted:
        raise ValidationError(
            _("%(name)s is not an accepted kind of file. Accepted: %(kinds)s.")
            % {"name": name, "kinds": ", ".join(accepted)}
        )
    content_type, signatures = SIGNATURES[extension]
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    if signatures and not head.startswith(signatures):
        raise ValidationError(_("%(name)s is not really a .%(ext)s file.") % {"name": name, "ext": extension})
    if extension in IMAGE_EXTENSIONS:
        image = image_decode(upload, label=name)
        if image.format != IMAGE_FORMATS[extension]:
            raise ValidationError(
                _("%(name)s is not really a .%(ext)s file.") % {"name": name, "ext": extension}
            )
    if extension in ZIP_EXTENSIONS:
        _zip_check(upload, name=name, extension=extension)
    if not signatures:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            # A cut in the middle of a multi-byte character at the 2 KiB boundary is fine.
            if b"\x00" in head:
                raise ValidationError(_("%(name)s is not a text file.") % {"name": name}) from None
        if is_active_content(head):
            raise ValidationError(
                _(
                    "%(name)s holds a web page, a drawing or a script, not .%(ext)s text. "
                    "Save it as PDF or plain text and upload it again."
                )
                % {"name": name, "ext": extension}
            )
    return content_type


def is_active_content(head: bytes) -> bool:
    """Whether these first bytes are HTML, SVG, XML or script a browser would render or run."""
    start = head[:1024]
    for bom in _BOMS:
        if start.startswith(bom):
            start = start[len(bom) :]
            break
    lowered = start.lstrip(b" \t\n\r\x0c").lower()
    if lowered.startswith(b"<?xml"):
        return True
    for tag in _SNIFFED_TAGS:
        if lowered.startswith(tag) and lowered[len(tag) : len(tag) + 1] in _TAG_ENDS:
            return True
    return _ACTIVE_ANYWHERE.search(start) is not None


def _zip_check(upload, *, name: str, extension: str) -> None:
    """Refuse a zip-based file from its central directory alone (nothing is decompressed): damaged, not the
    kind its name says, too many members, expanding too far, or naming a path outside itself."""
    not_really = ValidationError(
        _("%(name)s is not really a .%(ext)s file.") % {"name": name, "ext": extension}
    )
    too_big = ValidationError(
        _(
            "%(name)s expands to more than %(limit)s once unpacked, or holds too many files; it was not "
            "opened. Make it smaller (fewer or smaller pictures) and upload it again."
        )
        % {"name": name, "limit": filesizeformat(ZIP_MAX_EXPANDED_BYTES)}
    )
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise not_really from None
    finally:
        upload.seek(0)
    marker = ZIP_MARKERS.get(extension)
    if marker is not None and marker not in {member.filename for member in members}:
        raise not_really
    if len(members) > ZIP_MAX_MEMBERS:
        raise too_big
    expanded = 0
    for member in members:
        expanded += member.file_size
        if expanded > ZIP_MAX_EXPANDED_BYTES:
            raise too_big
        if member.file_size > ZIP_RATIO_FROM_BYTES and member.file_size > ZIP_MAX_RATIO * max(
            member.compress_size, 1
        ):
            raise too_big
        path = member.filename.replace("\\", "/")
        if path.startswith("/") or ".." in path.split("/") or (len(path) > 1 and path[1] == ":"):
            raise ValidationError(
                _("%(name)s names files outside itself and was not opened.") % {"name": name}
            )


def image_decode(upload, *, label: str) -> Image.Image:
    """Decode an uploaded image completely, or raise ValidationError naming `label`.

    The pixel count is read from the header and checked before anything is decoded, against
    STUDENTFLOW_IMAGE_MAX_PIXELS (far below Pillow's own bomb limit, which only warns up to twice its
    value). Decoding every pixel is what proves a file is an image: a valid header with garbage after it
    is refused here, not served later."""
    limit = settings.STUDENTFLOW_IMAGE_MAX_PIXELS
    too_big = ValidationError(
        _("%(name)s has too many pixels to be accepted (the limit is %(limit)s megapixels).")
        % {"name": label, "limit": f"{limit / 1_000_000:g}"}
    )
    unreadable = ValidationError(
        _("%(name)s could not be read as an image: it is damaged or not an image.") % {"name": label}
    )
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(upload)
            width, height = image.size
            if width * height > limit:
                raise too_big
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_big from None
    except ValidationError:
        raise
    except Exception:
        # Pillow reports a damaged file with whatever its decoder raises (OSError, SyntaxError, ValueError,
        # struct.error...); all of them mean the same thing to the person uploading it.
        raise unreadable from None
    finally:
        upload.seek(0)
    return image


def image_reencode(upload, *, label: str, max_side: int, formats: set[str]) -> SimpleUploadedFile:
    """A new file holding only the pixels of `upload`, drawn by Pillow: upright (EXIF orientation applied,
    then dropped with the rest of the metadata), at most `max_side` pixels on its longer side, in the
    upload's format, which must be one of `formats` (PNG or WebP keep transparency; a JPEG stays a JPEG)."""
    image = image_decode(upload, label=label)
    source_format = image.format
    if source_format not in formats:
        raise ValidationError(_("%(name)s is not an accepted kind of image.") % {"name": label})
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    mode = "RGBA" if has_alpha and source_format in ("PNG", "WEBP") else "RGB"
    try:
        pixels = image.convert(mode)
    except (ValueError, OSError):
        raise ValidationError(
            _("%(name)s could not be read as an image: it is damaged or not an image.") % {"name": label}
        ) from None
    pixels.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    # A fresh image carries no `info` (EXIF, ICC, text chunks, comments) from the upload.
    clean = Image.new(mode, pixels.size)
    clean.paste(pixels)
    buffer = io.BytesIO()
    if source_format == "PNG":
        clean.save(buffer, format="PNG", optimize=True)
        extension, content_type = "png", "image/png"
    elif source_format == "WEBP":
        clean.save(buffer, format="WEBP", quality=85)
        extension, content_type = "webp", "image/webp"
    else:
        clean.save(buffer, format="JPEG", quality=85, optimize=True)
        extension, content_type = "jpg", "image/jpeg"
    stem = Path(upload.name or "photo").stem or "photo"
    result = SimpleUploadedFile(f"{stem}.{extension}", buffer.getvalue(), content_type=content_type)
    result.image = clean  # type: ignore[attr-defined]  # as Django's ImageField.to_python does
    return result


class PhotoField(forms.ImageField):
    """A profile photo: JPEG, PNG or WebP, at most STUDENTFLOW_PHOTO_MAX_BYTES, decoded with its pixels
    bounded, and replaced by a re-encoded copy (`image_reencode`) before the model stores it. Django's own
    ImageField only `verify()`s the header and stores the uploaded bytes as they came."""

    formats = {"JPEG", "PNG", "WEBP"}
    extensions = {"jpg", "jpeg", "png", "webp"}

    def to_python(self, data):
        upload = forms.FileField.to_python(self, data)
        if upload is None:
            return None
        limit = settings.STUDENTFLOW_PHOTO_MAX_BYTES
        if upload.size > limit:
            raise ValidationError(
                _("The photo is too large (%(size)s). The limit is %(limit)s.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
            )
        name = upload.name or ""
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if extension not in self.extensions:
            raise ValidationError(_("The photo must be a JPEG, PNG or WebP image."))
        return image_reencode(
            upload, label=_("The photo"), max_side=settings.STUDENTFLOW_PHOTO_MAX_SIDE, formats=self.formats
        )
