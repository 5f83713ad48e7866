"""The small square thumbnail of a profile photo, made once when the photo is stored.

Lists of people (the register above all: 40 rows on a page a teacher opens several times a day) show a 40 px
avatar; sending them the stored photo (up to STUDENTFLOW_PHOTO_MAX_SIDE pixels) cost a request of tens of KB
per row. The thumbnail is THUMBNAIL_SIDE pixels square (sharp at twice the avatar's size), WebP, a few KB.

Its file is named after the photo's (`photos/thumbs/<model>/<photo name>.webp`): a thumbnail is current when
its name starts with its photo's, so a new photo (a new random name) is noticed without another column, and
the thumbnail's name, hashed, is the version in its URL and its ETag (`thumbnail_version`).

Only Pillow and the file fields are used here (no model imported), so that the models' `save()` and the data
migration (historical models) share it.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, ImageOps

from modules.core.uploads import image_decode

THUMBNAIL_SIDE = 96
THUMBNAIL_FOLDER = "photos/thumbs/"
THUMBNAIL_CONTENT_TYPE = "image/webp"


def thumbnail_render(photo) -> ContentFile:
    """The thumbnail of a stored photo: centred, cropped square (the avatar is round and covers its box),
    THUMBNAIL_SIDE pixels, WebP. Raises ValidationError when the file is not an image, OSError when it is
    missing."""
    with photo.open("rb") as stored:
        image = image_decode(io.BytesIO(stored.read()), label=PurePosixPath(photo.name).name)
    image = ImageOps.exif_transpose(image)
    mode = "RGBA" if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info else "RGB"
    square = ImageOps.fit(image.convert(mode), (THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    square.save(buffer, format="WEBP", quality=80, method=4)
    return ContentFile(buffer.getvalue())


def _is_for(thumbnail_name: str, photo_name: str) -> bool:
    return PurePosixPath(thumbnail_name).stem.startswith(PurePosixPath(photo_name).stem)


def thumbnail_refresh(person) -> bool:
    """Give `person` (a Student or Staff, not saved yet) the thumbnail of its photo, if it has none for this
    photo, or take it off when the photo is gone. Returns whether `photo_thumb` changed. A photo whose file is
    missing or is not an image gets no thumbnail (lists show the photo itself, or initials)."""
    photo, thumb = person.photo, person.photo_thumb
    old = thumb.name or ""
    if not photo:
        if not old:
            return False
        person.photo_thumb = ""
        _delete_on_commit(thumb.storage, old)
        return True
    if not photo._committed:
        # A new upload, stored here rather than by the field's pre_save, so the thumbnail is named after it.
        photo.save(photo.name, photo.file, save=False)
    if old and _is_for(old, photo.name):
        return False
    try:
        content = thumbnail_render(photo)
    except (OSError, ValidationError):
        content = None
    if content is None:
        person.photo_thumb = ""
    else:
        model = type(person).__name__.lower()
        person.photo_thumb.save(f"{model}/{PurePosixPath(photo.name).stem}.webp", content, save=False)
    if old:
        _delete_on_commit(thumb.storage, old)
    return (person.photo_thumb.name or "") != old


def thumbnail_version(thumbnail_name: str) -> str:
    """What changes when the thumbnail does: its URL's `v` and its ETag."""
    return hashlib.sha256(thumbnail_name.encode()).hexdigest()[:12]


def _delete_on_commit(storage, name: str) -> None:
    def delete() -> None:
        if storage.exists(name):
            storage.delete(name)

    transaction.on_commit(delete)
