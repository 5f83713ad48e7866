"""The shared PDF helper: WeasyPrint reads only the portal's static files and data: URLs, and a document
that takes too long or too much memory to lay out is stopped with a clear message."""

from __future__ import annotations

import gc
import html
import multiprocessing
import os
import time
import urllib.request

import pytest
from django.test import override_settings
from django.urls import reverse

from modules.core.pdf import (
    PdfFailed,
    PdfResourceRefused,
    PortalUrlFetcher,
    pdf_response,
    render_pdf,
    run_with_limits,
    static_file_path,
)
from tests import factories as f

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
    assert content.startswith(b"%PDF-")
    assert content.rstrip().endswith(b"%%EOF")
    assert len(content) > 1000


def test_it_answers_a_pdf_as_an_attachment():
    response = pdf_response(b"%PDF-1.7 ...", "register-7A-2024-03.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="register-7A-2024-03.pdf"'
    assert response["Cache-Control"] == "private, no-store"


@pytest.fixture
def heavy_template(tmp_path, settings):
    """A template whose layout takes far longer than a real document's (thousands of pages)."""
    (tmp_path / "pdf_heavy.html").write_text(
        "<html><body>{% for n in rows %}<p>Line {{ n }} of a very long document</p>{% endfor %}</body></html>"
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    return "pdf_heavy.html"


def test_a_document_that_lays_out_too_long_is_stopped_at_the_limit(heavy_template, settings):
    settings.STUDENTFLOW_PDF_TIMEOUT = 1
    started = time.monotonic()
    with pytest.raises(PdfFailed, match="took more than 1 second to produce, so it was stopped"):
        render_pdf(heavy_template, {"rows": range(60_000)})
    assert time.monotonic() - started < 15  # stopped: laid out in full it takes far longer
    assert multiprocessing.active_children() == []  # the layout was killed, not left running


def test_a_document_that_needs_too_much_memory_is_stopped(heavy_template, settings):
    settings.STUDENTFLOW_PDF_MAX_MEMORY_MB = 1
    settings.STUDENTFLOW_PDF_TIMEOUT = 120  # the memory limit, not the clock, must stop it
    with pytest.raises(PdfFailed, match="too much memory"):
        # Hundreds of megabytes of boxes: far more than the heap the child inherits free from its parent.
        render_pdf(heavy_template, {"rows": range(300_000)})


def test_a_pdf_not_produced_is_a_clear_page_not_a_server_error(as_user, guardian, school, settings):
    invoice = f.InvoiceFactory(year=school.year, student=school.child)
    client = as_user(guardian)
    url = reverse("fees:invoice_pdf", args=[invoice.pk])
    assert client.get(url)["Content-Type"] == "application/pdf"
    settings.STUDENTFLOW_PDF_TIMEOUT = 0  # nothing can be laid out in no time
    response = client.get(url)
    assert response.status_code == 503
    text = html.unescape(response.content.decode())
    assert "The document could not be produced" in text
    assert "This document took more than 0 seconds to produce, so it was stopped." in text


# --- the layout child never collects the worker's objects ------------------------------------------------
# A queue worker runs tasks in threads. The layout child is forked from one of them while another may hold a
# C library's lock (SQLite's memory mutex, while it frees a statement); if the child's garbage collector then
# finalized a database connection the worker had dropped, it would wait for that lock for ever (a report-card
# part hung so in a two-thread worker). So everything inherited is frozen out of the child's collector.

finalized_in: list[int] = []


class _Dropped:
    """Garbage in a reference cycle: only the collector frees it, running __del__ where it does so."""

    def __init__(self):
        self.me = self

    def __del__(self):
        finalized_in.append(os.getpid())


def _collect_and_report() -> list[int]:
    gc.collect()
    return list(finalized_in)


def test_the_layout_child_does_not_finalize_what_the_worker_dropped():
    finalized_in.clear()
    gc.disable()  # the parent must not collect the cycle before the fork
    try:
        _Dropped()  # dropped at once: a cycle waiting for a collection
        in_child = run_with_limits(_collect_and_report)
    finally:
        gc.enable()
    assert in_child == []  # the child's full collection did not touch it
    gc.collect()
    assert finalized_in == [os.getpid()]  # the worker frees it, as it would have anyway


def test_a_document_someone_waits_for_is_laid_out_at_the_priority_of_the_process_that_asked():
    # Only a queue worker yields the cores (test_killed_worker: a real consumer's layouts run at 10).
    assert run_with_limits(os.nice, 0) == os.nice(0)


def test_it_loads_the_tls_certificates_once_not_for_every_document():
    # WeasyPrint's fetcher builds an HTTPS handler; without a context it loads the CA bundle for each one.
    contexts = {
        handler._context
        for fetcher in (PortalUrlFetcher(), PortalUrlFetcher())
        for handler in fetcher.handlers
        if isinstance(handler, urllib.request.HTTPSHandler)
    }
    assert len(contexts) == 1


def _child_pid() -> int:
    return os.getpid()


def test_the_worker_lays_out_a_small_document_once_before_its_first_layout_child(monkeypatch):
    from modules.core import pdf

    monkeypatch.setattr(pdf, "_warmed_up", False)
    warmed = []
    real = pdf.PortalHTML

    def counting_html(*args, **kwargs):
        if kwargs.get("string") == pdf.WARM_UP_HTML:
            warmed.append(os.getpid())
        return real(*args, **kwargs)

    monkeypatch.setattr(pdf, "PortalHTML", counting_html)
    children = {run_with_limits(_child_pid), run_with_limits(_child_pid)}
    assert warmed == [os.getpid()]  # in this process, once: the children inherit what it loaded
    assert os.getpid() not in children
    assert pdf._warmed_up
