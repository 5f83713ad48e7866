"""Report cards: each card's data built in bulk (a fixed number of queries for any number of students), the
single card, and the batch rendered as ONE WeasyPrint document (optionally padded for duplex printing).

The layout is templates/exams/report_card.html; a school overrides it with its own template of that name.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import io
import json
import logging
import mimetypes
import re
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache, partial
from math import ceil
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import Count
from django.template.loader import get_template, render_to_string
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from modules.academics.models import CourseOffering, Enrollment, EnrollmentStatus, Section, Term
from modules.attendance.selectors import AttendanceSummary, attendance_summary
from modules.core.jobs import (
    JobLost,
    job_child_finish,
    job_children,
    job_children_enqueue,
    job_enqueue,
    job_finish,
    job_lease_expired,
    job_recover,
)
from modules.core.models import Job, JobStatus, SchoolProfile
from modules.core.numbers import number_text
from modules.core.pdf import PortalHTML, run_with_limits
from modules.exams import grading
from modules.exams.models import (
    Assessment,
    AssessmentCategory,
    CommentKind,
    GradeBand,
    GradingScale,
    Mark,
    RenderedCard,
    TermComment,
    TermStatus,
)
from modules.people.models import GuardianLink

logger = logging.getLogger(__name__)

TEMPLATE = "exams/report_card.html"
JOB_KIND = "report_cards"
# A logo larger than this is left off the card (it would bloat every page of a 200-card batch).
MAX_LOGO_BYTES = 512 * 1024


@dataclass
class MarkCell:
    name: str
    display: str  # Mark.label (the score, or the code's word, "Excused"); "–" when there is no mark
    max_score: Decimal
    scored: bool = False  # printed "7/10"; a code or no mark prints alone


@lru_cache(maxsize=4096)
def _number(value: str, language: str | None) -> str:
    """number_text, remembered: a batch prints the same few scores and maxima thousands of times."""
    return number_text(value)


@dataclass
class SubjectLine:
    subject: str
    teacher: str
    marks: list[MarkCell]
    average: grading.Average
    comment: str = ""

    @property
    def marks_text(self) -> str:
        """The marks line as the card prints it ("Quiz 1 7/10 · Test Excused"), made here once rather than
        in the template's loop: a tenth of a card's template time went to it."""
        if not self.marks:
            return _("No marks this term.")
        language = get_language()
        return " · ".join(
            f"{cell.name} {_number(str(cell.display), language)}/{_number(str(cell.max_score), language)}"
            if cell.scored
            else f"{cell.name} {cell.display}"
            for cell in self.marks
        )


@dataclass
class Card:
    student: object
    section: Section
    subjects: list[SubjectLine]
    attendance: AttendanceSummary
    scale: GradingScale | None
    bands: list[GradeBand]
    homeroom_comment: str = ""
    principal_comment: str = ""
    overall: grading.Average | None = None

    @property
    def homeroom_teacher(self):
        return self.section.homeroom_teacher


@dataclass
class CardBatch:
    school: SchoolProfile
    logo_url: str
    term: Term
    cards: list[Card]
    preview: bool  # unpublished marks are included (staff only)
    issued_on: object = field(default_factory=timezone.localdate)


# --- building the data -------------------------------------------------------------------------------


def logo_data_url(school: SchoolProfile) -> str:
    """The school's logo as a data: URL (the PDF fetcher allows those), or "" when there is none/too big."""
    if not school.logo:
        return ""
    try:
        with school.logo.open("rb") as handle:
            content = handle.read(MAX_LOGO_BYTES + 1)
    except OSError:
        return ""
    content_type = mimetypes.guess_type(school.logo.name)[0] or ""
    if len(content) > MAX_LOGO_BYTES or not content_type.startswith("image/"):
        return ""
    return f"data:{content_type};base64,{base64.b64encode(content).decode()}"


def _scales() -> tuple[dict[int | None, GradingScale], dict[int, list[GradeBand]]]:
    scales = {scale.grade_level_id: scale for scale in GradingScale.objects.prefetch_related("bands")}
    bands = {
        scale.pk: sorted(scale.bands.all(), key=lambda band: band.min_percent, reverse=True)
        for scale in scales.values()
    }
    return scales, bands


