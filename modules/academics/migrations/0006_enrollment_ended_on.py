# An enrolment keeps the day it ended (the census read it from the audit log, which the retention schedule
# may since have emptied). Existing ended enrolments take the day of their latest ending audit event, as the
# census counted them; one without such an event keeps no day, as before.

import django.utils.timezone
from django.db import migrations, models
from django.db.models import Q

ENDED = ["withdrawn", "transferred"]


def ended_days(apps, schema_editor):
    Enrollment = apps.get_model("academics", "Enrollment")
    AuditEvent = apps.get_model("core", "AuditEvent")
    ending = Q(action="enrollment.withdraw") | Q(
        action="enrollment.update", before__status="active", after__status__in=ENDED
    )
    ended = {}
    events = AuditEvent.objects.filter(ending, object_type="academics.enrollment").order_by("at")
    for object_id, at in events.values_list("object_id", "at").iterator(chunk_size=2000):
        if object_id.isdigit():
            ended[int(object_id)] = django.utils.timezone.localdate(at)
    by_day = {}
    for pk, day in ended.items():
        by_day.setdefault(day, []).append(pk)
    for day, pks in by_day.items():
        Enrollment.objects.filter(status__in=ENDED, pk__in=pks).update(ended_on=day)


class Migration(migrations.Migration):
    dependencies = [
        ("academics", "0005_delete_timetableentry"),
        ("core", "0005_school_shows_class_average"),
    ]

    operations = [
        migrations.AddField(
            model_name="enrollment",
            name="ended_on",
            field=models.DateField(
                blank=True,
                help_text="The day the student left this section; set when the enrolment stops being active.",
                null=True,
                verbose_name="ended on",
            ),
        ),
        migrations.RunPython(ended_days, migrations.RunPython.noop),
    ]
