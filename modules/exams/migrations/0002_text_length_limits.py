import django.db.models.functions.text
import django.db.models.lookups
from django.conf import settings
from django.db import migrations, models

from modules.core.limits import text_truncate


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),  # text_truncate keeps cut text in the audit log
        ("academics", "0003_text_length_limits"),
        ("exams", "0001_initial"),
        ("people", "0002_text_length_limits"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Rows longer than the new limit (written before forms had one) are cut first.
        text_truncate("exams.TermComment", "text", 1500),
        migrations.AddConstraint(
            model_name="termcomment",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("text"), 1500
                ),
                name="exams_termcomment_text_length",
                violation_error_message="This text is too long: at most 1500 characters.",
            ),
        ),
    ]
