import django.db.models.functions.text
import django.db.models.lookups
from django.conf import settings
from django.db import migrations, models

from modules.core.limits import text_truncate


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),  # text_truncate keeps cut text in the audit log
        ("attendance", "0003_record_index_covers_analytics"),
        ("people", "0002_text_length_limits"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Rows longer than the new limit (written before forms had one) are cut first.
        text_truncate("attendance.AbsenceNote", "reason", 2000),
        migrations.AddConstraint(
            model_name="absencenote",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("reason"), 2000
                ),
                name="attendance_absencenote_reason_length",
                violation_error_message="This text is too long: at most 2000 characters.",
            ),
        ),
    ]
