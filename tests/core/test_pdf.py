"""The shared PDF helper: WeasyPrint reads only the portal's static files and data: URLs."""

from __future__ import annotations

import pytest
from django.test import override_settings

from modules.core.pdf import PdfResourceRefused, PortalUrlFetcher, pdf_response, render_pdf, static_file_path

PORTAL = "https://portal.pdf.invalid"


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/logo.png",
        "https://example.com/static/css/portal.css",  # a static path, but on someone else's server
        "file:///etc/passwd",
        f"{PORTAL}/static/../../pyproject.toml",
        f"{PORTAL}/static/%2e%2e/%2e%2e/pyproject.toml",
        f"{PORTAL}/private-media/photos/student/x.jpg",
        "ftp://example.com/x",
    ],
)
def test_it_refuses_anything_but_static_files(url):
    with pytest.raises(PdfResourceRefused):
        PortalUrlFetcher().fetch(url)


def test_it_reads_static_files_and_data_urls():
    fetcher = PortalUrlFetcher()
    response = fetcher.fetch(f"{PORTAL}/static/css/portal.css")
    assert response.headers["Content-Type"] == "text/css"
    assert response.read() == static_file_path("css/portal.css").read_bytes()
    local = static_file_path("css/portal.css")
    assert fetcher.fetch(local.as_uri()).read() == local.read_bytes()  # file:// inside the static files
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"


def test_it_renders_a_template_to_pdf_without_fetching_outside(tmp_path, settings):
    (tmp_path / "pdf_test.html").write_text(
        "{% load static %}<html><head><title>Receipt {{ number }}</title>"
        '<link rel="stylesheet" href="{% static "css/portal.css" %}"></head>'
        '<body><img src="http://example.com/tracker.png"><img src="file:///etc/hostname">'
        "<p>Receipt {{ number }}</p></body></html>"
    )
    templates = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    with override_settings(TEMPLATES=templates):
        content = render_pdf("pdf_test.html", {"number": 42})
    assert content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF")
    assert len(content) > 1000


def test_it_answers_a_pdf_as_an_attachment():
    response = pdf_response(b"%PDF-1.7 ...", "register-7A-2024-03.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="register-7A-2024-03.pdf"'
    assert response["Cache-Control"] == "private, no-store"