def cards_build(
    *,
    term: Term,
    student_ids: Iterable[int] | None = None,
    section_ids: Iterable[int] | None = None,
    published_only: bool,
    issued_on: datetime.date | None = None,
) -> CardBatch:
    """Every card's data for the students (or the active students of the sections) in the term's year, sorted
    by section then name. A fixed number of queries whatever the number of students. `issued_on`: the date
    the cards print (today when not given; a batch of published results prints the day they were
    published, so that a card printed again is the same card)."""
    enrollments = Enrollment.objects.filter(year_id=term.year_id).select_related(
        "student", "section__grade_level", "section__homeroom_teacher"
    )
    if student_ids is not None:
        enrollments = enrollments.filter(student_id__in=list(student_ids))
    if section_ids is not None:
        enrollments = enrollments.filter(section_id__in=list(section_ids), status=EnrollmentStatus.ACTIVE)
    enrollments = list(
        enrollments.order_by(
            "section__grade_level__order", "section__name", "student__last_name", "student__first_name"
        )
    )
    sections = {e.section_id for e in enrollments}
    students = [e.student_id for e in enrollments]

    offerings = list(
        CourseOffering.objects.filter(section_id__in=sections)
        .select_related("subject", "teacher")
        .order_by("subject__name")
    )
    assessments = Assessment.objects.filter(offering__section_id__in=sections, term=term).order_by(
        "date", "pk"
    )
    if published_only:
        assessments = assessments.published()
    assessments = list(assessments.only("pk", "offering_id", "category_id", "name", "max_score"))
    weights: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for category in AssessmentCategory.objects.filter(offering__section_id__in=sections).only(
        "pk", "offering_id", "weight"
    ):
        weights[category.offering_id][category.pk] = category.weight
    marks_query = Mark.objects.filter(
        assessment__offering__section_id__in=sections, assessment__term=term, student_id__in=students
    )
    if published_only:
        marks_query = marks_query.filter(assessment__published_at__isnull=False)
    marks: dict[tuple[int, int], Mark] = {}
    for mark in marks_query.only("assessment_id", "student_id", "score", "code", "max_score"):
        marks[(mark.student_id, mark.assessment_id)] = mark
    comments: dict[tuple[int, str, int | None], str] = {}
    for comment in TermComment.objects.filter(term=term, student_id__in=students).only(
        "student_id", "kind", "offering_id", "text"
    ):
        comments[(comment.student_id, comment.kind, comment.offering_id)] = comment.text
    # The one definition of the rate (the family page and the reports show the same figure).
    attendance = attendance_summary(students, term.start_date, term.end_date)
    scales, bands = _scales()
    school = SchoolProfile.load()

    offerings_by_section: dict[int, list[CourseOffering]] = defaultdict(list)
    for offering in offerings:
        offerings_by_section[offering.section_id].append(offering)
    assessments_by_offering: dict[int, list[Assessment]] = defaultdict(list)
    for assessment in assessments:
        assessments_by_offering[assessment.offering_id].append(assessment)

    cards = []
    for enrollment in enrollments:
        student = enrollment.student
        section = enrollment.section
        scale = scales.get(section.grade_level_id) or scales.get(None)
        scale_bands = bands.get(scale.pk, []) if scale else []
        lines = []
        for offering in offerings_by_section[section.pk]:
            own = assessments_by_offering[offering.pk]
            infos = {a.pk: grading.AssessmentInfo(a.pk, a.max_score, a.category_id) for a in own}
            values, cells = [], []
            for assessment in own:
                mark = marks.get((student.pk, assessment.pk))
                if mark is not None:
                    values.append(grading.MarkValue(assessment.pk, mark.score, mark.code))
                cells.append(
                    MarkCell(
                        assessment.name,
                        mark.label if mark else "–",
                        assessment.max_score,
                        scored=mark is not None and mark.is_scored,
                    )
                )
            value = grading.weighted_percent(values, infos, weights.get(offering.pk))
            lines.append(
                SubjectLine(
                    subject=offering.subject.name,
                    teacher=offering.teacher.full_name if offering.teacher else "",
                    marks=cells,
                    average=grading.average(value, scale, scale_bands),
                    comment=comments.get((student.pk, CommentKind.SUBJECT, offering.pk), ""),
                )
            )
        averaged = [line.average.percent for line in lines if line.average.percent is not None]
        overall = None
        if averaged:
            mean = (sum(averaged) / len(averaged)).quantize(grading.ONE_DECIMAL, rounding=ROUND_HALF_UP)
            overall = grading.average(mean, scale, scale_bands)
        cards.append(
            Card(
                student=student,
                section=section,
                subjects=lines,
                attendance=attendance[student.pk],
                scale=scale,
                bands=scale_bands,
                homeroom_comment=comments.get((student.pk, CommentKind.HOMEROOM, None), ""),
                principal_comment=comments.get((student.pk, CommentKind.PRINCIPAL, None), ""),
                overall=overall,
            )
        )
    return CardBatch(
        school=school,
        logo_url=logo_data_url(school),
        term=term,
        cards=cards,
        preview=not published_only,
        issued_on=issued_on or timezone.localdate(),
    )


def results_published(term: Term) -> bool:
    return TermStatus.objects.filter(term=term, results_published_at__isnull=False).exists()


def results_issued_on(term: Term):
    """The day the term's results were published (the date printed on its cards), or None before."""
    published = (
        TermStatus.objects.filter(term=term, results_published_at__isnull=False)
        .values_list("results_published_at", flat=True)
        .first()
    )
    return timezone.localdate(published) if published else None


# --- rendering ---------------------------------------------------------------------------------------


def cards_html(batch: CardBatch, *, blank_after: frozenset[int] = frozenset()) -> str:
    """The batch's HTML; `blank_after`: indexes of cards followed by a blank page (duplex padding)."""
    return render_to_string(TEMPLATE, {"batch": batch, "blank_after": blank_after})


def _document(html: str):
    return PortalHTML(string=html).render()


def card_page_counts(document, cards: int) -> list[int]:
    """Pages of each card, read from the bookmarks the template puts on each card's heading (level 1)."""
    starts = [entry[1][0] for entry in document.make_bookmark_tree()][:cards]
    if len(starts) != cards:
        raise ValueError("The report card template must give each card's heading bookmark-level: 1.")
    ends = [*starts[1:], len(document.pages)]
    return [end - start for start, end in zip(starts, ends, strict=True)]


@dataclass
class RenderedCards:
    pdf: bytes
    pages: int
    passes: int


def _cards_layout(html: str, cards: int, duplex: bool) -> tuple[bytes | None, int, frozenset[int]]:
    """One layout (in the limited child process): the PDF and its page count, or, for duplex printing when
    some cards have an odd page count, no PDF and the indexes of those cards (they need a blank page)."""
    document = _document(html)
    if duplex and cards:
        odd = frozenset(i for i, n in enumerate(card_page_counts(document, cards)) if n % 2)
        if odd:
            return None, len(document.pages), odd
    return document.write_pdf(), len(document.pages), frozenset()


def cards_pdf(batch: CardBatch, *, duplex: bool = False, html: str | None = None) -> RenderedCards:
    """ONE document for the whole batch, laid out under the PDF time and memory limits (core.pdf). With
    `duplex`, cards of an odd page count get a blank page after them: one layout to learn the page counts,
    a second only when some card needs padding."""
    html = html if html is not None else cards_html(batch)
    cards = len(batch.cards)
    pdf, pages, odd = run_with_limits(_cards_layout, html, cards, duplex)
    if pdf is not None:
        return RenderedCards(pdf=pdf, pages=pages, passes=1)
    pdf, pages, _odd = run_with_limits(_cards_layout, cards_html(batch, blank_after=odd), cards, False)
    return RenderedCards(pdf=pdf, pages=pages, passes=2)


def _slug(text: str) -> str:
    """Lower case, words joined by hyphens, nothing a file system or a header minds ("2026/27" → "2026-27").
    Letters of any script are kept; the download header gives an ASCII fallback (see card_disposition)."""
    return slugify(re.sub(r"[/\\.:]+", "-", str(text)), allow_unicode=True)


