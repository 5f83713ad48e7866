"""A lesson of a week (the page's grid, its phone list of days, the PDF): {% week_lesson lesson kind links %};
and what a cell of the page's grid holds (its lessons, the doubles continued from the period before, or "Free"
for screen readers): {% week_cell slot kind links %}. `links` (the view's `teacher_links`, true only where
the viewer may open any teacher's week: the office's pages, never the PDF) makes each of a lesson's teachers,
its co-teachers included, a link to that teacher's week.

Written here, not as an included template: a lesson is the innermost loop of the week pages, drawn twice on
each (the grid and the phone's list), and the included template, with its tests and translations, was half
of the page's template time on the large school; an f-string with each value escaped draws it in a tenth of
that (as the register's rows, modules/attendance/views_register.py). The texts are translated once per
language (`_words`). `kind` is the week's: "student", "section", "teacher" or "room"; `lesson.teachers`,
`.teacher_names`, `.cover`, `.covering` and `.co_teacher_away` are set by modules/timetable/selectors.py.
"""

from __future__ import annotations

from functools import cache, lru_cache

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import translation
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

register = template.Library()


@cache
def _words(language: str | None) -> dict[str, str]:
    """A lesson's texts in a language, escaped as {% translate %} escapes them; the two sentences with a
    name are escaped at use, as {% blocktranslate %} does (its name only)."""
    with translation.override(language):
        words = {
            "double": _("double"),
            "section": _("Section"),
            "no_teacher": _("No teacher"),
            "room": _("Room"),
            "no_room": _("No room"),
        }
        words["free"] = _("Free")
        sentences = {
            "cover_for": _("Cover for %(name)s"),
            "covered_by": _("Covered by %(name)s"),
            # A co-teacher away: the lesson's teacher still teaches it (Cover.takes_register is false).
            "co_teacher_covered": _("Co-teacher %(absent)s covered by %(name)s"),
            "continued": _("%(subject)s (continued)"),
        }
    return {key: conditional_escape(text) for key, text in words.items()} | sentences


@register.simple_tag
def week_cell(slot, kind: str, links: bool = False) -> SafeString:
    """A grid cell's content, as the page drew it with a loop of lessons, a loop of continued doubles and the
    empty cell's word: one tag for a cell instead of about ten for each of a week's forty cells."""
    words = _words(translation.get_language())
    last = len(slot.lessons) - 1
    lessons = "".join(
        f'<div class="tt-lesson{"" if index == last else " mb-2"}">{week_lesson(lesson, kind, links)}</div>'
        for index, lesson in enumerate(slot.lessons)
    )
    continued = "".join(
        '<div class="tt-continued small text-body-secondary">'
        + words["continued"] % {"subject": conditional_escape(lesson.offering.subject.name)}
        + "</div>"
        for lesson in slot.continued
    )
    free = f'<span class="visually-hidden">{words["free"]}</span>' if slot.empty else ""
    return mark_safe(f"{lessons}\n            {continued}\n            {free}")


@register.simple_tag
def week_lesson(lesson, kind: str, links: bool = False) -> SafeString:
    words = _words(translation.get_language())
    shown = lesson.__dict__
    html = f'\n<span class="tt-subject fw-semibold">{conditional_escape(lesson.offering.subject.name)}</span>'
    if lesson.length == 2:
        html += f' <span class="tt-note">({words["double"]})</span>'
    html += "\n"
    if kind in ("teacher", "room"):
        section = conditional_escape(lesson.offering.section.name)
        html += f'<span class="tt-line">{words["section"]} {section}</span>'
    html += "\n"
    if kind != "teacher":
        names = shown.get("teacher_names")
        teachers = shown.get("teachers")
        if links and teachers:
            on = shown.get("date")
            href = _teacher_week() + (f"?date={on:%Y-%m-%d}" if on else "")
            names = ", ".join(
                f'<a href="{href % teacher.pk}">{conditional_escape(teacher.full_name)}</a>'
                for teacher in teachers
            )
        elif names:
            names = conditional_escape(names)
        html += f'<span class="tt-line">{names or words["no_teacher"]}</span>'
    html += "\n"
    if kind != "room":
        room = lesson.room
        where = f"{words['room']} {conditional_escape(room.name)}" if room else words["no_room"]
        html += f'<span class="tt-line">{where}</span>'
    html += "\n"
    cover = shown.get("cover")
    if shown.get("covering"):
        # Whom this week's teacher stands in for: the absent teacher, the lesson's own or a co-teacher.
        absent = cover.absence.staff if cover is not None else lesson.teacher
        html += _badge(words["cover_for"], name=absent.full_name if absent else "") + "\n"
    elif cover:
        away = shown.get("co_teacher_away")
        if away is not None:
            html += _badge(words["co_teacher_covered"], absent=away.full_name, name=cover.teacher.full_name)
        else:
            html += _badge(words["covered_by"], name=cover.teacher.full_name)
    return mark_safe(html + "\n")


def _badge(sentence: str, **names: str) -> str:
    text = sentence % {key: conditional_escape(name) for key, name in names.items()}
    return f'<span class="tt-line tt-cover badge text-bg-warning">{text}</span>'


_ANY_PK = 2_147_483_647


@lru_cache(maxsize=16)
def _teacher_path(prefix: str, urlconf: str | None) -> str:
    path = reverse("timetable:teacher_week", args=[_ANY_PK], urlconf=urlconf)
    return path.replace("%", "%%").replace(str(_ANY_PK), "%d")


def _teacher_week() -> str:
    """The office's page of a teacher's week, as a %-format of the teacher's pk: reversed once, not once for
    each teacher of each lesson drawn."""
    return _teacher_path(get_script_prefix(), get_urlconf())
