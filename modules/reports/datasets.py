"""The report builder's data sets: what a report can be made of, and for whom.

A data set declares its columns (a key, a label, a kind, and how the database reads it: a field path or an
expression, aggregated in SQL, never counted row by row in Python), who may use it, and its base queryset,
scoped by the owning module's `visible_to` for the person running the report: a teacher's "students" are
their students, a bursar has no marks data set, families have no builder at all. Attendance is counted by the
one definition (`attendance.selectors.session_records`, the school's register modes): possible sessions are
marks on submitted registers of the grade's mode; attended = present or late; rate = attended / possible.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    DecimalField,
    Exists,
    Expression,
    ExpressionWrapper,
    F,
    FilteredRelation,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, TruncDate
from django.db.models.lookups import GreaterThan
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from modules.academics.models import AcademicYear, Enrollment, EnrollmentStatus, GradeLevel, Section, Term
from modules.accounts import rules as account_rules
from modules.assignments.models import Assignment, HandIn, Submission
from modules.attendance.analytics import term_tally_counted
from modules.attendance.models import (
    AttendancePolicy,
    AttendanceRecord,
    AttendanceStatus,
    Register,
    RegisterState,
    StudentTermTally,
)
from modules.attendance.selectors import session_records
from modules.communications.models import Channel, Delivery, DeliveryStatus
from modules.exams.models import Assessment, GradeBand, GradingScale, Mark, SubjectResult
from modules.exams.results import results_fresh
from modules.fees.models import Invoice, InvoiceStatus, Payment, PaymentMethod, fee_staff
from modules.people.models import Gender, Student

TEXT, NUMBER, DECIMAL, PERCENT, DATE, BOOLEAN = "text", "number", "decimal", "percent", "date", "boolean"
NUMERIC = frozenset({NUMBER, DECIMAL, PERCENT})


@dataclass(frozen=True)
class Params:
    """What a run depends on besides the definition: the term of a data set over a period, and today."""

    term: Term | None = None
    today: datetime.date = field(default_factory=timezone.localdate)

    @property
    def period(self) -> tuple[datetime.date, datetime.date]:
        if self.term is None:
            raise ValueError("this data set is read over a term")
        return self.term.start_date, min(self.term.end_date, max(self.today, self.term.start_date))

    @functools.cached_property
    def results_counted(self) -> int:
        """The term's stored averages brought up to date with its marks (exams.results.results_fresh), once
        per run: two queries when no mark changed since the last read."""
        return results_fresh(self.term.pk) if self.term is not None else 0

    @functools.cached_property
    def term_tallied(self) -> bool:
        """Whether the students' term tallies hold the term's figures: as for the office's reports
        (attendance.analytics), they do while every submitted register of the term has its tally. One query
        per run."""
        start, end = self.period
        return not Register.objects.filter(
            date__range=(start, end), state=RegisterState.SUBMITTED, tally=None
        ).exists()


Source = str | Callable[[Params], Any]


def section_names() -> list[str]:
    """Every section's name, once (a name comes back each year): what a section filter chooses from. Names
    are no secret (a teacher filtering by another's section finds none of its rows in their report)."""
    return list(Section.objects.order_by("name").values_list("name", flat=True).distinct())


def grade_level_names() -> list[str]:
    return list(GradeLevel.objects.order_by("order", "name").values_list("name", flat=True))


def _section_column(source: str) -> Column:
    """A data set's section column: its name, a filter choosing from the school's section names."""
    return Column("section", _("Section"), TEXT, source, options=section_names)


def _grade_column(source: str) -> Column:
    return Column("grade", _("Grade level"), TEXT, source, options=grade_level_names)


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    kind: str
    source: Source
    choices: tuple[tuple[str, Any], ...] = ()
    # A text column whose filter chooses from names the school has (sections, grade levels): read when the
    # builder draws the filter, not stored.
    options: Callable[[], list[str]] | None = None
    # Numbers that add up (counts, money) get a total in a grouped report; every number gets an average.
    summable: bool = False
    # A figure counted per row by a correlated subquery cannot be grouped by in SQL.
    groupable: bool = True

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC

    def expression(self, params: Params):
        return self.source(params) if callable(self.source) else F(self.source)

    def shown(self, value: Any) -> Any:
        """A value as people read it (a choice's label, a rate to one decimal)."""
        if value is None:
            return None
        if self.choices:
            return dict(self.choices).get(value, value)
        if self.kind == PERCENT:
            return round(float(value), 1)
        return value


@dataclass(frozen=True)
class Dataset:
    key: str
    label: str | Promise
    description: str | Promise
    may_use: Callable[[Any], bool]
    base: Callable[[Any, Params], QuerySet]
    columns: tuple[Column, ...]
    default_columns: tuple[str, ...]
    # Read over a term (attendance): the builder asks for one.
    uses_term: bool = False

    def column(self, key: str) -> Column | None:
        return next((column for column in self.columns if column.key == key), None)

    def queryset(self, user, params: Params) -> QuerySet:
        """The rows this person may see, with every column as an alias `c_<key>` (computed only when a
        report names it)."""
        rows = self.base(user, params)
        return rows.alias(**{f"c_{column.key}": column.expression(params) for column in self.columns})


def _staff_records(user) -> bool:
    """The office and teachers: the school's records (a teacher's own students)."""
    return account_rules.is_administrator(user) or account_rules.is_teacher(user)


def _staff(user) -> bool:
    return account_rules.is_staff_member(user)


def _full_name(prefix: str = "") -> Concat:
    return Concat(F(f"{prefix}first_name"), Value(" "), F(f"{prefix}last_name"))


# A student's section of one year is a join on their enrolment of that year (at most one, by the constraint
# enrollment_one_section_per_year), not a subquery: a report groups by it in SQL, which a correlated subquery
# cannot be.
YEAR_ENROLMENT = "year_enrolment"


def _with_year_enrolment(students: QuerySet, year: Q) -> QuerySet:
    return students.alias(**{YEAR_ENROLMENT: FilteredRelation("enrollments", condition=year)})


# --- students ----------------------------------------------------------------------------------------------


def _students(user, params: Params) -> QuerySet:
    current = AcademicYear.objects.filter(is_current=True).values_list("pk", flat=True).first()
    return _with_year_enrolment(Student.objects.visible_to(user), Q(enrollments__year_id=current))


STUDENTS = Dataset(
    key="students",
    label=_("Students"),
    description=_("One row per student you may see, with this year's section."),
    may_use=_staff,
    base=_students,
    columns=(
        Column("admission_number", _("Admission number"), TEXT, "admission_number"),
        Column("name", _("Name"), TEXT, lambda p: _full_name()),
        Column("last_name", _("Last name"), TEXT, "last_name"),
        Column("first_name", _("First name"), TEXT, "first_name"),
        Column("gender", _("Gender"), TEXT, "gender", choices=tuple(Gender.choices)),
        Column("date_of_birth", _("Date of birth"), DATE, "date_of_birth"),
        Column("admission_date", _("Admission date"), DATE, "admission_date"),
        Column("active", _("Active"), BOOLEAN, "is_active"),
        _section_column(f"{YEAR_ENROLMENT}__section__name"),
        _grade_column(f"{YEAR_ENROLMENT}__section__grade_level__name"),
    ),
    default_columns=("admission_number", "name", "section"),
)


# --- enrolments --------------------------------------------------------------------------------------------


def _enrolments(user, params: Params) -> QuerySet:
    return Enrollment.objects.filter(student__in=Student.objects.records_visible_to(user))


ENROLMENTS = Dataset(
    key="enrolments",
    label=_("Enrolments"),
    description=_("One row per enrolment of a student in a section, every year."),
    may_use=_staff_records,
    base=_enrolments,
    columns=(
        Column("admission_number", _("Admission number"), TEXT, "student__admission_number"),
        Column("name", _("Name"), TEXT, lambda p: _full_name("student__")),
        Column("year", _("Year"), TEXT, "year__name"),
        _grade_column("section__grade_level__name"),
        _section_column("section__name"),
        Column("status", _("Status"), TEXT, "status", choices=tuple(EnrollmentStatus.choices)),
        Column("enrolled_on", _("Enrolled on"), DATE, "enrolled_on"),
    ),
    default_columns=("name", "year", "section", "status"),
)


# --- attendance by student ---------------------------------------------------------------------------------


def _attendance_count(status: str) -> Callable[[Params], Coalesce]:
    """The student's possible sessions over the term marked `status`: read from their term tally (of their
    grade's register mode) when the term's tallies are whole, else counted from the records (the one
    definition, selectors.session_records) on the (student, date) index. One correlated subquery each."""

    def read(params: Params) -> Coalesce:
        modes = AttendancePolicy.load().modes
        if params.term is not None and params.term_tallied:
            tallies = StudentTermTally.objects.filter(
                term_tally_counted(modes), term_id=params.term.pk, student_id=OuterRef("pk")
            )
            counted = tallies.order_by().values("student_id").annotate(n=Sum(status)).values("n")[:1]
        else:
            start, end = params.period
            records = session_records(start, end, mode=modes).filter(student_id=OuterRef("pk"), status=status)
            counted = records.order_by().values("student_id").annotate(n=Count("pk")).values("n")[:1]
        return Coalesce(Subquery(counted), 0)

    return read


def _possible(params: Params) -> Expression:
    """Every mark of a possible session: the four counts added (no fifth subquery)."""
    return F("c_present") + F("c_late") + F("c_absent") + F("c_excused")


def _attended(params: Params) -> Expression:
    return F("c_present") + F("c_late")


def _rate(params: Params) -> Case:
    """Attended / possible sessions, in percent (None without a possible session)."""
    share = ExpressionWrapper(
        Cast(F("c_present") + F("c_late"), FloatField()) * 100.0 / Cast(F("c_possible"), FloatField()),
        output_field=FloatField(),
    )
    return Case(When(c_possible=0, then=Value(None, output_field=FloatField())), default=share)


def _counts(count: Callable[[str], Callable[[Params], Coalesce]]) -> tuple[Column, ...]:
    """The four counts of a line and the figures made of them (aliases are defined in this order)."""
    return (
        Column(
            "present", _("Present"), NUMBER, count(AttendanceStatus.PRESENT), summable=True, groupable=False
        ),
        Column("late", _("Late"), NUMBER, count(AttendanceStatus.LATE), summable=True, groupable=False),
        Column("absent", _("Absent"), NUMBER, count(AttendanceStatus.ABSENT), summable=True, groupable=False),
        Column(
            "excused", _("Excused"), NUMBER, count(AttendanceStatus.EXCUSED), summable=True, groupable=False
        ),
        Column("possible", _("Possible sessions"), NUMBER, _possible, summable=True, groupable=False),
        Column("attended", _("Attended"), NUMBER, _attended, summable=True, groupable=False),
        Column("rate", _("Attendance rate (%)"), PERCENT, _rate, groupable=False),
    )


def _attendance(user, params: Params) -> QuerySet:
    year_id = params.term.year_id if params.term is not None else None
    return _with_year_enrolment(Student.objects.records_visible_to(user), Q(enrollments__year_id=year_id))


ATTENDANCE = Dataset(
    key="attendance",
    label=_("Attendance by student"),
    description=_(
        "One row per student, counted over a term so far: possible sessions are marks on submitted "
        "registers; attended is present or late; the rate is attended out of possible sessions."
    ),
    may_use=_staff_records,
    base=_attendance,
    uses_term=True,
    columns=(
        Column("admission_number", _("Admission number"), TEXT, "admission_number"),
        Column("name", _("Name"), TEXT, lambda p: _full_name()),
        _section_column(f"{YEAR_ENROLMENT}__section__name"),
        _grade_column(f"{YEAR_ENROLMENT}__section__grade_level__name"),
        *_counts(_attendance_count),
    ),
    default_columns=("name", "section", "possible", "attended", "rate"),
)


# --- attendance by section and day ------------------------------------------------------------------------


def _register_count(status: str) -> Callable[[Params], Coalesce]:
    """A register's marks of one status: its tally (kept by the services), else counted from its records
    (a register written around the services has no tally)."""

    def read(params: Params) -> Coalesce:
        records = AttendanceRecord.objects.filter(register_id=OuterRef("pk"), status=status)
        counted = records.order_by().values("register_id").annotate(n=Count("pk")).values("n")[:1]
        return Coalesce(F(f"tally__{status}"), Subquery(counted), 0)

    return read


def _registers(user, params: Params) -> QuerySet:
    """The submitted registers of the term so far that are possible sessions (their grade's register mode),
    of the registers this person may see."""
    start, end = params.period
    return Register.objects.visible_to(user).filter(
        AttendancePolicy.load().modes.counted_q(), date__range=(start, end), state=RegisterState.SUBMITTED
    )


ATTENDANCE_DAYS = Dataset(
    key="attendance_days",
    label=_("Attendance by section and day"),
    description=_(
        "One row per register taken this term so far (a section's day, or a class's lesson where the grade "
        "takes one per lesson): its marks by status and its attendance rate."
    ),
    may_use=_staff_records,
    base=_registers,
    uses_term=True,
    columns=(
        Column("date", _("Date"), DATE, "date"),
        _section_column("section__name"),
        _grade_column("section__grade_level__name"),
        Column("subject", _("Subject"), TEXT, "offering__subject__name"),
        *_counts(_register_count),
    ),
    default_columns=("date", "section", "possible", "absent", "rate"),
)


# --- marks -------------------------------------------------------------------------------------------------


def _marks(user, params: Params) -> QuerySet:
    # Row by row (EXISTS), as the term results: lists of the whole school would lead the query plan astray.
    return Mark.objects.filter(
        Exists(Assessment.objects.visible_to(user).filter(pk=OuterRef("assessment_id"))),
        Exists(Student.objects.records_visible_to(user).filter(pk=OuterRef("student_id"))),
    )


def _mark_percent(params: Params) -> Case:
    share = ExpressionWrapper(
        Cast(F("score"), FloatField()) * 100.0 / Cast(F("max_score"), FloatField()), output_field=FloatField()
    )
    return Case(When(score__isnull=True, then=Value(None, output_field=FloatField())), default=share)


MARKS = Dataset(
    key="marks",
    label=_("Marks"),
    description=_("One row per mark of an assessment you may see."),
    may_use=_staff_records,
    base=_marks,
    columns=(
        Column("admission_number", _("Admission number"), TEXT, "student__admission_number"),
        Column("name", _("Name"), TEXT, lambda p: _full_name("student__")),
        _section_column("assessment__offering__section__name"),
        Column("subject", _("Subject"), TEXT, "assessment__offering__subject__name"),
        Column("term", _("Term"), TEXT, "assessment__term__name"),
        Column("assessment", _("Assessment"), TEXT, "assessment__name"),
        Column("date", _("Date"), DATE, "assessment__date"),
        Column("score", _("Score"), DECIMAL, "score"),
        Column("max_score", _("Out of"), DECIMAL, "max_score"),
        Column("percent", _("Percent"), PERCENT, _mark_percent),
        Column("code", _("Code"), TEXT, "code"),
    ),
    default_columns=("name", "subject", "assessment", "score", "max_score"),
)


# --- term results ------------------------------------------------------------------------------------------


def _results(user, params: Params) -> QuerySet:
    """The term's stored averages (exams.results) of the classes and students this person may see, each with
    its grading scale: the grade level's, else the school's default (exams.grading.scale_and_bands)."""
    own = GradingScale.objects.filter(grade_level_id=OuterRef("offering__section__grade_level_id"))
    default = GradingScale.objects.filter(grade_level__isnull=True)
    params.results_counted  # noqa: B018 (counted again where the marks changed, before reading)
    # Scoped row by row (EXISTS), not by lists (IN): the office's lists are the whole school, and SQLite would
    # otherwise walk every student × every class through the unique index instead of the term's rows.
    return SubjectResult.objects.filter(
        Exists(Assessment.objects.visible_to(user).filter(offering_id=OuterRef("offering_id"))),
        Exists(Student.objects.records_visible_to(user).filter(pk=OuterRef("student_id"))),
        term=params.term,
        percent__isnull=False,  # a student whose marks are all excused has no average
    ).alias(result_scale=Coalesce(Subquery(own.values("pk")[:1]), Subquery(default.values("pk")[:1])))


def _letter(params: Params) -> Subquery:
    """The scale's band the average falls in (the highest whose threshold it reaches)."""
    bands = GradeBand.objects.filter(scale_id=OuterRef("result_scale"), min_percent__lte=OuterRef("percent"))
    return Subquery(bands.order_by("-min_percent").values("letter")[:1])


def _passed(params: Params) -> ExpressionWrapper:
    pass_mark = GradingScale.objects.filter(pk=OuterRef("result_scale")).values("pass_mark")[:1]
    return ExpressionWrapper(Q(percent__gte=Subquery(pass_mark)), output_field=BooleanField())


TERM_RESULTS = Dataset(
    key="term_results",
    label=_("Term results"),
    description=_(
        "One row per student and class with an average for the term: the gradebook's and the report "
        "card's average of every mark given (excused marks left out, missing and absent counted as zero, "
        "weighted by the class's categories), with its letter and pass from the grade level's grading scale."
    ),
    may_use=_staff_records,
    base=_results,
    uses_term=True,
    columns=(
        Column("admission_number", _("Admission number"), TEXT, "student__admission_number"),
        Column("name", _("Name"), TEXT, lambda p: _full_name("student__")),
        _section_column("offering__section__name"),
        _grade_column("offering__section__grade_level__name"),
        Column("subject", _("Subject"), TEXT, "offering__subject__name"),
        Column("teacher", _("Teacher"), TEXT, lambda p: _full_name("offering__teacher__")),
        Column("average", _("Average (%)"), PERCENT, "percent"),
        Column("letter", _("Letter"), TEXT, _letter, groupable=False),
        Column("passed", _("Passed"), BOOLEAN, _passed, groupable=False),
    ),
    default_columns=("name", "section", "subject", "average", "letter"),
)


# --- homework ----------------------------------------------------------------------------------------------


def _assignments(user, params: Params) -> QuerySet:
    """The published assignments this person may see (a teacher's classes', the office's all)."""
    return Assignment.objects.visible_to(user).published()


def _class_students() -> QuerySet:
    """The active students of the assignment's class (the teacher's inbox lists the same)."""
    return Enrollment.objects.filter(
        section_id=OuterRef("offering__section_id"), status=EnrollmentStatus.ACTIVE
    )


def _count_of(rows: QuerySet) -> Coalesce:
    counted = rows.order_by().values("section_id").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted), 0)