def _term_slug(term: Term) -> str:
    term_part, year_part = _slug(term.name), _slug(term.year.name)
    return term_part if year_part and year_part in term_part else f"{term_part}-{year_part}".strip("-")


def batch_label(term: Term, sections: Iterable[Section]) -> str:
    """What the batch covers, for its file name: the grade level when every section of one grade level in
    the term's year was chosen (and there are several), else the sections' names (up to three), else how
    many sections."""
    sections = sorted(
        set(sections), key=lambda section: (section.grade_level.order, section.grade_level.name, section.name)
    )
    grades = {section.grade_level_id for section in sections}
    if len(sections) > 1 and len(grades) == 1:
        grade = sections[0].grade_level
        in_grade = Section.objects.filter(year_id=term.year_id, grade_level_id=grade.pk).count()
        if in_grade == len(sections):
            return grade.name
    if len(sections) <= 3:
        return " ".join(section.name for section in sections)
    return _("%(count)s sections") % {"count": len(sections)}


def card_filename(batch: CardBatch, sections: Iterable[Section] | None = None) -> str:
    """report-card-a-0001-sam-parent-term-1-2026-27.pdf for one card; report-cards-term-1-2026-27-7a.pdf
    (or -grade-7.pdf for a whole grade) for a batch of `sections` (by default, the cards' sections)."""
    term = _term_slug(batch.term)
    if len(batch.cards) == 1 and sections is None:
        student = batch.cards[0].student
        who = "-".join(part for part in (_slug(student.admission_number), _slug(student.full_name)) if part)
        return f"report-card-{who}-{term}.pdf"
    chosen = sections if sections is not None else {card.section for card in batch.cards}
    label = _slug(batch_label(batch.term, chosen)) if chosen else ""
    return "-".join(part for part in ("report-cards", term, label) if part) + ".pdf"


def card_disposition(filename: str) -> str:
    """Content-Disposition of a card download: an ASCII name every browser takes, and the name itself in
    RFC 6266's filename* when it has other letters."""
    ascii_name = slugify(filename.removesuffix(".pdf")) or "report-cards"
    header = f'attachment; filename="{ascii_name}.pdf"'
    if not filename.isascii():
        header += f"; filename*=UTF-8''{quote(filename)}"
    return header


# --- the batch job -----------------------------------------------------------------------------------


def batch_key(*, term_id: int, section_ids: Iterable[int], duplex: bool) -> str:
    sections = ",".join(str(pk) for pk in sorted(set(section_ids)))
    return f"term={term_id};sections={sections};duplex={int(duplex)}"


@transaction.atomic
def report_card_batch_start(*, term: Term, sections: Iterable[Section], duplex: bool, by) -> Job:
    """The job for this choice (term + sections + duplex option): the existing one, queued again, or a new
    one. One job, hence one file, per choice. The task is enqueued when the transaction commits.

    A job whose worker was killed (its lease ran out) is not followed for ever: asking again restarts it,
    and it resumes from the parts it had finished."""
    section_ids = sorted({section.pk for section in sections})
    key = batch_key(term_id=term.pk, section_ids=section_ids, duplex=duplex)
    job = Job.objects.select_for_update().filter(kind=JOB_KIND, payload__key=key).first()
    title = _("Report cards · %(term)s") % {"term": term.name}
    if job is None:
        job = Job.objects.create(
            kind=JOB_KIND,
            owner=by,
            payload={"key": key, "term": term.pk, "sections": section_ids, "duplex": duplex},
            result={"title": title},
        )
        return job_enqueue(job=job)
    # Whoever asks last follows the job (its pages are per owner).
    Job.objects.filter(pk=job.pk).update(owner=by)
    job.owner = by
    if not job.is_finished:
        if not job_lease_expired(job) or job_recover(job=job) == "restarted":
            return job  # running (or just restarted): follow it
        job.refresh_from_db()  # it used its attempts: a fresh request starts it over
    return job_enqueue(job=job)


# Progress is reported after each part: a batch is cut into about this many parts (each of at least
# PART_MIN cards, at most STUDENTFLOW_REPORT_CARD_PART_SIZE), so the bar moves every tenth of the way.
PROGRESS_STEPS = 10
PART_MIN = 5
PLAN_CARDS = 200  # cards whose data a batch gathers at a time (SpooledCards): its memory, whatever its size
# Each part is a child job of the batch, rendered by its own task (tasks/report_cards.py).
PART_KIND = "report_card_part"
# Where laid-out cards are kept (RenderedCard), in the storage of the jobs' files.
RENDERED_DIR = "report-cards/rendered"


def _even(start: int, count: int, size: int) -> list[tuple[int, int]]:
    """`count` cards from `start` in as few parts of at most `size` as can be, as even as can be."""
    if count <= 0:
        return []
    parts = ceil(count / size)
    base, extra = divmod(count, parts)
    bounds, at = [], start
    for index in range(parts):
        length = base + (1 if index < extra else 0)
        bounds.append((at, at + length))
        at += length
    return bounds


def _chunks(cards: list) -> list[tuple[int, int]]:
    """(start, end) of each part; an empty batch is one (empty) part, as it always printed a page."""
    # Small enough that every worker takes a share, a killed worker loses little and the progress moves
    # (one step per part), large enough to amortise WeasyPrint's start-up. The last cards go in smaller
    # parts, so that the workers finish together rather than one laying out a last big part while the
    # others wait. The same cards always give the same parts (a resumed run finds its finished parts again).
    largest = max(settings.STUDENTFLOW_REPORT_CARD_PART_SIZE, 1)
    size = min(largest, max(PART_MIN, ceil(len(cards) / PROGRESS_STEPS)))
    tail = min(len(cards), 2 * size)
    small = min(size, max(PART_MIN, ceil(size / 4)))
    head = len(cards) - tail
    return (_even(0, head, size) + _even(head, tail, small)) or [(0, 0)]


