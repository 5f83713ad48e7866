import django.db.models.functions.text
import django.db.models.lookups
from django.conf import settings
from django.db import migrations, models

from modules.core.limits import text_truncate


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),  # text_truncate keeps cut text in the audit log
        ("people", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="guardian",
            name="address",
            field=models.TextField(blank=True, max_length=500, verbose_name="address"),
        ),
        migrations.AlterField(
            model_name="staff",
            name="address",
            field=models.TextField(blank=True, max_length=500, verbose_name="address"),
        ),
        migrations.AlterField(
            model_name="student",
            name="address",
            field=models.TextField(blank=True, max_length=500, verbose_name="address"),
        ),
        migrations.AlterField(
            model_name="student",
            name="medical_notes",
            field=models.TextField(
                blank=True,
                help_text="Visible to administrators only.",
                max_length=5000,
                verbose_name="health notes",
            ),
        ),
        # Rows longer than the new limit (written before forms had one) are cut first.
        text_truncate("people.Guardian", "address", 500),
        text_truncate("people.Staff", "address", 500),
        text_truncate("people.Student", "address", 500),
        text_truncate("people.Student", "medical_notes", 5000),
        migrations.AddConstraint(
            model_name="guardian",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("address"), 500
                ),
                name="people_guardian_address_length",
                violation_error_message="This text is too long: at most 500 characters.",
            ),
        ),
        migrations.AddConstraint(
            model_name="staff",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("address"), 500
                ),
                name="people_staff_address_length",
                violation_error_message="This text is too long: at most 500 characters.",
            ),
        ),
        migrations.AddConstraint(
            model_name="student",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("address"), 500
                ),
                name="people_student_address_length",
                violation_error_message="This text is too long: at most 500 characters.",
            ),
        ),
        migrations.AddConstraint(
            model_name="student",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("medical_notes"), 5000
                ),
                name="people_student_medical_notes_length",
                violation_error_message="This text is too long: at most 5000 characters.",
            ),
        ),
    ]
