"""Publishing a timetable: it takes effect from a date, and the one in effect before it ends the day before.

Registers taken per lesson (attendance) on or after that date for lessons the new timetable no longer has
would be left without their lesson: publishing says how many and asks first (`confirm`), and never deletes
them. They are counted by `editing.registers_taken`, as moving a lesson of the published timetable counts
them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from modules.academics.models import CourseOffering
from modules.core.audit import audit_log
from modules.timetable.editing import StaleTimetable, registers_taken
from modules.timetable.models import Lesson, Timetable, TimetableStatus


class PublishRefused(Exception):
    """The timetable cannot be published as asked; the message says why."""


@dataclass
class PublishResult:
    published: bool
    timetable: Timetable
    # Registers taken on or after the date for lessons the new timetable does not have (kept either way).
    orphaned_registers: int = 0
    ended: list[Timetable] = field(default_factory=list)  # in effect before: now end the day before
    replaced: list[Timetable] = field(default_factory=list)  # published from that date or later: drafts again


def orphaned_registers(*, timetable: Timetable, effective_from: datetime.date) -> int:
    """Lesson registers taken from `effective_from` to the year's end whose class, weekday and period the
    timetable does not have."""
    kept = set(timetable.lessons.placed().values_list("offering_id", "weekday", "period_id"))
    taken = registers_taken(
        offerings=CourseOffering.objects.filter(section__year=timetable.year_id),
        start=effective_from,
        end=timetable.year.end_date,
    )
    return sum(
        1 for offering_id, day, period_id in taken if (offering_id, day.weekday(), period_id) not in kept
    )


@transaction.atomic
def timetable_publish(
    *,
    timetable: Timetable,
    effective_from: datetime.date,
    user,
    confirm: bool = False,
    version: int | None = None,
) -> PublishResult:
    """Publish `timetable` (a draft) from `effective_from`. Without `confirm`, refuses (published=False) when
    registers already taken would lose their lesson, with their count; they are kept either way."""
    current = Timetable.objects.select_for_update().select_related("year").get(pk=timetable.pk)
    if version is not None and current.version != version:
        raise StaleTimetable
    if current.status != TimetableStatus.DRAFT:
        raise PublishRefused(_("Only a draft can be published."))
    year = current.year
    if not year.start_date <= effective_from <= year.end_date:
        raise PublishRefused(
            _("The date must be within the year %(year)s (%(start)s – %(end)s).")
            % {
                "year": year.name,
                "start": date_format(year.start_date, "SHORT_DATE_FORMAT"),
                "end": date_format(year.end_date, "SHORT_DATE_FORMAT"),
            }
        )
    unplaced = current.lessons.filter(weekday__isnull=True).count()
    if unplaced:
        raise PublishRefused(
            ngettext(
                "%(count)s lesson is not placed yet: place it first (move it to a free slot).",
                "%(count)s lessons are not placed yet: place them first (move each to a free slot).",
                unplaced,
            )
            % {"count": unplaced}
        )
    orphans = orphaned_registers(timetable=current, effective_from=effective_from)
    result = PublishResult(published=False, timetable=current, orphaned_registers=orphans)
    if orphans and not confirm:
        return result
    for other in Timetable.objects.select_for_update().filter(year=year, status=TimetableStatus.PUBLISHED):
        starts = other.effective_from or year.start_date
        ends = other.effective_until or year.end_date
        if starts >= effective_from:
            result.replaced.append(other)
            Timetable.objects.filter(pk=other.pk).update(
                status=TimetableStatus.DRAFT,
                effective_from=None,
                effective_until=None,
                version=F("version") + 1,
            )
            audit_log(actor=user, action="timetable.unpublish", obj=other, after={"replaced_by": current.pk})
        elif ends >= effective_from:
            result.ended.append(other)
            until = effective_from - datetime.timedelta(days=1)
            Timetable.objects.filter(pk=other.pk).update(effective_until=until, version=F("version") + 1)
            audit_log(
                actor=user,
                action="timetable.end",
                obj=other,
                before={"effective_until": str(other.effective_until or "")},
                after={"effective_until": until.isoformat()},
            )
    Timetable.objects.filter(pk=current.pk).update(
        status=TimetableStatus.PUBLISHED,
        effective_from=effective_from,
        effective_until=None,
        published_at=timezone.now(),
        published_by=user,
        version=F("version") + 1,
    )
    _teachers_chosen(current, user)
    current.refresh_from_db()
    audit_log(
        actor=user,
        action="timetable.publish",
        obj=current,
        after={"effective_from": effective_from.isoformat(), "orphaned_registers": orphans},
    )
    result.published = True
    result.timetable = current
    return result


def _teachers_chosen(timetable: Timetable, user) -> None:
    """A class with no teacher whose teacher the solver chose among the candidates: that teacher is now the
    class's teacher (the requirement says so)."""
    chosen = (
        Lesson.objects.filter(timetable=timetable, offering__teacher__isnull=True, teacher__isnull=False)
        .values_list("offering_id", "teacher_id")
        .distinct()
    )
    for offering_id, teacher_id in chosen:
        updated = CourseOffering.objects.filter(pk=offering_id, teacher__isnull=True).update(
            teacher_id=teacher_id
        )
        if updated:
            offering = CourseOffering.objects.get(pk=offering_id)
            audit_log(
                actor=user, action="academics.offering_teacher", obj=offering, after={"teacher": teacher_id}
            )
