import django.db.models.functions.text
import django.db.models.lookups
from django.conf import settings
from django.db import migrations, models

from modules.core.limits import text_truncate


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_record_view"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="reason",
            field=models.TextField(blank=True, max_length=2000, verbose_name="reason"),
        ),
        migrations.AlterField(
            model_name="schoolprofile",
            name="address",
            field=models.TextField(blank=True, max_length=500, verbose_name="address"),
        ),
        # Rows longer than the new limit (written before forms had one) are cut first.
        text_truncate("core.AuditEvent", "reason", 2000),
        text_truncate("core.SchoolProfile", "address", 500),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("reason"), 2000
                ),
                name="core_auditevent_reason_length",
                violation_error_message="This text is too long: at most 2000 characters.",
            ),
        ),
        migrations.AddConstraint(
            model_name="schoolprofile",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("address"), 500
                ),
                name="core_schoolprofile_address_length",
                violation_error_message="This text is too long: at most 500 characters.",
            ),
        ),
    ]
