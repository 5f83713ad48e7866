"""A lesson of a week (the page's grid, its phone list of days, the PDF): {% week_lesson lesson kind %}; and
what a cell of the page's grid holds (its lessons, the doubles continued from the period before, or "Free"
for screen readers): {% week_cell slot kind %}.

Written here, not as an included template: a lesson is the innermost loop of the week pages, drawn twice on
each (the grid and the phone's list), and the included template, with its tests and translations, was half
of the page's template time on the large school; an f-string with each value escaped draws it in a tenth of
that (as the register's rows, modules/attendance/views_register.py). The texts are translated once per
language (`_words`). `kind` is the week's: "student", "section", "teacher" or "room"; `lesson.teacher_names`,
`.cover` and `.covering` are set by modules/timetable/selectors.py.
"""

from __future__ import annotations

from functools import cache

from django import template
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
            "continued": _("%(subject)s (continued)"),
        }
    return {key: conditional_escape(text) for key, text in words.items()} | sentences


@register.simple_tag
def week_cell(slot, kind: str) -> SafeString:
    """A grid cell's content, as the page drew it with a loop of lessons, a loop of continued doubles and the
    empty cell's word: one tag for a cell instead of about ten for each of a week's forty cells."""
    words = _words(translation.get_language())
    last = len(slot.lessons) - 1
    lessons = "".join(
        f'<div class="tt-lesson{"" if index == last else " mb-2"}">{week_lesson(lesson, kind)}</div>'
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
def week_lesson(lesson, kind: str) -> SafeString:
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
        html += f'<span class="tt-line">{conditional_escape(names) if names else words["no_teacher"]}</span>'
    html += "\n"
    if kind != "room":
        room = lesson.room
        where = f"{words['room']} {conditional_escape(room.name)}" if room else words["no_room"]
        html += f'<span class="tt-line">{where}</span>'
    html += "\n"
    cover = shown.get("cover")
    if shown.get("covering"):
        name = lesson.teacher.full_name if lesson.teacher else ""
        html += _badge(words["cover_for"], name) + "\n"
    elif cover:
        html += _badge(words["covered_by"], cover.teacher.full_name)
    return mark_safe(html + "\n")


def _badge(sentence: str, name: str) -> str:
    text = sentence % {"name": conditional_escape(name)}
    return f'<span class="tt-line tt-cover badge text-bg-warning">{text}</span>'
