from django.db import migrations, models
from django.db.models import F


def published_were_notified(apps, schema_editor):
    """Everything published before this upgrade was announced by its own task (or is too old to announce
    now): only publications from now on are looked for by the lost-task sweep."""
    Assessment = apps.get_model("exams", "Assessment")
    TermStatus = apps.get_model("exams", "TermStatus")
    Assessment.objects.filter(published_at__isnull=False).update(notified_at=F("published_at"))
    TermStatus.objects.filter(results_published_at__isnull=False).update(
        results_notified_at=F("results_published_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0002_text_length_limits"),
    ]

    operations = [
        migrations.AddField(
            model_name="assessment",
            name="notified_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="termstatus",
            name="results_notified_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(published_were_notified, migrations.RunPython.noop),
    ]