def _part_name(job: Job, fingerprint: str, index: int, extension: str) -> str:
    return f"jobs/parts/{job.pk}/{fingerprint[:16]}-{index:05d}.{extension}"


def _delete_files(storage, names: Iterable[str]) -> None:
    for name in names:
        if name and storage.exists(name):
            storage.delete(name)


# Where each card starts in the batch's HTML: the template's contract (templates/exams/report_card.html).
CARD_MARKER = '<section class="report-card"'
MERGE_RELAYS = 2  # times a batch lays out again cards gone from the storage at its merge, then fails
MERGE_COPY_CHUNK = 1 << 20  # bytes read at a time when a laid-out file is copied from a remote storage


class CardsHtml:
    """The batch's HTML, made once, seen card by card. Each card's key is the SHA-256 of the card's own HTML
    as a document of that card alone (with the blank page that follows it when `duplex`): everything
    printed on the card is in it, so the key changes exactly when the card would print differently. A
    part's HTML is the document of its cards alone.

    The batch is rendered once and cut where each card's <section class="report-card"> starts (the
    document's start, the cards, its end: a card's document is start + card + end), so no card's HTML is
    made twice. A school's own template that does not mark each card so is rendered card by card."""

    def __init__(self, batch: CardBatch, duplex: bool):
        self.batch, self.duplex = batch, duplex
        count = len(batch.cards)
        whole = cards_html(batch, blank_after=frozenset(range(count)) if duplex else frozenset())
        starts = [match.start() for match in re.finditer(re.escape(CARD_MARKER), whole)]
        end = whole.rfind("</body>")
        self.cut = bool(count) and len(starts) == count and end > starts[-1]
        if self.cut:
            self.start, self.end = whole[: starts[0]], whole[end:]
            self.cards = [whole[a:b] for a, b in zip(starts, [*starts[1:], end], strict=True)]
            documents = (self.start + card + self.end for card in self.cards)
        else:
            template = get_template(TEMPLATE)
            blank = frozenset({0}) if duplex else frozenset()
            documents = (
                template.render({"batch": replace(batch, cards=[card]), "blank_after": blank})
                for card in batch.cards
            )
        self.keys = [hashlib.sha256(document.encode()).hexdigest() for document in documents]

    def part(self, indexes: list[int]) -> str:
        """The HTML of a part: the cards at `indexes`, in that order."""
        if self.cut:
            return self.start + "".join(self.cards[i] for i in indexes) + self.end
        blank = frozenset(range(len(indexes))) if self.duplex else frozenset()
        chosen = [self.batch.cards[i] for i in indexes]
        return cards_html(replace(self.batch, cards=chosen), blank_after=blank)


class SpooledCards:
    """A batch's cards gathered a few sections at a time (`add`, at most about PLAN_CARDS cards' data in
    memory at once), each card's HTML written to a scratch file on disk: `keys` and `part` as CardsHtml's,
    for a batch of any size in bounded memory. Needs the cards cut from the document (the portal's own
    template) and the same document start and end for every group (`add` says False otherwise)."""

    def __init__(self, duplex: bool):
        self.duplex = duplex
        self.keys: list[str] = []
        self.start: str | None = None
        self.end = ""
        self._spool = tempfile.TemporaryFile(prefix="cards-plan-")  # noqa: SIM115 (closed by close())
        self._spans: list[tuple[int, int]] = []  # where each card's HTML is in the spool (offset, length)

    def add(self, batch: CardBatch) -> bool:
        if not batch.cards:
            return True
        pages = CardsHtml(batch, self.duplex)
        if not pages.cut or (self.start is not None and (pages.start, pages.end) != (self.start, self.end)):
            return False
        self.start, self.end = pages.start, pages.end
        self._spool.seek(0, io.SEEK_END)
        for card in pages.cards:
            data = card.encode()
            self._spans.append((self._spool.tell(), len(data)))
            self._spool.write(data)
        self.keys.extend(pages.keys)
        return True

    def part(self, indexes: list[int]) -> str:
        cards = []
        for index in indexes:
            offset, length = self._spans[index]
            self._spool.seek(offset)
            cards.append(self._spool.read(length).decode())
        return (self.start or "") + "".join(cards) + self.end

    def close(self) -> None:
        self._spool.close()


def _section_groups(term: Term, section_ids: Iterable[int]) -> list[list[int]]:
    """The sections in the batch's order (grade level, name), cut into groups of about PLAN_CARDS active
    students (a section is never split; sections a card order could interleave stay together)."""
    sizes = dict(
        Enrollment.objects.filter(
            year_id=term.year_id, section_id__in=list(section_ids), status=EnrollmentStatus.ACTIVE
        )
        .values_list("section_id")
        .annotate(count=Count("pk"))
    )
    groups: list[list[int]] = []
    size, last = PLAN_CARDS, None
    sections = Section.objects.filter(pk__in=list(sizes)).order_by("grade_level__order", "name", "pk")
    for pk, order, name in sections.values_list("pk", "grade_level__order", "name"):
        if size >= PLAN_CARDS and (order, name) != last:
            groups.append([])
            size = 0
        groups[-1].append(pk)
        size += sizes[pk]
        last = (order, name)
    return groups


def batch_cards(
    *, term: Term, section_ids: list[int], published_only: bool, issued_on, duplex: bool
) -> tuple[CardBatch, CardsHtml | SpooledCards]:
    """The batch of the sections' cards for a print: its data without the cards (for its name and an empty
    choice's page) and the cards' keys and HTML, gathered group by group of sections in bounded memory
    (`SpooledCards`; the whole batch in memory only for a school's own template that cannot be cut)."""
    build = partial(cards_build, term=term, published_only=published_only, issued_on=issued_on)
    spooled = SpooledCards(duplex)
    first = None
    for group in _section_groups(term, section_ids):
        batch = build(section_ids=group)
        first = first or replace(batch, cards=[])
        if not spooled.add(batch):
            spooled.close()
            whole = build(section_ids=section_ids)
            return replace(whole, cards=[]), CardsHtml(whole, duplex)
    return first or build(section_ids=[]), spooled