HANDED_IN = Q(submitted_at__isnull=False) | Q(returned_at__isnull=False)
RETURNED = Q(returned_at__isnull=False)


def _work(condition: Q) -> Callable[[Params], Coalesce]:
    """The class's students whose work for the assignment matches `condition` (assignments.states'
    definitions: handed in = handed in or returned (work on paper counts once recorded); returned = marked
    and given back)."""

    def count(params: Params) -> Coalesce:
        work = Submission.objects.filter(
            condition, assignment_id=OuterRef(OuterRef("pk")), student_id=OuterRef("student_id")
        )
        return _count_of(_class_students().filter(Exists(work)))

    return count


def _missing(params: Params) -> Coalesce:
    """The class's students with nothing handed in whose due time (their extension, else the assignment's)
    has passed: assignments.states.WorkState.MISSING."""
    now = timezone.now()
    theirs = Submission.objects.filter(
        assignment_id=OuterRef(OuterRef("pk")), student_id=OuterRef("student_id")
    )
    rows = (
        _class_students()
        .annotate(assignment_due=ExpressionWrapper(OuterRef("due_at"), output_field=DateTimeField()))
        .exclude(Exists(theirs.filter(HANDED_IN)))
        .exclude(Exists(theirs.filter(extended_due_at__gte=now)))
        .filter(Q(Exists(theirs.filter(extended_due_at__lt=now))) | Q(assignment_due__lt=now))
    )
    return _count_of(rows)


