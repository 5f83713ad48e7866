"""The printed timetable (modules/core/pdf.py): one A4 landscape page per section, teacher or room, and the
whole school's booklet of them.

A booklet of up to BOOKLET_AT_ONCE pages is laid out while the office waits. A larger one (a hundred
sections) takes longer than one layout may (STUDENTFLOW_PDF_TIMEOUT), so it is a background job, as report
cards are: `timetable_booklet_start` queues it (tasks/timetable_booklet.py runs `timetable_booklet_run`
under the job's lease), which lays the pages out BOOKLET_CHUNK at a time, each layout within the limit,
reports its progress after each, and puts them into one PDF, the job's file, downloaded from its page.
"""

from __future__ import annotations

import datetime
import io

from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from modules.core.jobs import job_enqueue, job_finish, job_heartbeat
from modules.core.models import Job, JobStatus, SchoolProfile
from modules.core.pdf import render_pdf
from modules.timetable import selectors

BOOKLET_AT_ONCE = 20
BOOKLET_CHUNK = 10
BOOKLET_JOB_KIND = "timetable_booklet"


def weeks_pdf(pages, *, title: str, request=None) -> bytes:
    """`pages`: (heading, kind, WeekGrid) — kind ("section", "teacher", "room", "student") says what each
    lesson shows beside its subject."""
    context = {
        "school": SchoolProfile.load(),
        "title": title,
        "pages": [{"heading": heading, "kind": kind, "grid": grid} for heading, kind, grid in pages],
        "printed_at": timezone.now(),
    }
    return render_pdf("timetable/week/pdf.html", context, request=request)


def booklet_refusal(weeks) -> str:
    if not weeks:
        return _("There is no published timetable in effect that week: nothing to print.")
    return ""


def booklet_title(kind: str) -> str:
    return {
        "sections": _("Timetable: every section"),
        "teachers": _("Timetable: every teacher"),
        "rooms": _("Timetable: every room"),
    }[kind]


def booklet_pages(kind: str, weeks) -> list[tuple[str, str, selectors.WeekGrid]]:
    single = {"sections": "section", "teachers": "teacher", "rooms": "room"}[kind]
    pages = []
    for owner, grid in weeks:
        if single == "section":
            heading = pgettext("a section's timetable", "Section %(name)s") % {"name": owner}
        elif single == "room":
            heading = _("Room %(name)s") % {"name": owner}
        else:
            heading = owner.full_name
        pages.append((heading, single, grid))
    return pages


def booklet_pdf(kind: str, weeks, *, request=None) -> bytes:
    return weeks_pdf(booklet_pages(kind, weeks), title=booklet_title(kind), request=request)


def timetable_booklet_start(*, kind: str, day: datetime.date, user) -> Job:
    """Queue the booklet of every section's (teacher's, room's) week holding `day`; its page follows it."""
    job = Job.objects.create(
        kind=BOOKLET_JOB_KIND,
        owner=user,
        payload={"kind": kind, "day": day.isoformat()},
        result={"title": booklet_title(kind)},
    )
    return job_enqueue(job=job)


def timetable_booklet_run(*, job: Job) -> None:
    """Lay the booklet out a chunk at a time (safe to run again: it starts over and replaces the file)."""
    kind = job.payload["kind"]
    day = datetime.date.fromisoformat(job.payload["day"])
    pages = booklet_pages(kind, selectors.school_weeks(kind, day))
    total = max(len(pages), 1)
    job_heartbeat(job=job, total=total, done=0)
    parts = []
    for first in range(0, len(pages), BOOKLET_CHUNK):
        parts.append(weeks_pdf(pages[first : first + BOOKLET_CHUNK], title=booklet_title(kind)))
        job_heartbeat(job=job, done=min(first + BOOKLET_CHUNK, total))
    merged = _merge(parts)
    job.result_file.save(
        f"timetable-{kind}-{selectors.monday_of(day):%Y-%m-%d}.pdf", ContentFile(merged), save=False
    )
    job_finish(
        job=job,
        status=JobStatus.SUCCEEDED,
        message=_("%(count)s pages in one PDF.") % {"count": len(pages)},
        result_file=job.result_file.name,
        done=total,
        total=total,
    )


def timetable_booklet_fail(*, job: Job, error: Exception) -> None:
    job_finish(
        job=job,
        status=JobStatus.FAILED,
        message=_("The timetable could not be printed: %(error)s") % {"error": error},
    )


def _merge(parts: list[bytes]) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for content in parts:
        writer.append(PdfReader(io.BytesIO(content)))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
