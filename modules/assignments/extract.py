"""The text of a hand-in (and of a teacher's attachments), for the similarity check: a typed answer, and
files in .txt, .docx, .odt and .pdf (with a text layer; a scan has none and gives no text).

Extraction runs on the queue, never in a web request, and is bounded so that a hostile or broken file
costs little: the file's size (MAX_FILE_BYTES, read once into memory), for .docx/.odt the one XML member
read (its declared size and compression ratio checked before a byte is inflated, and the inflating stopped
at MAX_MEMBER_BYTES whatever the header claims; no other member is opened, and an XML with a DOCTYPE is
refused, so no entity is ever expanded), for a PDF the number of pages read (MAX_PDF_PAGES) with pypdf's
own limits on each stream, read in a child process under a hard time and memory limit (as the portal's PDF
layouts are), a time budget per file (SECONDS_PER_FILE) checked between pages and paragraphs,
and the length of the text kept (MAX_TEXT_CHARS per file and per hand-in). Past a bound the text is cut or
the file skipped, with a note saying so; a file that cannot be read is skipped the same way.
"""

from __future__ import annotations

import io
import logging
import time
import zipfile
from dataclasses import dataclass, field
from xml.etree import ElementTree

from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 12 * 1024 * 1024  # above the largest hand-in a school may allow (11 MiB through nginx)
MAX_MEMBER_BYTES = 16 * 1024 * 1024  # a .docx/.odt's XML, inflated
MAX_COMPRESSION_RATIO = 100  # XML inflates 5–20 times; a zip bomb, thousands
MAX_PDF_PAGES = 60
MAX_TEXT_CHARS = 200_000  # per file, and per hand-in (about 30,000 words)
SECONDS_PER_FILE = 10.0
MAX_DEPTH = 200  # nesting of XML elements walked

TEXT_EXTENSIONS = ("txt", "docx", "odt", "pdf")

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"


