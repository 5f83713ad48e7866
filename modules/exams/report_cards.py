"""Report cards: each card's data built in bulk (a fixed number of queries for any number of students), the
single card, and the batch rendered as ONE WeasyPrint document (optionally padded for duplex printing).

The layout is templates/exams/report_card.html; a school overrides it with its own template of that name.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.academics.models import CourseOffering, Enrollment, EnrollmentStatus, Section, Term
from modules.attendance.models import AttendanceRecord, AttendanceStatus
from modules.core.models import Job, JobStatus, SchoolProfile
from modules.core.pdf import PDF_BASE_URL, PortalUrlFetcher
from modules.exams import grading
from modules.exams.models import (
    Assessment,
    AssessmentCategory,
    CommentKind,
    GradeBand,
    GradingScale,
    Mark,
    TermComment,
    TermStatus,
)
from modules.people.models import GuardianLink

TEMPLATE = "exams/report_card.html"
JOB_KIND = "report_cards"
# A logo larger than this is left off the card (it would bloat every page of a 200-card batch).
MAX_LOGO_BYTES = 512 * 1024


@dataclass
class MarkCell:
    name: str
    display: str
    max_score: Decimal


@dataclass
class SubjectLine:
    subject: str
    teacher: str
    marks: list[MarkCell]
    average: grading.Average
    comment: str = ""


@dataclass
class AttendanceSummary:
    present: int = 0
    late: int = 0
    absent: int = 0
    excused: int = 0

    @property
    def total(self) -> int:
        return self.present + self.late + self.absent + self.excused

    @property
    def rate(self) -> Decimal | None:
        """Share of recorded sessions attended (present or late), in percent."""
        if not self.total:
            return None
        return grading.percent(Decimal(self.present + self.late), Decimal(self.total))


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
) -> CardBatch:
    """Every card's data for the students (or the active students of the sections) in the term's year, sorted
    by section then name. A fixed number of queries whatever the number of students."""
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
    attendance: dict[int, AttendanceSummary] = defaultdict(AttendanceSummary)
    counts = (
        AttendanceRecord.objects.filter(
            student_id__in=students, date__gte=term.start_date, date__lte=term.end_date
        )
        .values("student_id", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in counts:
        if row["status"] in AttendanceStatus.values:
            setattr(attendance[row["student_id"]], row["status"], row["n"])
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
                cells.append(MarkCell(assessment.name, mark.display if mark else "–", assessment.max_score))
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
        school=school, logo_url=logo_data_url(school), term=term, cards=cards, preview=not published_only
    )


def results_published(term: Term) -> bool:
    return TermStatus.objects.filter(term=term, results_published_at__isnull=False).exists()


# --- rendering ---------------------------------------------------------------------------------------


def cards_html(batch: CardBatch, *, blank_after: frozenset[int] = frozenset()) -> str:
    """The batch's HTML; `blank_after`: indexes of cards followed by a blank page (duplex padding)."""
    return render_to_string(TEMPLATE, {"batch": batch, "blank_after": blank_after})


def _document(html: str):
    from weasyprint import HTML

    return HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=PortalUrlFetcher()).render()


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


def cards_pdf(batch: CardBatch, *, duplex: bool = False, html: str | None = None) -> RenderedCards:
    """ONE document for the whole batch. With `duplex`, cards of an odd page count get a blank page after
    them: one render to learn the page counts, a second only when some card needs padding."""
    html = html if html is not None else cards_html(batch)
    document = _document(html)
    passes = 1
    if duplex and batch.cards:
        odd = frozenset(i for i, n in enumerate(card_page_counts(document, len(batch.cards))) if n % 2)
        if odd:
            document = _document(cards_html(batch, blank_after=odd))
            passes = 2
    return RenderedCards(pdf=document.write_pdf(), pages=len(document.pages), passes=passes)


def card_filename(batch: CardBatch) -> str:
    if len(batch.cards) == 1:
        student = batch.cards[0].student
        return f"report-card-{student.admission_number}-{batch.term.name}.pdf".replace(" ", "-")
    return f"report-cards-{batch.term.name}.pdf".replace(" ", "-")


# --- the batch job -----------------------------------------------------------------------------------


def batch_key(*, term_id: int, section_ids: Iterable[int], duplex: bool) -> str:
    sections = ",".join(str(pk) for pk in sorted(set(section_ids)))
    return f"term={term_id};sections={sections};duplex={int(duplex)}"


@transaction.atomic
def report_card_batch_start(*, term: Term, sections: Iterable[Section], duplex: bool, by) -> Job:
    """The job for this choice (term + sections + duplex option): the existing one, queued again, or a new
    one. One job, hence one file, per choice. The task is enqueued when the transaction commits."""
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
    elif not job.is_finished:
        # Already queued or running: follow it (whoever asks last follows the job: its pages are per owner).
        Job.objects.filter(pk=job.pk).update(owner=by)
        return job
    else:
        Job.objects.filter(pk=job.pk).update(
            owner=by, status=JobStatus.QUEUED, done=0, message="", finished_at=None
        )
        job.refresh_from_db()
    from tasks.report_cards import render_report_cards

    transaction.on_commit(lambda: render_report_cards(str(job.pk)))
    return job


def report_card_batch_run(*, job: Job, progress: Callable[[int, int], None] | None = None) -> Job:
    """Build, render and store the batch of `job`. When nothing changed since its file was made (same HTML),
    the file is kept; otherwise it is replaced. Safe to run twice."""
    term = Term.objects.get(pk=job.payload["term"])
    # Before the term's results are published the office prints a preview (every mark, marked as such);
    # afterwards exactly what families see.
    batch = cards_build(
        term=term, section_ids=job.payload["sections"], published_only=results_published(term)
    )
    total = max(len(batch.cards), 1)
    job.set_progress(0, total)
    html = cards_html(batch)
    fingerprint = hashlib.sha256(html.encode()).hexdigest()
    result = {**job.result, "filename": card_filename(batch), "cards": len(batch.cards)}
    reuse = bool(job.result_file) and job.result.get("fingerprint") == fingerprint
    if not reuse:
        job.set_progress(total // 10, total)
        rendered = cards_pdf(batch, duplex=job.payload.get("duplex", False), html=html)
        old = job.result_file.name if job.result_file else ""
        job.result_file.save(f"report-cards-{job.pk}.pdf", ContentFile(rendered.pdf), save=False)
        if old and old != job.result_file.name:
            job.result_file.storage.delete(old)
        result.update(fingerprint=fingerprint, pages=rendered.pages)
    job.result = result
    job.status = JobStatus.SUCCEEDED
    job.done = total
    job.total = total
    job.message = (
        _("Nothing changed since the last run: the same file is ready.")
        if reuse
        else _("%(count)s report cards in one PDF.") % {"count": len(batch.cards)}
    )
    job.finished_at = timezone.now()
    job.save()
    return job


def report_card_batch_fail(*, job: Job, error: Exception) -> None:
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED,
        message=_("The report cards could not be printed: %(error)s") % {"error": error},
        finished_at=timezone.now(),
    )


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
            "report_card_ready",
            {"student": student, "term": term},
            event=f"term{term.pk}:student{student_id}",
            url=card_url(student_id, term.pk),
        )
        result.notified += len(student_links)
        result.unreachable.extend(sent.unreachable)
    return result
