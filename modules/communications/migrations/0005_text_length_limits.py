import django.db.models.functions.text
import django.db.models.lookups
from django.conf import settings
from django.db import migrations, models

from modules.core.limits import text_truncate


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),  # text_truncate keeps cut text in the audit log
        ("academics", "0003_text_length_limits"),
        ("communications", "0004_fee_notification_kinds"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Rows longer than the new limit (written before forms had one) are cut first.
        text_truncate("communications.Announcement", "body", 10000),
        text_truncate("communications.Message", "body", 10000),
        migrations.AddConstraint(
            model_name="announcement",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("body"), 10000
                ),
                name="communications_announcement_body_length",
                violation_error_message="This text is too long: at most 10000 characters.",
            ),
        ),
        migrations.AddConstraint(
            model_name="message",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("body"), 10000
                ),
                name="communications_message_body_length",
                violation_error_message="This text is too long: at most 10000 characters.",
            ),
        ),
    ]