def rendered_cards(keys: Iterable[str], *, touch: bool = False) -> dict[str, RenderedCard]:
    """The cards already laid out among `keys`, by key; with `touch`, marked as used now (so that they are
    kept for a batch about to use them)."""
    keys = list(dict.fromkeys(keys))
    found: dict[str, RenderedCard] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        found.update((row.key, row) for row in RenderedCard.objects.filter(key__in=chunk))
        if touch:
            RenderedCard.objects.filter(key__in=chunk).update(used_at=timezone.now())
    return found


def _with_files(found: dict[str, RenderedCard], storage) -> dict[str, RenderedCard]:
    """`found` less the cards whose laid-out file is gone from the storage (a database restored without
    its media, a storage emptied or moved): their records are deleted, all at once, so that the batch
    lays them out again instead of finding them missing one file at a time when it merges."""
    lost = {name for name in {row.file for row in found.values()} if not storage.exists(name)}
    if not lost:
        return found
    RenderedCard.objects.filter(file__in=lost).delete()
    logger.warning(
        "Report cards: %s laid-out file(s) gone from the storage; their cards are laid out again.", len(lost)
    )
    return {key: row for key, row in found.items() if row.file not in lost}


def _part_layout(html: str, cards: int, duplex: bool) -> tuple[bytes, int, list[int]]:
    """One part laid out once (in the limited child process): its PDF, its page count and each card's
    pages. For duplex printing the HTML has a blank page after every card; the blank pages after cards of
    an even page count are dropped, so each card starts on an odd page without a second layout."""
    document = _document(html)
    if not cards:
        return document.write_pdf(), len(document.pages), []
    spans = card_page_counts(document, cards)  # with duplex, each card's pages and the blank page after it
    if duplex:
        kept, first, counts = [], 0, []
        for span in spans:
            own = span - 1
            kept.extend(document.pages[first : first + own + (own % 2)])
            counts.append(own + (own % 2))
            first += span
        document, spans = document.copy(kept), counts
    return document.write_pdf(), len(document.pages), spans


@dataclass
class RenderedPart:
    pdf: bytes
    pages: int
    spans: list[int]  # each card's pages, in order


def part_pdf(html: str, *, cards: int, duplex: bool) -> RenderedPart:
    """A part of a batch, from the HTML `cards_html` gave for it (with `blank_after` every card when
    `duplex`), under the PDF memory limit and a time limit that grows with its cards."""
    timeout = settings.STUDENTFLOW_PDF_TIMEOUT + cards * settings.STUDENTFLOW_PDF_SECONDS_PER_CARD
    pdf, pages, spans = run_with_limits(_part_layout, html, cards, duplex, timeout=timeout)
    return RenderedPart(pdf=pdf, pages=pages, spans=spans)


def cards_lay_out(html: str, keys: list[str], *, duplex: bool, storage) -> str:
    """Lay out the cards of `html` (whose keys are `keys`, in order) into one PDF in `storage` and record
    where each card's pages are. Returns the file's name. A card laid out meanwhile by another batch keeps
    its first record; a file none of whose cards it records is deleted again."""
    rendered = part_pdf(html, cards=len(keys), duplex=duplex)
    digest = hashlib.sha256(html.encode()).hexdigest()[:32]
    name = storage.save(f"{RENDERED_DIR}/{digest}.pdf", ContentFile(rendered.pdf))
    rows, first = [], 0
    for key, pages in zip(keys, rendered.spans, strict=True):
        rows.append(RenderedCard(key=key, file=name, first_page=first, pages=pages))
        first += pages
    RenderedCard.objects.bulk_create(rows, ignore_conflicts=True)
    if not RenderedCard.objects.filter(file=name).exists():
        _delete_files(storage, [name])
    return name


@dataclass
class PartPlan:
    start: int
    end: int
    todo: list[int]  # indexes of the part's cards not laid out yet


def _parts_plan(duplex: bool, keys: list[str], rendered: set[str]):
    """The batch cut into parts: a fingerprint of every card (the same cards from the same marks give the
    same fingerprint) and each part with the cards it still has to lay out."""
    digest = hashlib.sha256(b"duplex" if duplex else b"simplex")
    for key in keys:
        digest.update(key.encode())
    plan = [
        PartPlan(start, end, [index for index in range(start, end) if keys[index] not in rendered])
        for start, end in _chunks(keys)
    ]
    return digest.hexdigest(), plan


def _keys_name(job: Job, fingerprint: str) -> str:
    return f"jobs/parts/{job.pk}/{fingerprint[:16]}-keys.json"


def _result_of(job: Job) -> dict:
    # The parts are a run's working state; the finished job keeps only what its page and download need.
    return {
        key: value for key, value in job.result.items() if key not in {"parts", "building", "merging", "keys"}
    }


def report_card_batch_run(*, job: Job) -> Job:
    """Build the batch of `job` and fan it out: each part (STUDENTFLOW_REPORT_CARD_PART_SIZE cards at
    most) is a child job rendered by its own task, so every worker of every node takes a share; the part
    that finishes last merges them into ONE PDF (`report_card_part_run`).

    A card already laid out from the same HTML (`RenderedCard`: by an earlier batch, or prepared when the
    results were published) is not laid out again: its pages are taken from where they are. The cards'
    HTML is made here, once, a few sections at a time in bounded memory (`batch_cards`), and stored with
    the parts: a card is one reading of its marks, and a part laid out later never shows a mark changed
    after the batch was gathered. A run started again (a killed worker, or the office asking again) keeps
    the parts already rendered from the same HTML (same fingerprint) and queues again only the others;
    parts of cards that have changed since are dropped. When nothing changed since the file was made, the
    file is kept. Duplex padding is per card, so rendering by parts prints exactly what one document
    would. Safe to run twice."""
    term = Term.objects.select_related("year").get(pk=job.payload["term"])
    # Stages, each shown on the job's page as it starts: gathering the data, laying out the cards part by
    # part (the count moves as each part finishes), then putting the parts into one PDF.
    job.set_progress(0, message=_("Gathering the marks, comments and attendance…"))
    # Before the term's results are published the office prints a preview (every mark, marked as such);
    # afterwards exactly what families see, dated the day they were published.
    issued_on = results_issued_on(term)
    duplex = job.payload.get("duplex", False)
    batch, pages = batch_cards(
        term=term,
        section_ids=job.payload["sections"],
        published_only=issued_on is not None,
        issued_on=issued_on,
        duplex=duplex,
    )
    try:
        return _batch_plan(job, batch, pages, duplex)
    finally:
        if isinstance(pages, SpooledCards):
            pages.close()


