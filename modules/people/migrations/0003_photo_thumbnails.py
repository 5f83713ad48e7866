"""Photo thumbnails: the column, then the thumbnail of every photo already stored (made once, here; new
photos get theirs when they are saved). `manage.py photos_thumbnail` makes them again if needed."""

from django.db import migrations, models


def make_thumbnails(apps, schema_editor):
    from modules.people.thumbnails import thumbnail_refresh

    for name in ("Student", "Staff"):
        model = apps.get_model("people", name)
        for person in model.objects.exclude(photo="").filter(photo_thumb="").iterator():
            if thumbnail_refresh(person):
                model.objects.filter(pk=person.pk).update(photo_thumb=person.photo_thumb.name)


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0002_text_length_limits"),
    ]

    operations = [
        migrations.AddField(
            model_name="staff",
            name="photo_thumb",
            field=models.ImageField(
                blank=True, editable=False, upload_to="photos/thumbs/", verbose_name="photo thumbnail"
            ),
        ),
        migrations.AddField(
            model_name="student",
            name="photo_thumb",
            field=models.ImageField(
                blank=True, editable=False, upload_to="photos/thumbs/", verbose_name="photo thumbnail"
            ),
        ),
        migrations.RunPython(make_thumbnails, migrations.RunPython.noop),
    ]