def _class_size(params: Params) -> Coalesce:
    return _count_of(_class_students())


def _handed_in_rate(params: Params) -> Case:
    students = _class_size(params)
    share = ExpressionWrapper(
        Cast(_work(HANDED_IN)(params), FloatField()) * 100.0 / Cast(students, FloatField()),
        output_field=FloatField(),
    )
    return Case(When(GreaterThan(students, 0), then=share), default=Value(None, output_field=FloatField()))


ASSIGNMENTS = Dataset(
    key="assignments",
    label=_("Homework"),
    description=_(
        "One row per published assignment you may see, with its class's work as the teacher's inbox counts "
        "it: handed in (or returned), missing once the due time (or the student's extension) has passed, "
        "returned."
    ),
    may_use=_staff_records,
    base=_assignments,
    columns=(
        Column("title", _("Title"), TEXT, "title"),
        Column("subject", _("Subject"), TEXT, "offering__subject__name"),
        _section_column("offering__section__name"),
        _grade_column("offering__section__grade_level__name"),
        Column("teacher", _("Teacher"), TEXT, lambda p: _full_name("offering__teacher__")),
        Column("term", _("Term"), TEXT, "term__name"),
        Column("due_on", _("Due on"), DATE, lambda p: TruncDate("due_at")),
        Column("hand_in", _("Handed in as"), TEXT, "hand_in", choices=tuple(HandIn.choices)),
        Column(
            "graded",
            _("In the gradebook"),
            BOOLEAN,
            lambda p: ExpressionWrapper(Q(assessment__isnull=False), output_field=BooleanField()),
        ),
        Column(
            "students",
            _("Students"),
            NUMBER,
            _class_size,
            summable=True,
            groupable=False,
        ),
        Column("handed_in", _("Handed in"), NUMBER, _work(HANDED_IN), summable=True, groupable=False),
        Column("handed_in_rate", _("Handed in (%)"), PERCENT, _handed_in_rate, groupable=False),
        Column("missing", _("Missing"), NUMBER, _missing, summable=True, groupable=False),
        Column("returned", _("Returned"), NUMBER, _work(RETURNED), summable=True, groupable=False),
    ),
    default_columns=("title", "section", "subject", "due_on", "students", "handed_in", "missing"),
)


