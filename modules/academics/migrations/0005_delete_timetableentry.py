# The hand-filled grid is gone: timetable 0002 moved its rows into published timetables' lessons.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("academics", "0004_room_types"),
        ("timetable", "0002_timetable_from_academics_entries"),
    ]

    operations = [
        migrations.DeleteModel(name="TimetableEntry"),
    ]