def _batch_plan(job: Job, batch: CardBatch, pages: CardsHtml | SpooledCards, duplex: bool) -> Job:
    keys = pages.keys
    total = max(len(keys), 1)
    storage = job.result_file.storage
    _delete_files(storage, (job.result.get("parts") or {}).get("files", {}).values())  # an older run's
    result = _result_of(job)
    sections = Section.objects.filter(pk__in=job.payload["sections"]).select_related("grade_level")
    result.update(filename=card_filename(batch, sections=list(sections)), cards=len(keys))
    if not keys:  # an empty choice prints its one page, as it always did
        rendered = part_pdf(cards_html(batch), cards=0, duplex=False)
        _batch_file_save(job, ContentFile(rendered.pdf), rendered.pages, result, fingerprint="", parts=[])
        return job
    rendered = set(_with_files(rendered_cards(keys, touch=True), storage))
    fingerprint, plan = _parts_plan(duplex, keys, rendered)
    if job.result_file and job.result.get("fingerprint") == fingerprint:
        _parts_discard(job, storage)
        job_finish(
            job=job,
            status=JobStatus.SUCCEEDED,
            message=_("Nothing changed since the last run: the same file is ready."),
            result=result,
            done=total,
            total=total,
        )
        return job
    keys_file = _keys_name(job, fingerprint)
    if not storage.exists(keys_file):
        storage.save(keys_file, ContentFile(json.dumps(keys).encode()))
    parts = {part.payload["index"]: part for part in job_children(job).filter(kind=PART_KIND)}
    stale = [part for part in parts.values() if part.payload.get("fingerprint") != fingerprint]
    if stale:  # parts of cards that have changed since: rendered again
        _parts_discard(job, storage, stale)
        parts = {index: part for index, part in parts.items() if part not in stale}
    done = sum(
        part.end - part.start
        for index, part in enumerate(plan)
        if not part.todo or _part_done(parts.get(index))
    )
    if any(_part_done(part) for part in parts.values()):
        logger.info(
            "Report cards %s: resuming, parts %s of %s already rendered.",
            job.pk,
            ", ".join(str(index + 1) for index in sorted(parts) if _part_done(parts[index])),
            len(plan),
        )
    job.set_progress(
        min(done, total),
        total,
        message=_("Laying out the cards…"),
        result={**result, "building": fingerprint, "keys": keys_file},
    )
    # Each part is queued as soon as its HTML is made, so the other workers start laying out while this one
    # makes the next part's HTML.
    for index, part in enumerate(plan):
        child = parts.get(index)
        if not part.todo:
            continue
        if child is None:
            html = pages.part(part.todo)
            name = storage.save(_part_name(job, fingerprint, index, "html"), ContentFile(html.encode()))
            payload = {
                "index": index,
                "cards": part.end - part.start,
                "keys": [keys[i] for i in part.todo],
                "fingerprint": fingerprint,
                "html": name,
                "of": len(plan),
            }
            job_children_enqueue(parent=job, kind=PART_KIND, payloads=[payload])
        elif child.status == JobStatus.FAILED or (not child.is_finished and job_lease_expired(child)):
            job_enqueue(job=child)  # its worker died, or it gave up: its own attempts again
    _plan_enqueued(job)
    if _merge_claim(job):  # every part done already (or none was needed): merged here
        _batch_merge(job)
    return job


def _plan_enqueued(job: Job) -> None:
    """Mark every part of this run as queued: until then no part merges the batch (the parts queued first
    may all finish before the last is queued)."""
    with transaction.atomic():
        locked = Job.objects.select_for_update().filter(pk=job.pk, status=JobStatus.RUNNING).first()
        if locked is not None:
            Job.objects.filter(pk=job.pk).update(result={**locked.result, "enqueued": locked.attempts})


def _merge_claim(job: Job) -> bool:
    """Whether this caller merges the batch now: every part of the run is queued and rendered, and nobody
    merges it yet in the batch's current run. Decided under a lock on the batch's row (as each part's end
    is), so of the last part and a restarted batch run that see every part done at the same moment,
    exactly one merges."""
    with transaction.atomic():
        locked = Job.objects.select_for_update().filter(pk=job.pk, status=JobStatus.RUNNING).first()
        if locked is None or locked.result.get("merging") == locked.attempts:
            return False
        if locked.result.get("enqueued") != locked.attempts:  # the run is still queuing its parts
            return False
        if job_children(locked).filter(kind=PART_KIND).exclude(status=JobStatus.SUCCEEDED).exists():
            return False
        # Marked with the run's attempt: if the merging worker dies, the restarted run merges again.
        locked.result = {**locked.result, "merging": locked.attempts}
        Job.objects.filter(pk=job.pk).update(result=locked.result)
    job.refresh_from_db()
    return True


def _part_done(part: Job | None) -> bool:
    return part is not None and part.status == JobStatus.SUCCEEDED


def _parts_discard(job: Job, storage, parts: Iterable[Job] | None = None) -> None:
    """Delete parts (by default all of the job's) with their HTML files (what they laid out stays: it is
    RenderedCard's)."""
    parts = list(job_children(job).filter(kind=PART_KIND)) if parts is None else list(parts)
    _delete_files(storage, [part.payload.get("html") for part in parts])
    Job.objects.filter(pk__in=[part.pk for part in parts]).delete()


