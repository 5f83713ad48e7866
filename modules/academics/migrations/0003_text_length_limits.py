import django.db.models.functions.text
import django.db.models.lookups
from django.db import migrations, models

from modules.core.limits import text_truncate


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),  # text_truncate keeps cut text in the audit log
        ("academics", "0002_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="calendarevent",
            name="notes",
            field=models.TextField(blank=True, max_length=2000, verbose_name="notes"),
        ),
        # Rows longer than the new limit (written before forms had one) are cut first.
        text_truncate("academics.CalendarEvent", "notes", 2000),
        migrations.AddConstraint(
            model_name="calendarevent",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("notes"), 2000
                ),
                name="academics_calendarevent_notes_length",
                violation_error_message="This text is too long: at most 2000 characters.",
            ),
        ),
    ]