# --- invoices and payments ---------------------------------------------------------------------------------


def _money(expression) -> ExpressionWrapper:
    return ExpressionWrapper(expression, output_field=DecimalField(max_digits=12, decimal_places=2))


def _fees(user) -> bool:
    return fee_staff(user)


INVOICES = Dataset(
    key="invoices",
    label=_("Invoices"),
    description=_("One row per invoice."),
    may_use=_fees,
    base=lambda user, params: Invoice.objects.visible_to(user),
    columns=(
        Column("number", _("Number"), TEXT, "number"),
        Column("admission_number", _("Admission number"), TEXT, "student__admission_number"),
        Column("name", _("Student"), TEXT, lambda p: _full_name("student__")),
        _section_column("section__name"),
        Column("issued_on", _("Issued on"), DATE, "issued_on"),
        Column("due_date", _("Due date"), DATE, "due_date"),
        Column("total", _("Total"), DECIMAL, "total", summable=True),
        Column("paid", _("Paid"), DECIMAL, "amount_paid", summable=True),
        Column("credited", _("Credited"), DECIMAL, "amount_credited", summable=True),
        Column(
            "balance",
            _("Balance"),
            DECIMAL,
            lambda p: _money(F("total") - F("amount_paid") - F("amount_credited")),
            summable=True,
        ),
        Column("status", _("Status"), TEXT, "status", choices=tuple(InvoiceStatus.choices)),
    ),
    default_columns=("number", "name", "due_date", "total", "balance", "status"),
)