def report_card_part_run(*, part: Job) -> None:
    """Lay out one part of a batch (a child job) from the HTML the batch stored, record its cards, count its
    cards on the batch's progress; the part that finishes last merges the batch (exactly one does)."""
    batch = Job.objects.filter(pk=part.payload["parent"]).first()
    storage = part.result_file.storage
    building = batch.result.get("building") if batch is not None else None
    if batch is None or batch.is_finished or building != part.payload["fingerprint"]:
        # The batch was finished, or started over from other marks, meanwhile: this part is not wanted.
        job_finish(job=part, status=JobStatus.FAILED, message="superseded")
        return
    with storage.open(part.payload["html"], "rb") as handle:
        html = handle.read().decode()
    name = cards_lay_out(
        html, part.payload["keys"], duplex=batch.payload.get("duplex", False), storage=storage
    )
    index = part.payload["index"]
    logger.info("Report cards %s: part %s of %s rendered.", batch.pk, index + 1, part.payload["of"])

    def count_cards(parent: Job, parts: list[Job]) -> None:
        # Cards of the parts not laid out here (done before) count from the start: the total less the
        # cards of the parts still to finish.
        waiting = sum(p.payload["cards"] for p in parts if p.status != JobStatus.SUCCEEDED)
        # Only a batch whose run is alive counts: one queued again after its worker died is counted (and
        # merged) by its next run; one finished or given up meanwhile (JobLost) is left as it is.
        if parent.status == JobStatus.RUNNING:
            with contextlib.suppress(JobLost):
                parent.set_progress(max(parent.total - waiting, 0), message=_("Laying out the cards…"))

    ended = job_child_finish(child=part, on_parent=count_cards, result={**part.result, "rendered": name})
    if not ended.recorded:
        return  # this part was taken over: the other run records the batch's progress
    if ended.remaining == 0 and ended.parent is not None and _merge_claim(ended.parent):
        _batch_merge(ended.parent)


class CardsMissing(Exception):
    """A card of the batch has no laid-out pages any more (pruned meanwhile): the batch is run again."""


def _local_file(storage, name: str, copy: Path) -> Path:
    """A path to read the stored file `name` from: its own where the storage keeps it on this machine's
    disk, otherwise `copy` (streamed in chunks: an S3-compatible storage has no path). FileNotFoundError
    when it is gone."""
    with contextlib.suppress(NotImplementedError):
        path = Path(storage.path(name))
        if path.is_file():
            return path
    with storage.open(name, "rb") as source, copy.open("wb") as target:
        shutil.copyfileobj(source, target, MERGE_COPY_CHUNK)
    return copy


def _outline_starts(pdf) -> dict[int, list[str]]:
    """The titles of a laid-out file's top-level bookmarks (one per card: its heading) by page index."""
    import pikepdf

    pages = {page.obj.objgen: index for index, page in enumerate(pdf.pages)}
    starts: dict[int, list[str]] = defaultdict(list)
    with pdf.open_outline() as outline:
        for item in outline.root:
            destination = item.destination
            if isinstance(destination, pikepdf.Array) and len(destination) and destination[0].objgen in pages:
                starts[pages[destination[0].objgen]].append(item.title)
    return starts


def _cards_merge(keys: list[str], storage, into: Path) -> int:
    """Write ONE PDF of the cards' pages, in the order of `keys`, each card's bookmark kept, into the file
    `into`; returns its page count.

    qpdf (pikepdf) copies each page's objects from the laid-out files (what cards of one file share, their
    fonts, once) and writes the result straight to disk: nothing of the PDF is held as bytes, and memory
    grows only with the pages' objects (about 30 KB a page on the large demo school: +46 MB for 1,500
    cards, against pypdf's +61 MB)."""
    import pikepdf

    rows = _with_files(rendered_cards(keys), storage)
    if len(rows) != len(set(keys)):
        raise CardsMissing
    with tempfile.TemporaryDirectory(prefix="cards-merge-") as scratch, contextlib.ExitStack() as stack:
        merged = stack.enter_context(pikepdf.new())
        sources: dict[str, tuple[pikepdf.Pdf, dict[int, list[str]]]] = {}
        bookmarks: list[tuple[str, int]] = []
        for key in keys:
            row = rows[key]
            if row.file not in sources:
                try:
                    path = _local_file(storage, row.file, Path(scratch) / f"{len(sources):05d}.pdf")
                except FileNotFoundError as error:
                    RenderedCard.objects.filter(file=row.file).delete()
                    raise CardsMissing from error
                source = stack.enter_context(pikepdf.open(path))
                sources[row.file] = (source, _outline_starts(source))
            source, starts = sources[row.file]
            first = len(merged.pages)
            bookmarks.extend((title, first) for title in starts.get(row.first_page, []))
            merged.pages.extend(source.pages[row.first_page : row.first_page + row.pages])
        with merged.open_outline() as outline:
            outline.root.extend(pikepdf.OutlineItem(title, page) for title, page in bookmarks)
        merged.save(into)
        return len(merged.pages)


def _batch_merge(job: Job) -> None:
    """Put the batch's cards, in order, into ONE PDF: the job's file. Run once, by the last part."""
    result = _result_of(job)
    cards = result.get("cards", 0)
    total = max(cards, 1)
    job.set_progress(
        total,
        total,
        message=ngettext(
            "%(count)s card laid out; putting it into one PDF…",
            "%(count)s cards laid out; putting them into one PDF…",
            cards,
        )
        % {"count": cards},
    )
    fingerprint = job.result.get("building", "")
    storage = job.result_file.storage
    keys_file = job.result["keys"]
    with storage.open(keys_file, "rb") as handle:
        keys = json.loads(handle.read())
    parts = list(job_children(job).filter(kind=PART_KIND))
    with tempfile.TemporaryDirectory(prefix="cards-") as scratch:
        path = Path(scratch) / "merged.pdf"
        try:
            pages = _cards_merge(keys, storage, path)
        except CardsMissing:
            # Pruned between the plan and the merge (a batch left for days): laid out again by a new run.
            # Twice at most: a storage that loses what was just written to it is broken, and said so.
            _parts_discard(job, storage, parts)
            relaid = result.get("relaid", 0) + 1
            if relaid > MERGE_RELAYS:
                report_card_batch_fail(
                    job=job, error=CardsMissing(_("laid-out cards went missing from the file storage"))
                )
                return
            logger.warning(
                "Report cards %s: some laid-out cards were gone at the merge; running again.", job.pk
            )
            Job.objects.filter(pk=job.pk).update(result={**result, "relaid": relaid})
            job_enqueue(job=job)
            return
        with path.open("rb") as merged:
            _batch_file_save(job, File(merged), pages, result, fingerprint=fingerprint, parts=parts)
    _delete_files(storage, [keys_file])


