"""The timetable as a spreadsheet (modules/core/spreadsheets.py writes it): a row a lesson of the week
asked for, from the timetable in effect on each of its days, so it opens in any other tool."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _

from modules.core.audit import audit_log
from modules.timetable import selectors
from modules.timetable.models import Lesson


def timetable_export(*, day: datetime.date, user) -> tuple[list[str], list[list]]:
    """Headers and rows of the whole school's week holding `day`, with the audit event of who took it."""
    headers, rows = week_rows(selectors.school_weeks("sections", day))
    audit_log(
        actor=user,
        action="timetable.export",
        model=Lesson,
        description=f"week of {selectors.monday_of(day):%Y-%m-%d}",
        after={"week": selectors.monday_of(day).isoformat(), "lessons": len(rows)},
    )
    return headers, rows


def week_rows(weeks) -> tuple[list[str], list[list]]:
    headers = [
        _("Date"),
        _("Weekday"),
        _("Period"),
        _("Starts"),
        _("Ends"),
        _("Periods"),
        _("Section"),
        _("Subject"),
        _("Teachers"),
        _("Room"),
        _("Cover"),
    ]
    rows: list[list] = []
    for _section, grid in weeks:
        for day in grid.days:
            if day.closure is not None:
                continue
            for lesson in day.lessons:
                rows.append(
                    [
                        day.date,
                        day.label,
                        lesson.period.name,
                        lesson.period.start_time.strftime("%H:%M"),
                        lesson.ends.strftime("%H:%M"),
                        lesson.length,
                        lesson.offering.section.name,
                        lesson.offering.subject.name,
                        ", ".join(teacher.full_name for teacher in lesson.teachers),
                        lesson.room.name if lesson.room else "",
                        lesson.cover.teacher.full_name if lesson.cover else "",
                    ]
                )
    return headers, rows