PAYMENTS = Dataset(
    key="payments",
    label=_("Payments"),
    description=_("One row per payment received."),
    may_use=_fees,
    base=lambda user, params: Payment.objects.visible_to(user),
    columns=(
        Column("receipt_number", _("Receipt number"), TEXT, "receipt_number"),
        Column("admission_number", _("Admission number"), TEXT, "student__admission_number"),
        Column("name", _("Student"), TEXT, lambda p: _full_name("student__")),
        Column("received_on", _("Received on"), DATE, "received_on"),
        Column("amount", _("Amount"), DECIMAL, "amount", summable=True),
        Column("method", _("Method"), TEXT, "method", choices=tuple(PaymentMethod.choices)),
        Column("reference", _("Reference"), TEXT, "reference"),
        Column("payer", _("Paid by"), TEXT, "payer_name"),
        Column("allocated", _("Allocated"), DECIMAL, "amount_allocated", summable=True),
    ),
    default_columns=("receipt_number", "name", "received_on", "amount", "method"),
)


# --- deliveries --------------------------------------------------------------------------------------------


DELIVERIES = Dataset(
    key="deliveries",
    label=_("Email and SMS deliveries"),
    description=_("One row per email or text message queued, as the office's delivery log has them."),
    # The delivery log is the office's (communications.views_deliveries): nobody else reads addresses.
    may_use=account_rules.is_administrator,
    base=lambda user, params: Delivery.objects.all(),
    columns=(
        # Days in the school's time zone (a filter on a day compares days, not instants).
        Column("queued_on", _("Queued on"), DATE, lambda p: TruncDate("created_at")),
        Column("sent_on", _("Sent on"), DATE, lambda p: TruncDate("sent_at")),
        Column("channel", _("Channel"), TEXT, "channel", choices=tuple(Channel.choices)),
        Column("kind", _("Kind"), TEXT, "kind"),
        Column("recipient", _("Recipient"), TEXT, "recipient_name"),
        Column("address", _("Email or phone"), TEXT, "address"),
        Column("subject", _("Subject"), TEXT, "subject"),
        Column("status", _("Status"), TEXT, "status", choices=tuple(DeliveryStatus.choices)),
        Column("attempts", _("Attempts"), NUMBER, "attempts", summable=True),
        Column("last_error", _("Last error"), TEXT, "last_error"),
    ),
    default_columns=("queued_on", "channel", "recipient", "subject", "status"),
)


DATASETS: dict[str, Dataset] = {
    dataset.key: dataset
    for dataset in (
        STUDENTS,
        ENROLMENTS,
        ATTENDANCE,
        ATTENDANCE_DAYS,
        MARKS,
        TERM_RESULTS,
        ASSIGNMENTS,
        INVOICES,
        PAYMENTS,
        DELIVERIES,
    )
}


def dataset_get(key: str) -> Dataset | None:
    return DATASETS.get(key)


def datasets_for(user) -> list[Dataset]:
    """The data sets this person may build reports from (none for families)."""
    return [dataset for dataset in DATASETS.values() if dataset.may_use(user)]


def may_build(user) -> bool:
    """Staff build reports: the office, teachers and the bursar (each with the data sets of their role)."""
    return account_rules.is_staff_member(user)
