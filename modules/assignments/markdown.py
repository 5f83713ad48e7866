"""A teacher's instructions: Markdown in, HTML that is safe to put in a page out.

Markdown allows raw HTML, so its output is never trusted: nh3 (ammonia) keeps only the tags and attributes
that plain formatted text needs. Links may only go to http(s) and mailto addresses and get
rel="noopener nofollow"; an image is kept only when it is the portal's own (a path on this site), so an
instruction cannot make every student's browser fetch an outside address (a tracking pixel) or show an
outside picture nobody checked.
"""

from __future__ import annotations

import re

import markdown as markdown_lib
import nh3
from django.utils.safestring import SafeString, mark_safe

TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
}
EXTENSIONS = ["extra", "sane_lists", "nl2br"]


def _own_address(value: str) -> bool:
    """A path on this site ("/homework/attachments/3/"), not another site ("//evil.test/x", "https://...")."""
    return value.startswith("/") and not value.startswith("//") and "\\" not in value


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if _own_address(value.strip()) else None
    return value


def markdown_html(text: str | None) -> SafeString:
    """The HTML of `text` (Markdown), cleaned: safe to mark safe and put in any page."""
    if not text:
        return mark_safe("")
    html = markdown_lib.markdown(text, extensions=EXTENSIONS, output_format="html")
    cleaned = nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        attribute_filter=_attribute_filter,
        clean_content_tags={"script", "style"},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener nofollow",
        strip_comments=True,
    )
    # An image whose outside address was taken away keeps only its description, as text.
    return mark_safe(_SOURCELESS_IMAGE.sub(_alt_text, cleaned))  # cleaned by nh3 just above


# nh3's output is serialised by html5ever: attributes double-quoted, their values escaped.
_SOURCELESS_IMAGE = re.compile(r"<img(?![^>]*\ssrc=)([^>]*)>")
_ALT = re.compile(r'\salt="([^"]*)"')


def _alt_text(match: re.Match[str]) -> str:
    alt = _ALT.search(match.group(1))
    return alt.group(1) if alt else ""
