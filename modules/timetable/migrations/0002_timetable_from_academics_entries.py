"""The hand-filled weekly grid (academics.TimetableEntry) becomes a published timetable.

Every year with entries gets one published Timetable ("Timetable 2026–2027"), in effect from the year's
first day, with a one-period Lesson per entry: the entry's class, weekday, period and room, taught by the
class's teacher. academics 0005 then drops TimetableEntry, so from here on Lessons are the only timetable.

Going back rebuilds the entries from each year's latest published timetable (a double lesson gives the
entry of each of its two periods); the timetables stay.
"""

from __future__ import annotations

from django.db import migrations
from django.utils import timezone

BATCH = 2000


def entries_to_lessons(apps, schema_editor):
    TimetableEntry = apps.get_model("academics", "TimetableEntry")
    Timetable = apps.get_model("timetable", "Timetable")
    Lesson = apps.get_model("timetable", "Lesson")
    entries = TimetableEntry.objects.select_related("offering__section__year").order_by(
        "offering__section__year__start_date", "pk"
    )
    timetables: dict[int, object] = {}
    lessons = []
    now = timezone.now()
    for entry in entries.iterator(chunk_size=BATCH):
        year = entry.offering.section.year
        timetable = timetables.get(year.pk)
        if timetable is None:
            timetable = Timetable.objects.create(
                year=year,
                name=f"Timetable {year.start_date.year}–{year.end_date.year}",
                status="published",
                effective_from=year.start_date,
                published_at=now,
            )
            timetables[year.pk] = timetable
        lessons.append(
            Lesson(
                timetable=timetable,
                offering_id=entry.offering_id,
                teacher_id=entry.offering.teacher_id,
                weekday=entry.weekday,
                period_id=entry.period_id,
                length=1,
                room_id=entry.room_id,
            )
        )
        if len(lessons) >= BATCH:
            Lesson.objects.bulk_create(lessons)
            lessons = []
    Lesson.objects.bulk_create(lessons)


def lessons_to_entries(apps, schema_editor):
    TimetableEntry = apps.get_model("academics", "TimetableEntry")
    Timetable = apps.get_model("timetable", "Timetable")
    Lesson = apps.get_model("timetable", "Lesson")
    Period = apps.get_model("academics", "Period")
    following = {}
    periods = list(Period.objects.order_by("order").values_list("pk", flat=True))
    for first, second in zip(periods, periods[1:], strict=False):
        following[first] = second
    latest: dict[int, int] = {}
    for timetable in Timetable.objects.filter(status="published").order_by("published_at", "pk"):
        latest[timetable.year_id] = timetable.pk
    entries = {}
    lessons = Lesson.objects.filter(timetable_id__in=latest.values(), weekday__isnull=False)
    for lesson in lessons.iterator(chunk_size=BATCH):
        slots = [lesson.period_id]
        if lesson.length == 2 and lesson.period_id in following:
            slots.append(following[lesson.period_id])
        for period_id in slots:
            key = (lesson.offering_id, lesson.weekday, period_id)
            entries[key] = TimetableEntry(
                offering_id=lesson.offering_id,
                weekday=lesson.weekday,
                period_id=period_id,
                room_id=lesson.room_id,
            )
    TimetableEntry.objects.bulk_create(entries.values(), batch_size=BATCH, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("timetable", "0001_initial"),
        ("academics", "0004_room_types"),
    ]

    operations = [migrations.RunPython(entries_to_lessons, lessons_to_entries, elidable=True)]
