"""PDF documents (registers, report cards, receipts) rendered from Django templates with WeasyPrint.

A PDF template is ordinary HTML + CSS. WeasyPrint fetches what the page links to (stylesheets, images,
fonts) through `PortalUrlFetcher`, which reads only the portal's own static files and data: URLs from the
local disk. Anything else is refused: a student's name or an uploaded value that smuggles in
`<img src="http://...">` or `file:///etc/passwd` makes no network request and reads no other file.
"""

from __future__ import annotations

import errno
import faulthandler
import functools
import gc
import logging
import mimetypes
import multiprocessing
import ssl
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# WeasyPrint logs each layout step at INFO (some when it is imported): noise in the log for every document.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
logger = logging.getLogger(__name__)

from weasyprint import CSS, HTML  # noqa: E402
from weasyprint import html as weasyprint_html  # noqa: E402
from weasyprint.css.counters import CounterStyle  # noqa: E402
from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: E402

# WeasyPrint's user-agent stylesheet styles pseudo-elements of EVERY element: `::marker` and the footnote and
# note calls and markers (`::footnote-call`…). For each element a universal rule matches, WeasyPrint computes
# those pseudo-elements' styles, used or not: on a report card, about a fifth of its layout time. A document
# that has no list items other than <li>, no footnotes and no notes uses none of them; for it, the same
# stylesheet with `::marker` kept to <li> and the footnote and note rules left out draws the same pages
# (tests/core/test_pdf_user_agent.py compares each page's drawing instructions, byte for byte).
_UNIVERSAL_MARKER = "\n::marker {"
_NOTE_RULES = ("::footnote-call ", "::footnote-marker ", "::note-call ", "::note-marker ", "::note-callback ")


@functools.cache
def _lean_user_agent_stylesheet() -> CSS | None:
    """WeasyPrint's own user-agent stylesheet without its universal pseudo-element rules; None when that
    stylesheet is not as expected (another WeasyPrint version): its own is used, unchanged."""
    text = weasyprint_html.UA
    lines = text.splitlines()
    notes = [line for line in lines if line.startswith(_NOTE_RULES)]
    if text.count(_UNIVERSAL_MARKER) != 1 or len(notes) != len(_NOTE_RULES):
        logger.warning("WeasyPrint's user-agent stylesheet is not the expected one; using it as it is.")
        return None
    lean = "\n".join(line for line in lines if not line.startswith(_NOTE_RULES))
    lean = lean.replace(_UNIVERSAL_MARKER, "\nli::marker {")
    # Its @counter-style rules are WeasyPrint's own (already in every document's counter styles): registered
    # into a throwaway set.
    return CSS(string=lean, counter_style=CounterStyle())


class PortalHTML(HTML):
    """WeasyPrint's HTML, laid out with the lean user-agent stylesheet when the document can do without the
    universal pseudo-element rules: it makes no other element a list item (`list-item` appears nowhere in
    it) and has no footnote (`float: footnote`) or note (`position: note(…)`). Every PDF of the portal is made
    with it."""

    def __init__(self, *, string: str, url_fetcher: URLFetcher | None = None, **kwargs):
        super().__init__(
            string=string, base_url=PDF_BASE_URL, url_fetcher=url_fetcher or PortalUrlFetcher(), **kwargs
        )
        self._lean = not any(word in string for word in ("list-item", "footnote", "note("))

    def _ua_stylesheets(self, forms: bool = False) -> list:
        sheets = super()._ua_stylesheets(forms)
        lean = _lean_user_agent_stylesheet() if self._lean else None
        if lean is None:
            return sheets
        return [lean if sheet is weasyprint_html.UA_STYLESHEET else sheet for sheet in sheets]


PDF_CONTENT_TYPE = "application/pdf"
# Relative links in PDF templates ("/static/...") resolve against this origin; it is never contacted.
PDF_BASE_URL = "https://portal.pdf.invalid/"


class PdfResourceRefused(ValueError):
    """A PDF template linked to something other than the portal's static files or a data: URL."""


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _static_roots() -> list[Path]:
    """Every directory static files are served from: the finders' locations and STATIC_ROOT."""
    roots = []
    for finder in finders.get_finders():
        for storage in getattr(finder, "storages", {}).values():
            location = getattr(storage, "location", None)
            if location:
                roots.append(Path(location).resolve())
    if settings.STATIC_ROOT:
        roots.append(Path(settings.STATIC_ROOT).resolve())
    return roots


