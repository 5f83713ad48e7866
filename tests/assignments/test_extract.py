"""The text of hand-ins for the similarity check (modules/assignments/extract.py): real .txt, .docx, .odt and
.pdf files made here, and files that must not be unpacked or read past the bounds."""

from __future__ import annotations

import io
import zipfile

import pytest
from pypdf import PdfReader, PdfWriter

from modules.assignments import extract
from modules.assignments.extract import ExtractionError, extract_text

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx(paragraphs: list[str], *, document: bytes | None = None, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """A minimal Word document: the parts Word itself needs to open it."""
    body = "".join(
        f'<w:p><w:r><w:t xml:space="preserve">{text.split("|")[0]}</w:t></w:r>'
        + "".join(f"<w:r><w:tab/><w:t>{rest}</w:t></w:r>" for rest in text.split("|")[1:])
        + "</w:p>"
        for text in paragraphs
    )
    xml = (
        document
        or (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<w:document xmlns:w="{W_NS}"><w:body>{body}<w:sectPr/></w:body></w:document>'
        ).encode()
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="xml" ContentType="application/xml"/><Override '
            'PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        )
        archive.writestr("word/document.xml", xml)
    return buffer.getvalue()


def odt(body: str) -> bytes:
    """A minimal OpenDocument text: the mimetype first and stored, as the format requires."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">'
        f"<office:body><office:text>{body}</office:text></office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text", zipfile.ZIP_STORED
        )
        archive.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
            'opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry '
            'manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>",
        )
        archive.writestr("content.xml", content)
    return buffer.getvalue()


def pdf(pages: list[str]) -> bytes:
    """A PDF with a text layer, laid out by WeasyPrint (one page per item)."""
    from weasyprint import HTML

    html = "".join(f'<p style="page-break-after: always">{text}</p>' for text in pages)
    return HTML(string=f"<html><body>{html}</body></html>").write_pdf()


def test_it_reads_a_text_file_in_utf8_and_in_a_windows_encoding():
    assert extract_text("essay.txt", "Café au lait, déjà vu.".encode()).text == "Café au lait, déjà vu."
    assert extract_text("essay.txt", "\ufeffWith a BOM".encode()).text == "With a BOM"
    assert extract_text("essay.TXT", "Café".encode("cp1252")).text == "Café"


def test_it_reads_the_paragraphs_of_a_word_document():
    data = docx(["The storming of the Bastille", "Bread prices|had doubled."])
    assert extract_text("essay.docx", data).text == "The storming of the Bastille\nBread prices\thad doubled."


def test_it_reads_the_paragraphs_of_an_opendocument_text_without_its_comments():
    body = (
        "<text:h>The Bastille</text:h>"
        "<text:p>Bread <text:span>prices</text:span> had<text:s text:c='2'/>doubled.<text:tab/>Yes"
        "<office:annotation><text:p>Teacher: source?</text:p></office:annotation></text:p>"
        "<text:p>Second<text:line-break/>line</text:p>"
    )
    text = extract_text("essay.odt", odt(body)).text
    assert text == "The Bastille\nBread prices had  doubled.\tYes\nSecond\nline"


def test_it_reads_the_text_layer_of_a_pdf():
    extracted = extract_text("essay.pdf", pdf(["The storming of the Bastille.", "Bread prices had doubled."]))
    assert "The storming of the Bastille." in extracted.text
    assert "Bread prices had doubled." in extracted.text
    assert extracted.notes == []


def test_it_says_a_pdf_without_text_has_none():
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    extracted = extract_text("scan.pdf", buffer.getvalue())
    assert extracted.text == ""
    assert extracted.notes == ["scan.pdf has no text to read (a scanned page?)."]


def test_it_reads_only_the_first_pages_of_a_long_pdf(monkeypatch):
    monkeypatch.setattr(extract, "MAX_PDF_PAGES", 2)
    data = pdf(["Page one.", "Page two.", "Page three."])
    assert len(PdfReader(io.BytesIO(data)).pages) == 3
    extracted = extract_text("long.pdf", data)
    assert "Page two." in extracted.text
    assert "Page three." not in extracted.text
    assert extracted.notes == ["Only the first 2 pages of long.pdf were compared."]


def test_it_refuses_a_pdf_protected_by_a_password():
    writer = PdfWriter(clone_from=io.BytesIO(pdf(["Secret essay."])))
    writer.encrypt(user_password="secret", owner_password="owner")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(ExtractionError, match="protected by a password"):
        extract_text("locked.pdf", buffer.getvalue())


@pytest.mark.parametrize("name", ["broken.pdf", "broken.docx", "broken.odt"])
def test_it_says_a_damaged_file_is_damaged(name):
    with pytest.raises(ExtractionError, match="damaged"):
        extract_text(name, b"%PDF-1.7 this is not really a document at all" * 10)


def test_it_refuses_a_word_document_that_expands_too_far_without_inflating_it():
    # 50 MB of spaces deflate to about 50 KB: a ratio of a thousand, refused from the zip's header.
    document = (
        b'<w:document xmlns:w="'
        + W_NS.encode()
        + b'"><w:body>'
        + b" " * 50_000_000
        + b"</w:body></w:document>"
    )
    data = docx([], document=document)
    assert len(data) < 200_000
    with pytest.raises(ExtractionError, match="expands to too much text"):
        extract_text("bomb.docx", data)


def test_it_refuses_a_member_larger_than_the_limit_even_when_it_compresses_little(monkeypatch):
    monkeypatch.setattr(extract, "MAX_MEMBER_BYTES", 10_000)
    data = docx(["word " * 5_000], compression=zipfile.ZIP_STORED)
    with pytest.raises(ExtractionError, match="expands to too much text"):
        extract_text("long.docx", data)


def test_it_never_expands_an_entity_of_a_word_document():
    document = (
        b'<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b'<w:document xmlns:w="' + W_NS.encode() + b'"><w:body><w:p><w:r><w:t>&b;</w:t></w:r></w:p>'
        b"</w:body></w:document>"
    )
    with pytest.raises(ExtractionError, match="damaged"):
        extract_text("entities.docx", docx([], document=document))


def test_it_stops_reading_a_file_past_its_time():
    with pytest.raises(ExtractionError, match="took too long"):
        extract_text("slow.pdf", pdf(["One page."]), seconds=-1)


def test_it_refuses_a_file_larger_than_it_reads(monkeypatch):
    monkeypatch.setattr(extract, "MAX_FILE_BYTES", 100)
    with pytest.raises(ExtractionError, match="too large"):
        extract_text("big.txt", b"a" * 101)


def test_it_cuts_a_very_long_text_and_says_so(monkeypatch):
    monkeypatch.setattr(extract, "MAX_TEXT_CHARS", 20)
    extracted = extract_text("long.txt", b"0123456789" * 5)
    assert extracted.text == "0123456789" * 2
    assert extracted.notes == ["Only the beginning of long.txt was compared (it is very long)."]


def test_it_gives_no_text_for_a_picture():
    assert extract_text("photo.png", b"\x89PNG\r\n\x1a\n...").text == ""


def test_a_pdf_that_never_finishes_reading_is_stopped(monkeypatch):
    import time

    # pypdf stuck inside one page (a hostile content stream): the child reading it is stopped from outside.
    monkeypatch.setattr(extract, "_text_of_pdf", lambda name, data, budget, notes: time.sleep(60))
    with pytest.raises(ExtractionError, match="hang.pdf took too long to read."):
        extract_text("hang.pdf", pdf(["One page."]), seconds=1)
