"""People no longer manage email addresses themselves. Rows of allauth's EmailAddress that are not the
login's own address (a second address someone added, possibly another person's, the way accounts were taken
over) are removed, so password resets and confirmations for them no longer reach that login."""

from django.db import migrations
from django.db.models import F
from django.db.models.functions import Lower


def forget_foreign_addresses(apps, schema_editor):
    EmailAddress = apps.get_model("account", "EmailAddress")
    (
        EmailAddress.objects.annotate(address=Lower("email"), login=Lower("user__email"))
        .exclude(address=F("login"))
        .delete()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_session_epoch_email_ci"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(forget_foreign_addresses, migrations.RunPython.noop)]
