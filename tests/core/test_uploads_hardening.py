"""The upload checks every module shares (modules/core/uploads.py): content a browser would run, renamed to
an accepted kind, is refused; a zip-based file that would expand beyond the limits is refused from its
directory alone, without being unpacked."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from modules.core import uploads
from modules.core.uploads import validate_attachment


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def zipped(members: dict[str, bytes], *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def refusal(name: str, content: bytes, **kwargs) -> str:
    with pytest.raises(ValidationError) as caught:
        validate_attachment(upload(name, content), **kwargs)
    return " ".join(caught.value.messages)


@pytest.mark.parametrize(
    "content",
    [
        b"<!DOCTYPE html><html><body>hi</body></html>",
        b"\n\n   <html>\n<script>alert(1)</script>",
        b"\xef\xbb\xbf<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>',
        b"<script>fetch('/')</script>",
        b"Dear teacher,\nmy essay <script src=//evil.test/x.js></script>",
        b"<iframe src=x>",
    ],
    ids=["doctype", "html-after-space", "svg-bom", "xml-svg", "script", "script-inside", "iframe"],
)
def test_it_refuses_a_web_page_drawing_or_script_renamed_to_text(content):
    message = refusal("essay.txt", content)
    assert "web page, a drawing or a script" in message


def test_it_refuses_a_page_in_utf16_as_not_text():
    assert "not a text file" in refusal("essay.txt", "<html><script>x</script>".encode("utf-16"))


def test_it_refuses_one_renamed_to_csv_too():
    assert "web page" in refusal("marks.csv", b"<html><body>1,2</body></html>")


@pytest.mark.parametrize(
    "content",
    [
        b"My essay about the Romans.\nThey built roads; a < b and b > c.",
        b"Less-than signs: <3 and <= and a <b> as words is fine when not first",
        "Caf\u00e9 cr\u00e8me, na\u00efve r\u00e9sum\u00e9".encode(),
        b"name,score\nSam,7\n",
    ],
)
def test_it_accepts_plain_text_that_mentions_angle_brackets(content):
    assert validate_attachment(upload("essay.txt", content)) in ("text/plain",)


def test_it_accepts_a_genuine_docx():
    content = zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>" * 100})
    assert validate_attachment(upload("essay.docx", content)).endswith("wordprocessingml.document")


def test_it_refuses_a_docx_that_expands_beyond_the_limit_without_unpacking_it(monkeypatch):
    # 200 MB of zeros compresses to ~200 KB: a zip bomb in the shape of a Word file.
    big = zipped({"word/document.xml": b"<w:document/>", "word/media/blob.bin": b"\0" * (120 * 1024 * 1024)})
    assert len(big) < 1024 * 1024
    opened = []
    real = zipfile.ZipFile.open

    def counted_open(self, *args, **kwargs):
        opened.append(args)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", counted_open)
    message = refusal("essay.docx", big)
    assert "expands to more than" in message
    assert opened == []  # not one member was read


def test_it_refuses_a_member_expanding_far_beyond_its_compressed_size(monkeypatch):
    monkeypatch.setattr(uploads, "ZIP_MAX_EXPANDED_BYTES", 1024 * 1024 * 1024)
    bomb = zipped({"content.xml": b"<office:document/>", "Pictures/x.bin": b"A" * (5 * 1024 * 1024)})
    assert "expands to more than" in refusal("essay.odt", bomb)


def test_it_refuses_an_archive_of_too_many_members(monkeypatch):
    monkeypatch.setattr(uploads, "ZIP_MAX_MEMBERS", 10)
    members = {"word/document.xml": b"<w:document/>"} | {f"word/part{i}.xml": b"x" for i in range(10)}
    assert "too many files" in refusal("essay.docx", zipped(members))


def test_it_refuses_a_member_named_outside_the_archive():
    content = zipped({"word/document.xml": b"<w:document/>", "../../etc/cron.d/x": b"boom"})
    assert "outside itself" in refusal("essay.docx", content)


def test_it_refuses_a_damaged_or_wrong_archive():
    assert "not really a .docx" in refusal("essay.docx", b"PK\x03\x04 not a zip at all")
    assert "not really a .docx" in refusal("essay.docx", zipped({"content.xml": b"<x/>"}))


def test_it_takes_a_zip_only_where_the_caller_accepts_it():
    content = zipped({"project/main.py": b"print('hi')\n"})
    assert "not an accepted kind" in refusal("project.zip", content)
    assert validate_attachment(upload("project.zip", content), extensions=["zip", "pdf"]) == "application/zip"
    assert "zip" not in uploads.allowed_extensions()


def test_it_refuses_a_zip_bomb_even_where_zips_are_accepted():
    bomb = zipped({"a.bin": b"\0" * (110 * 1024 * 1024)})
    assert "expands to more than" in refusal("project.zip", bomb, extensions=["zip"])


def test_it_narrows_the_kinds_to_those_the_caller_names():
    message = refusal("essay.txt", b"plain words", extensions=["pdf", "docx"])
    assert "Accepted: docx, pdf." in message
