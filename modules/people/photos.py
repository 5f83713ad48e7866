"""Profile photos: where lists show them (their thumbnails), and the repairs of stored photos.

`photo_thumbnail_url` is the URL of a person's thumbnail (modules/people/thumbnails.py, served by
views_photos.py); `photos_thumbnail` makes the thumbnails a stored photo lacks (the data migration did it
once; `manage.py photos_thumbnail` does it again).

Profile photos stored before they were re-encoded on upload: re-encode them in place, once.

Uploads have been re-encoded by `modules.core.uploads.PhotoField` since it existed; a photo stored earlier
is whatever bytes were sent, possibly with a payload appended (a polyglot) or with the camera's metadata.
`photos_reencode` rewrites each one as the upload path would have, and takes off a stored "photo" that
does not decode as an image at all (it was never a picture anyone could see).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse

from modules.core.audit import audit_log
from modules.core.uploads import PhotoField, image_reencode
from modules.people.models import Person, Staff, Student
from modules.people.thumbnails import thumbnail_refresh, thumbnail_version


def photo_thumbnail_url(person: Student | Staff) -> str:
    """Where a list shows this person's photo: its versioned thumbnail, the photo itself while it has none
    (a stored file that could not be read), or "" when there is no photo (initials, no request)."""
    kind = "student" if isinstance(person, Student) else "staff"
    if person.photo_thumb:
        url = reverse(f"people:{kind}_photo_thumbnail", args=[person.pk])
        return f"{url}?v={thumbnail_version(person.photo_thumb.name)}"
    if person.photo:
        return reverse(f"people:{kind}_photo", args=[person.pk])
    return ""


def photos_thumbnail() -> int:
    """Make the thumbnail of every stored photo that has none (or one of an older photo). Safe to run twice:
    a current thumbnail is left as it is. Returns how many changed (made, or taken off an unreadable
    photo)."""
    made = 0
    for model in (Student, Staff):
        for person in model.objects.exclude(photo="").iterator():
            with transaction.atomic():
                if thumbnail_refresh(person):
                    model.objects.filter(pk=person.pk).update(photo_thumb=person.photo_thumb.name)
                    made += 1
    return made


@dataclass
class PhotosReencoded:
    rewritten: int = 0
    removed: list[str] = field(default_factory=list)


def photos_reencode(*, by=None) -> PhotosReencoded:
    """Re-encode every stored student and staff photo. Safe to run twice (a re-encoded photo is simply
    re-encoded again, losslessly for PNG, and stays a clean image)."""
    result = PhotosReencoded()
    for model in (Student, Staff):
        for person in model.objects.exclude(photo="").iterator():
            if photo_reencode(person=person, by=by):
                result.rewritten += 1
            else:
                result.removed.append(f"{model._meta.verbose_name} {person.pk}")
    return result


def photo_reencode(*, person: Person, by=None) -> bool:
    """Replace one stored photo by its re-encoded copy; False when it was not an image and was removed."""
    old_name = person.photo.name
    storage = person.photo.storage
    try:
        with person.photo.open("rb") as stored:
            upload = SimpleUploadedFile(Path(old_name).name, stored.read())
    except FileNotFoundError:
        upload = None
    clean = None
    if upload is not None:
        try:
            clean = image_reencode(
                upload,
                label=Path(old_name).name,
                max_side=settings.STUDENTFLOW_PHOTO_MAX_SIDE,
                formats=PhotoField.formats,
            )
        except ValidationError:
            clean = None
    with transaction.atomic():
        if clean is None:
            person.photo = ""
        else:
            person.photo.save(clean.name, clean, save=False)
        person.save(update_fields=["photo"])
        if clean is None:
            audit_log(actor=by, action="photo.remove", obj=person, before={"photo": old_name})
        transaction.on_commit(lambda: _delete(storage, old_name))
    return clean is not None


def _delete(storage, name: str) -> None:
    if storage.exists(name):
        storage.delete(name)