class ExtractionError(Exception):
    """A file whose text could not be read; `message` says why in words for the teacher."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Extracted:
    text: str
    notes: list[str] = field(default_factory=list)


class _Budget:
    def __init__(self, name: str, seconds: float):
        self.name = name
        self.deadline = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise ExtractionError(_("%(name)s took too long to read.") % {"name": self.name})


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _cut(text: str, name: str, notes: list[str]) -> str:
    if len(text) > MAX_TEXT_CHARS:
        notes.append(_("Only the beginning of %(name)s was compared (it is very long).") % {"name": name})
        return text[:MAX_TEXT_CHARS]
    return text


def extract_text(name: str, data: bytes, *, seconds: float = SECONDS_PER_FILE) -> Extracted:
    """The text of one file named `name` (its extension decides how it is read). Raises ExtractionError
    for a file of a readable kind that cannot be read; a kind with no text (an image) gives ""."""
    extension = extension_of(name)
    if extension not in TEXT_EXTENSIONS:
        return Extracted("")
    if len(data) > MAX_FILE_BYTES:
        raise ExtractionError(
            _("%(name)s is too large to be read for the similarity check.") % {"name": name}
        )
    budget = _Budget(name, seconds)
    notes: list[str] = []
    if extension == "txt":
        text = _text_of_txt(data)
    elif extension == "docx":
        text = _text_of_docx(name, data, budget)
    elif extension == "odt":
        text = _text_of_odt(name, data, budget)
    else:
        text = _text_of_pdf_limited(name, data, seconds, notes)
    return Extracted(_cut(text, name, notes), notes)


def _text_of_pdf_limited(name: str, data: bytes, seconds: float, notes: list[str]) -> str:
    """A PDF's text read in a child process under a hard time and memory limit (core/pdf.py's
    `run_with_limits`): a page that makes pypdf loop for ever, or inflate without end, is stopped there."""
    from modules.core.pdf import PdfFailed, run_with_limits

    try:
        status, text, child_notes = run_with_limits(
            _pdf_in_child, name, data, seconds, timeout=max(1, round(seconds) + 1)
        )
    except PdfFailed:
        raise ExtractionError(_("%(name)s took too long to read.") % {"name": name}) from None
    if status == "refused":
        raise ExtractionError(text)
    notes.extend(child_notes)
    return text


def _pdf_in_child(name: str, data: bytes, seconds: float) -> tuple[str, str, list[str]]:
    notes: list[str] = []
    try:
        return "ok", _text_of_pdf(name, data, _Budget(name, seconds), notes), notes
    except ExtractionError as error:
        return "refused", error.message, []


def _text_of_txt(data: bytes) -> str:
    data = data[: MAX_TEXT_CHARS * 4]
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Not UTF-8: the usual single-byte encoding of Windows editors, which decodes any byte.
        return data.decode("cp1252", errors="replace")


def _member(name: str, data: bytes, member: str) -> bytes:
    """One member of an Office/OpenDocument zip, inflated within the bounds (see the docstring)."""
    unreadable = ExtractionError(_("%(name)s could not be read: it is damaged.") % {"name": name})
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise unreadable from None
    with archive:
        try:
            info = archive.getinfo(member)
        except KeyError:
            raise unreadable from None
        too_big = ExtractionError(
            _("%(name)s expands to too much text to be read for the similarity check.") % {"name": name}
        )
        if info.file_size > MAX_MEMBER_BYTES or info.file_size > max(info.compress_size, 1) * (
            MAX_COMPRESSION_RATIO
        ):
            raise too_big
        try:
            with archive.open(info) as handle:
                content = handle.read(MAX_MEMBER_BYTES + 1)  # the header may lie about the size
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
            raise unreadable from None
    if len(content) > MAX_MEMBER_BYTES:
        raise too_big
    head = content[:4096].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in content.upper():
        raise unreadable  # Office and OpenDocument XML never declare entities
    return content


def _parse(name: str, content: bytes) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(content)
    except ElementTree.ParseError:
        raise ExtractionError(_("%(name)s could not be read: it is damaged.") % {"name": name}) from None


def _text_of_docx(name: str, data: bytes, budget: _Budget) -> str:
    root = _parse(name, _member(name, data, "word/document.xml"))
    parts: list[str] = []
    for number, element in enumerate(root.iter()):
        if number % 2000 == 0:
            budget.check()
        tag = element.tag
        if tag == f"{W}t" and element.text:
            parts.append(element.text)
        elif tag == f"{W}tab":
            parts.append("\t")
        elif tag in (f"{W}br", f"{W}cr"):
            parts.append("\n")
        elif tag == f"{W}p":
            parts.append("\n")  # root.iter() is document order: a paragraph's mark comes before its runs
    return "".join(parts).strip()


def _text_of_odt(name: str, data: bytes, budget: _Budget) -> str:
    root = _parse(name, _member(name, data, "content.xml"))
    body = root.find(f"{OFFICE}body")
    parts: list[str] = []
    counter = [0]

    def walk(element: ElementTree.Element, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise ExtractionError(_("%(name)s could not be read: it is damaged.") % {"name": name})
        counter[0] += 1
        if counter[0] % 2000 == 0:
            budget.check()
        tag = element.tag
        if tag == f"{TEXT}s":
            try:
                parts.append(" " * min(int(element.get(f"{TEXT}c", "1")), 100))
            except ValueError:
                parts.append(" ")
        elif tag == f"{TEXT}tab":
            parts.append("\t")
        elif tag == f"{TEXT}line-break":
            parts.append("\n")
        elif tag != f"{OFFICE}annotation":  # a comment in the margin is not the text
            if element.text and tag in (f"{TEXT}p", f"{TEXT}h", f"{TEXT}span", f"{TEXT}a"):
                parts.append(element.text)
            for child in element:
                walk(child, depth + 1)
                if child.tail and tag in (f"{TEXT}p", f"{TEXT}h", f"{TEXT}span", f"{TEXT}a"):
                    parts.append(child.tail)
        if tag in (f"{TEXT}p", f"{TEXT}h"):
            parts.append("\n")

    walk(body if body is not None else root, 0)
    return "".join(parts).strip()


def _text_of_pdf(name: str, data: bytes, budget: _Budget, notes: list[str]) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    unreadable = ExtractionError(_("%(name)s could not be read: it is damaged.") % {"name": name})
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ExtractionError(_("%(name)s is protected by a password.") % {"name": name})
        pages = reader.pages
        count = len(pages)
        parts: list[str] = []
        total = 0
        for number in range(min(count, MAX_PDF_PAGES)):
            budget.check()
            text = pages[number].extract_text() or ""
            parts.append(text)
            total += len(text)
            if total > MAX_TEXT_CHARS:
                break
    except ExtractionError:
        raise
    except (
        PyPdfError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        OSError,
        RecursionError,
        ZeroDivisionError,
    ):
        # pypdf reports a broken file with whatever its parser meets; all mean the same to the teacher.
        logger.info("PDF %s could not be read", name, exc_info=True)
        raise unreadable from None
    if count > MAX_PDF_PAGES:
        notes.append(
            _("Only the first %(pages)s pages of %(name)s were compared.")
            % {"pages": MAX_PDF_PAGES, "name": name}
        )
    text = "\n".join(parts).strip()
    if not text:
        notes.append(_("%(name)s has no text to read (a scanned page?).") % {"name": name})
    return text


def texts_join(texts: list[str]) -> str:
    """One text of several (a typed answer and each file's), bounded to MAX_TEXT_CHARS."""
    return "\n\n".join(text for text in texts if text.strip())[:MAX_TEXT_CHARS]