def _inside(path: Path, roots: list[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def static_file_path(name: str) -> Path | None:
    """The local file of a static name ("css/pdf.css", or a collected, hashed name), or None."""
    name = unquote(name).lstrip("/")
    if not name or "\x00" in name:
        return None
    try:
        found = finders.find(name)
    except SuspiciousFileOperation:
        return None
    candidates = [Path(found)] if found else []
    if settings.STATIC_ROOT:
        candidates.append(Path(settings.STATIC_ROOT) / name)
    roots = _static_roots()
    for candidate in candidates:
        resolved = candidate.resolve()
        if resolved.is_file() and _inside(resolved, roots):
            return resolved
    return None


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One TLS context for every fetcher of the process. WeasyPrint's URLFetcher builds urllib's HTTPS
    handler, which loads the system's CA certificates again for each fetcher it is not given a context for:
    25-90 ms of CPU per document. PortalUrlFetcher opens no http(s) connection (it reads the static files
    itself), so the context is never used to connect; it is the ordinary verifying one all the same."""
    return ssl.create_default_context()


class PortalUrlFetcher(URLFetcher):
    """WeasyPrint's fetcher, narrowed to static files of this portal and data: URLs."""

    def __init__(self, *, origins: set[tuple[str, str]] | None = None, **kwargs):
        kwargs.setdefault("ssl_context", _tls_context())
        super().__init__(allowed_protocols={"data", "file", "http", "https"}, **kwargs)
        self.origins = {_origin(PDF_BASE_URL), _origin(settings.STUDENTFLOW_BASE_URL), *(origins or set())}

    def fetch(self, url: str, headers=None):
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        path = self._local_path(url, scheme)
        if path is None:
            raise PdfResourceRefused(f"PDF resources come only from the portal's static files: {url[:200]}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type}
        )

    def _local_path(self, url: str, scheme: str) -> Path | None:
        parts = urlsplit(url)
        if scheme == "file":
            path = Path(unquote(parts.path)).resolve()
            return path if path.is_file() and _inside(path, _static_roots()) else None
        if scheme in {"http", "https"} and _origin(url) in self.origins:
            static_prefix = urlsplit(settings.STATIC_URL).path
            if parts.path.startswith(static_prefix):
                return static_file_path(parts.path[len(static_prefix) :])
        return None


class PdfFailed(Exception):
    """The document could not be produced in time (or within memory); the message is for the reader."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def render_pdf(
    template_name: str, context: dict, *, request: HttpRequest | None = None, timeout: int | None = None
) -> bytes:
    """Render a template to PDF bytes. Static files linked with {% static %} are read from disk.

    The layout runs in a child process with a wall-clock limit (STUDENTFLOW_PDF_TIMEOUT seconds) and a
    memory limit (STUDENTFLOW_PDF_MAX_MEMORY_MB): WeasyPrint cannot be interrupted inside a thread, and a
    document that lays out for minutes (a pasted 300 KB address did) must not hold a web worker or the queue.
    Raises PdfFailed when the limit is reached; `PdfFailedMiddleware` turns that into a page saying so.
    A document known to be long (a return laid out on the queue) passes its own `timeout`.
    """
    html = render_to_string(template_name, context, request=request)
    origins = set()
    if request is not None:
        origins.add(_origin(request.build_absolute_uri("/")))
    return run_with_limits(_layout, html, origins, timeout=timeout)


def _layout(html: str, origins: set[tuple[str, str]]) -> bytes:
    fetcher = PortalUrlFetcher(origins=origins)
    return PortalHTML(string=html, url_fetcher=fetcher).write_pdf()


def run_with_limits[T](layout: Callable[..., T], *args, timeout: int | None = None) -> T:
    """`layout(*args)` in a child process under the PDF limits (STUDENTFLOW_PDF_TIMEOUT seconds, or
    `timeout` for a layout of many documents at once; STUDENTFLOW_PDF_MAX_MEMORY_MB more memory); its result
    comes back through a pipe, so it must pickle.

    Every WeasyPrint layout of the portal runs this way (documents here, report cards in exams): none in
    the web or queue process itself, which also keeps Pango's and fontconfig's locks out of the processes
    that fork. Raises PdfFailed when a limit is reached or the layout fails."""
    if timeout is None:
        timeout = settings.STUDENTFLOW_PDF_TIMEOUT
    if "fork" not in multiprocessing.get_all_start_methods():  # not Linux/BSD/macOS: no child, no limit
        return layout(*args)
    pdf_warm_up()
    # fork, not spawn: the child starts in milliseconds with Django, WeasyPrint and the settings already
    # loaded. It only lays out what it was given (no database, no locks taken), and leaves by os._exit.
    receiver, sender = multiprocessing.get_context("fork").Pipe(duplex=False)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
        child = multiprocessing.get_context("fork").Process(
            target=_layout_in_child, args=(layout, args, sender), daemon=True
        )
        # Everything the worker holds is moved out of the collector's reach while it forks: a layout allocates
        # enough to trigger full collections in the child, and each one would walk (and so copy, page by
        # page) the parent's whole heap (Python's gc docs: freeze before fork).
        gc.freeze()
        try:
            child.start()
        finally:
            gc.unfreeze()
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise PdfFailed(
                ngettext(
                    "This document took more than %(seconds)s second to produce, so it was stopped.",
                    "This document took more than %(seconds)s seconds to produce, so it was stopped.",
                    timeout,
                )
                % {"seconds": timeout}
            )
        try:
            status, payload = receiver.recv()
        except (EOFError, OSError) as error:  # the child died: out of memory, or killed
            raise PdfFailed(_("This document could not be produced: it needed too much memory.")) from error
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join(timeout=5)
    if status == "error":
        raise PdfFailed(_("This document could not be produced (%(error)s).") % {"error": payload})
    return payload


# A small document that goes through what every PDF of the portal uses: fontconfig and Pango (regular and bold
# faces of the PDF fonts), HarfBuzz, the CSS cascade, tables with collapsed borders, a running footer,
# bookmarks, font subsetting and the PDF writer.
WARM_UP_HTML = (
    '<!doctype html><html lang="en"><head><style>'
    "@page { size: A4; margin: 12mm; @bottom-left { content: element(footer); } }"
    'html { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 8pt; }'
    ".footer { position: running(footer); } h1 { bookmark-level: 1; font-size: 11pt; }"
    "table { width: 100%; border-collapse: collapse; } th, td { border: 0.4pt solid #999; }"
    "</style></head><body><p class=footer>1</p><h1>Warm-up · 1</h1><table><thead><tr><th>A</th>"
    "<th>B</th></tr></thead><tbody><tr><td><strong>ab</strong><br><span>cd 1/2 · é</span></td>"
    "<td>50.5%</td></tr></tbody></table></body></html>"
)
_warm_up_lock = threading.Lock()
_warmed_up = False


def pdf_warm_up() -> None:
    """Lay out a small document once in this process, before its first layout child forks.

    Every layout child is forked from the process that asks for it (a queue worker, a web worker). A child
    of a process that has never laid anything out pays fontconfig's, Pango's, HarfBuzz's and WeasyPrint's
    start-up (cffi type parsing, font loading, caches) itself, in every child: ~50 ms of CPU each, on every
    part of every report-card batch. Warmed once here, every child inherits those caches.

    The warm-up runs to its end under a lock that every fork waits for (run_with_limits calls this first),
    and this process calls no Pango or fontconfig function after it: no thread can hold one of their locks
    at the moment a child is forked."""
    global _warmed_up
    if _warmed_up:
        return
    with _warm_up_lock:
        if _warmed_up:
            return
        try:
            PortalHTML(string=WARM_UP_HTML).write_pdf()
        except Exception:  # a layout that cannot warm up still runs, cold, in its child
            logger.exception("PDF warm-up failed")
        _warmed_up = True


def _layout_in_child(layout: Callable, args: tuple, sender) -> None:
    # Pango and cairo may crash rather than fail cleanly when the memory limit bites; the parent reports
    # the child's death, so no traceback dump of the inherited fault handler is wanted.
    faulthandler.disable()
    _limit_memory(settings.STUDENTFLOW_PDF_MAX_MEMORY_MB * 1024 * 1024)
    try:
        sender.send(("ok", layout(*args)))
    except Exception as error:  # reported to the parent, which raises it as PdfFailed
        # Out of memory shows as MemoryError from Python, or as an error from cairo/pango/harfbuzz.
        out_of_memory = (
            isinstance(error, MemoryError)
            or getattr(error, "errno", None) == errno.ENOMEM
            or "memory" in str(error).lower()
        )
        if out_of_memory:
            sender.send(("error", _("it needed too much memory")))
        else:
            logger.exception("PDF layout failed")  # the details go to the log, not to the reader
            sender.send(("error", _("the layout failed; the error was logged")))
    finally:
        sender.close()


def _limit_memory(extra_bytes: int) -> None:
    """Cap the child's address space at what it has now plus `extra_bytes` (Linux)."""
    try:
        import resource

        with open("/proc/self/statm") as statm:
            current = int(statm.read().split()[0]) * resource.getpagesize()
        limit = current + extra_bytes
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, OSError, ValueError):
        pass  # no /proc or no setrlimit: the time limit still holds


class PdfFailedMiddleware:
    """Answers a PdfFailed from any view with a page that says what happened (503), not a server error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, PdfFailed):
            return None
        logger.warning("PDF not produced for %s: %s", request.path, exception.message)
        return render(request, "core/pdf_failed.html", {"message": exception.message}, status=503)


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    """A PDF download (an attachment, never cached by shared caches)."""
    response = HttpResponse(content, content_type=PDF_CONTENT_TYPE)
    ascii_name = filename.encode("ascii", "ignore").decode().replace('"', "") or "document.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{ascii_name}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
