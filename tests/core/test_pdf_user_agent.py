"""The portal's PDFs are laid out with a lean copy of WeasyPrint's user-agent stylesheet (modules/core/pdf.py
PortalHTML): without the pseudo-element rules that WeasyPrint evaluates for every element and that such a
document cannot use. The pages must not change: each page's drawing instructions are compared with those of
WeasyPrint's own stylesheet, byte for byte (the same instructions draw the same pixels)."""

from __future__ import annotations

import io

import pikepdf
import pytest
from weasyprint import HTML
from weasyprint import html as weasyprint_html

from modules.core.pdf import PDF_BASE_URL, WARM_UP_HTML, PortalHTML, PortalUrlFetcher
from modules.exams import report_cards
from tests.exams.test_report_card_fixtures import sams_term

pytestmark = pytest.mark.django_db

# What the portal's templates use and more: lists (their markers stay styled), line breaks, emphasis,
# headings with bookmarks, tables with a header and footer, a running footer.
MANY_ELEMENTS = """<!doctype html><html lang="en"><head><style>
@page { size: A5; margin: 10mm; @bottom-center { content: element(footer); } }
.footer { position: running(footer); }
</style></head><body>
<p class="footer">Page footer</p>
<h1>Heading one</h1><h2>Heading two</h2><h3>Heading three</h3>
<p>Some <strong>strong</strong>, <em>emphasised</em>, <b>bold</b>, <i>italic</i>, <small>small</small> and
<sup>raised</sup> text,<br>a line break, <a href="https://example.invalid/">a link</a> and
<code>code</code>.</p>
<ul><li>First</li><li>Second<ol><li>Nested one</li><li>Nested two</li></ol></li></ul>
<ol start="9"><li>Nine</li><li>Ten</li><li>Eleven</li></ol>
<dl><dt>Term</dt><dd>Its meaning</dd></dl>
<blockquote>Quoted <q>words</q></blockquote>
<table><caption>A table</caption><thead><tr><th>A</th><th>B</th></tr></thead>
<tbody><tr><td>1</td><td>2</td></tr></tbody><tfoot><tr><td colspan="2">Total</td></tr></tfoot></table>
<hr><pre>pre  formatted</pre>
</body></html>"""

FOOTNOTE = """<!doctype html><html><head><style>.note { float: footnote; }</style></head><body>
<p>A sentence with a footnote<span class="note">The footnote's text.</span> and more.</p></body></html>"""


def _drawn(content: bytes) -> list[bytes]:
    """Each page's drawing instructions (its content streams, joined)."""
    with pikepdf.open(io.BytesIO(content)) as pdf:
        drawn = []
        for page in pdf.pages:
            page.contents_coalesce()
            drawn.append(page.obj.Contents.read_bytes())
        return drawn


def _both(html: str) -> tuple[list[bytes], list[bytes]]:
    weasyprints = HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=PortalUrlFetcher()).write_pdf()
    portals = PortalHTML(string=html).write_pdf()
    return _drawn(weasyprints), _drawn(portals)


def _uses_the_lean_stylesheet(html: str) -> bool:
    sheets = PortalHTML(string=html)._ua_stylesheets()
    return weasyprint_html.UA_STYLESHEET not in sheets


def test_report_cards_are_drawn_exactly_as_with_weasyprints_own_stylesheet(school):
    sams_term(school)
    batch = report_cards.cards_build(term=school.term, section_ids=[school.section.pk], published_only=False)
    html = report_cards.cards_html(batch)
    assert _uses_the_lean_stylesheet(html)
    weasyprints, portals = _both(html)
    assert len(portals) >= 1
    assert portals == weasyprints


@pytest.mark.parametrize("html", [MANY_ELEMENTS, WARM_UP_HTML], ids=["many elements", "warm-up document"])
def test_other_documents_are_drawn_exactly_as_with_weasyprints_own_stylesheet(html):
    assert _uses_the_lean_stylesheet(html)
    weasyprints, portals = _both(html)
    assert portals == weasyprints


@pytest.mark.parametrize(
    "html",
    [FOOTNOTE, MANY_ELEMENTS.replace("<style>", "<style>dt { display: list-item; }")],
    ids=["a footnote", "another element made a list item"],
)
def test_a_document_that_may_use_the_left_out_rules_keeps_weasyprints_whole_stylesheet(html):
    assert not _uses_the_lean_stylesheet(html)
    weasyprints, portals = _both(html)
    assert portals == weasyprints
