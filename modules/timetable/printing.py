"""The printed timetable (modules/core/pdf.py): one A4 landscape page per section, teacher or room, and the
whole school's booklet of them.

The booklet is laid out while the office waits, not on the queue: a page is a small fixed table (the
teaching periods × the school days), so a hundred pages take a few seconds, well inside the PDF layout's
time limit (STUDENTFLOW_PDF_TIMEOUT). A school with more pages than BOOKLET_MAX_PAGES is asked to print
sections, teachers and rooms one booklet at a time, which each stay under it; past that, a job (like the
report cards' batches) would be the way, and is not needed by any school this size.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from modules.core.models import SchoolProfile
from modules.core.pdf import render_pdf

BOOKLET_MAX_PAGES = 250


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
    if len(weeks) > BOOKLET_MAX_PAGES:
        return ngettext(
            "This booklet would have %(count)d pages, more than the %(limit)d page printed at once.",
            "This booklet would have %(count)d pages, more than the %(limit)d pages printed at once.",
            BOOKLET_MAX_PAGES,
        ) % {"count": len(weeks), "limit": BOOKLET_MAX_PAGES}
    return ""


def booklet_pdf(kind: str, weeks, *, request=None) -> bytes:
    single = {"sections": "section", "teachers": "teacher", "rooms": "room"}[kind]
    title = {
        "sections": _("Timetable: every section"),
        "teachers": _("Timetable: every teacher"),
        "rooms": _("Timetable: every room"),
    }[kind]
    pages = []
    for owner, grid in weeks:
        if single == "section":
            heading = _("Section %(name)s") % {"name": owner}
        elif single == "room":
            heading = _("Room %(name)s") % {"name": owner}
        else:
            heading = owner.full_name
        pages.append((heading, single, grid))
    return weeks_pdf(pages, title=title, request=request)