def _batch_file_save(job: Job, pdf: File, pages: int, result: dict, *, fingerprint: str, parts) -> None:
    """Store `pdf` (copied to the storage in chunks) as the job's file and finish the job."""
    cards = result.get("cards", 0)
    total = max(cards, 1)
    storage = job.result_file.storage
    old = job.result_file.name if job.result_file else ""
    job.result_file.save(f"report-cards-{job.pk}.pdf", pdf, save=False)
    finished = job_finish(
        job=job,
        status=JobStatus.SUCCEEDED,
        message=_("%(count)s report cards in one PDF.") % {"count": cards},
        result={
            **{k: v for k, v in result.items() if k != "relaid"},
            "fingerprint": fingerprint,
            "pages": pages,
        },
        result_file=job.result_file.name,
        done=total,
        total=total,
    )
    if not finished:  # another run took over: its file is the one
        _delete_files(storage, [job.result_file.name])
        return
    if old and old != job.result_file.name:
        storage.delete(old)
    _parts_discard(job, storage, parts)


# --- laid-out cards, ahead of the office and after -----------------------------------------------------


def report_cards_prepare(*, term_id: int, section_ids: list[int] | None = None) -> list[int]:
    """Lay out, ahead of the office, the cards of one section of a term whose results are published (the
    first of `section_ids`; every section of the term's year with active students when None), as the
    office would print them (one-sided, published marks): a batch that includes them then only merges.
    Returns the sections left, for the next task: one section a task, so the queue serves the office's
    own requests in between."""
    term = Term.objects.filter(pk=term_id).first()
    issued_on = results_issued_on(term) if term is not None else None
    if issued_on is None:  # gone, or unpublished meanwhile: nothing to prepare
        return []
    if section_ids is None:
        section_ids = list(
            Section.objects.filter(year_id=term.year_id, enrollments__status=EnrollmentStatus.ACTIVE)
            .distinct()
            .order_by("grade_level__order", "name")
            .values_list("pk", flat=True)
        )
    if not section_ids:
        return []
    batch = cards_build(term=term, section_ids=section_ids[:1], published_only=True, issued_on=issued_on)
    pages = CardsHtml(batch, duplex=False)
    keys = pages.keys
    storage = Job._meta.get_field("result_file").storage
    rendered = set(_with_files(rendered_cards(keys), storage))
    todo = [index for index, key in enumerate(keys) if key not in rendered]
    size = max(settings.STUDENTFLOW_REPORT_CARD_PART_SIZE, 1)
    for start in range(0, len(todo), size):
        chunk = todo[start : start + size]
        cards_lay_out(pages.part(chunk), [keys[i] for i in chunk], duplex=False, storage=storage)
    if todo:
        logger.info(
            "Report cards of term %s, section %s: %s laid out ahead.", term_id, section_ids[0], len(todo)
        )
    return section_ids[1:]


def rendered_cards_prune(*, now: datetime.datetime | None = None) -> int:
    """Forget the laid-out cards unused for STUDENTFLOW_REPORT_CARD_CACHE_DAYS days and delete the files
    none of the remaining cards use. Returns how many were forgotten."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.STUDENTFLOW_REPORT_CARD_CACHE_DAYS)
    old = RenderedCard.objects.filter(used_at__lt=cutoff)
    files = set(old.values_list("file", flat=True))
    count, _deleted = old.delete()
    kept = set(RenderedCard.objects.filter(file__in=files).values_list("file", flat=True))
    _delete_files(Job._meta.get_field("result_file").storage, sorted(files - kept))
    return count


def report_card_batch_fail(*, job: Job, error: Exception) -> None:
    job_finish(
        job=job,
        status=JobStatus.FAILED,
        message=_("The report cards could not be printed: %(error)s") % {"error": error},
    )


def report_card_part_fail(*, part: Job, error: Exception) -> None:
    """A part that cannot be rendered (a card past the PDF limits) fails its batch, saying why."""
    job_finish(job=part, status=JobStatus.FAILED, message=str(error))
    batch = Job.objects.filter(pk=part.payload["parent"], status=JobStatus.RUNNING).first()
    if batch is not None:
        report_card_batch_fail(job=batch, error=error)


# --- emailing families -------------------------------------------------------------------------------


@dataclass
class EmailResult:
    students: int = 0
    notified: int = 0
    without_login: int = 0
    unreachable: list[str] = field(default_factory=list)


@transaction.atomic
def report_cards_email(
    *, term: Term, sections: Iterable[Section], card_url: Callable[[int, int], str]
) -> EmailResult:
    """Tell each family (guardians who receive notifications) that their child's card is ready, in their own
    language, with a link to the card. Guardians without a login cannot open the portal: counted, skipped."""
    from modules.communications.services import notify, recipients_for_guardians
    from modules.exams.notifications import REPORT_CARD_READY

    students = list(
        Enrollment.objects.filter(
            year_id=term.year_id, section__in=list(sections), status=EnrollmentStatus.ACTIVE
        ).values_list("student_id", flat=True)
    )
    links = GuardianLink.objects.filter(student_id__in=students, receives_notifications=True).select_related(
        "guardian__user", "student"
    )
    by_student: dict[int, list] = defaultdict(list)
    result = EmailResult(students=len(set(students)))
    for link in links:
        if link.guardian.user_id is None or not link.guardian.user.is_active:
            result.without_login += 1
            continue
        by_student[link.student_id].append(link)
    for student_id, student_links in by_student.items():
        student = student_links[0].student
        sent = notify(
            recipients_for_guardians([link.guardian for link in student_links]),
            REPORT_CARD_READY,
            {"student": student, "term": term},
            event=f"term{term.pk}:student{student_id}",
            url=card_url(student_id, term.pk),
        )
        result.notified += len(student_links)
        result.unreachable.extend(sent.unreachable)
    return result
