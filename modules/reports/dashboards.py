"""The figures of the role dashboards, each drawn as a chart (core.charts) from the selector the detail page
it summarises uses, so the two always agree:

- attendance: `attendance.analytics` (the reports overview and a section's report; the per-day sums of the
  overview for the weekly rates), `attendance.selectors.session_records` (a child's term, as on the family
  page);
- marks: `exams.stats` (an assessment's distribution, students below the pass mark), a child's subject
  averages as the family grades page computes them;
- fees: `fees.reports` (aging, collections and the bursar dashboard's definitions of billed and collected);
- enrolment: the sections list's counts (`academics.selectors.sections_with_counts`), per grade level.

Every read is a fixed number of grouped queries whatever the size of the school (a teacher's dashboard grows
with that teacher's classes, a family's with its children, never with the school).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from modules.academics.models import AcademicYear, CourseOffering, Enrollment, EnrollmentStatus, Section, Term
from modules.academics.selectors import current_enrollment, current_term
from modules.attendance import analytics
from modules.attendance.models import AttendancePolicy, Register, RegisterState, StudentTermTally
from modules.attendance.selectors import (
    STATUS_FIELDS,
    AttendanceSummary,
    attendance_summary,
    session_records,
    status_counts,
)
from modules.core.charts import Chart, Series, bar_chart, histogram, line_chart, percent_text
from modules.core.models import SchoolProfile
from modules.exams import stats
from modules.exams.family_grades import subject_rows
from modules.exams.grading import AssessmentInfo, MarkValue, scale_and_bands, weighted_percent
from modules.exams.models import Assessment, AssessmentCategory, Mark
from modules.fees import reports as fees
from modules.fees.models import INVOICE_OWED, Invoice, InvoiceStatus, PaymentMethod
from modules.fees.money import format_money
from modules.people.models import Student

ONE_DECIMAL = Decimal("0.1")


@dataclass
class Panel:
    """A chart, and the page whose figures it summarises."""

    chart: Chart
    url: str = ""
    link_text: str = ""


def _week_rate(tally: AttendanceSummary) -> Decimal | None:
    return tally.rate


def _week_label(number: int) -> str:
    return _("Week %(number)s") % {"number": number}


# --- the office ------------------------------------------------------------------------------------------


def previous_year(year: AcademicYear) -> AcademicYear | None:
    return AcademicYear.objects.filter(end_date__lt=year.start_date).order_by("-start_date").first()


def daily_tallies(
    start: datetime.date, end: datetime.date, modes
) -> tuple[dict[datetime.date, AttendanceSummary], bool]:
    """The whole school's marks per day between two days, added up exactly as the reports overview adds
    them (analytics: the registers' tallies summed in the database, or counted from the records where a
    register has none); and whether every submitted register of the days had its tally. Three or four
    queries."""
    period = analytics.ReportPeriod(start=start, end=end)
    grade_of = dict(
        Section.objects.filter(year__start_date__lte=end, year__end_date__gte=start).values_list(
            "pk", "grade_level_id"
        )
    )
    tallied = analytics.tallied_sums(period, modes, None, grade_of)
    if tallied is None:
        registers = analytics.registers_between(start, end)
        _sections, per_day, _mixed = analytics.counted_sums(period, modes, None, registers, grade_of)
    else:
        per_day = tallied[1]
    return {day: AttendanceSummary(*counts) for day, counts in per_day.items()}, tallied is not None


def weekly_rates(
    days: dict[datetime.date, AttendanceSummary], start: datetime.date, weeks: int
) -> list[Decimal | None]:
    """The attendance rate of each week (Monday to Sunday) counted from the week holding `start`."""
    monday = start - datetime.timedelta(days=start.weekday())
    tallies = [AttendanceSummary() for _week in range(weeks)]
    for day, tally in days.items():
        index = (day - monday).days // 7
        if 0 <= index < weeks:
            tallies[index].add(tally)
    return [_week_rate(tally) for tally in tallies]


def attendance_by_week(
    year: AcademicYear, today: datetime.date, policy: AttendancePolicy
) -> tuple[Panel, bool]:
    """This year's weekly attendance rate so far, against the same weeks of last year; and whether this
    year's registers so far all have their tallies (then the term tallies are the chronic figures)."""
    end = min(year.end_date, today)
    weeks = max(0, ((end - year.start_date).days + year.start_date.weekday()) // 7 + 1)
    days, tallied = daily_tallies(year.start_date, end, policy.modes) if weeks else ({}, True)
    series = [Series(year.name, weekly_rates(days, year.start_date, weeks))]
    last = previous_year(year)
    if last is not None and weeks:
        # Only last year's same weeks are read, not the whole of last year.
        last_end = min(last.end_date, last.start_date + (end - year.start_date))
        last_days, _tallied = daily_tallies(last.start_date, last_end, policy.modes)
        series.append(Series(last.name, weekly_rates(last_days, last.start_date, weeks)))
    chart = line_chart(
        _("Attendance rate by week"),
        [_week_label(number) for number in range(1, weeks + 1)],
        series,
        fmt=percent_text,
        percent=True,
        category_header=_("Week of the year"),
        empty_text=_("No register has been submitted this year yet."),
    )
    return Panel(chart, reverse("attendance:reports_overview"), _("Attendance reports")), tallied


def overview(sections: list[Section], period: analytics.ReportPeriod, policy: AttendancePolicy):
    with analytics.without_gc_pauses():
        return analytics.attendance_overview(
            sections=sections,
            period=period,
            mode=policy.modes,
            threshold=policy.chronic_absence_percent,
            whole_school=True,
        )


def absence_today(sections: list[Section], today: datetime.date, policy: AttendancePolicy) -> Panel:
    """Today's missed sessions per grade level, unauthorised and authorised (the overview for today)."""
    rows = overview(sections, analytics.ReportPeriod(start=today, end=today), policy).by_grade
    chart = bar_chart(
        _("Absence today by grade level"),
        [row.label for row in rows],
        [
            Series(_("Unauthorised"), [row.tally.absent for row in rows]),
            Series(_("Authorised"), [row.tally.excused for row in rows]),
        ],
        stacked=True,
        horizontal=True,
        category_header=_("Grade level"),
        empty_text=_("No absence recorded today."),
    )
    query = urlencode({"start": today.isoformat(), "end": today.isoformat()})
    return Panel(chart, reverse("attendance:reports_overview") + "?" + query, _("Today's attendance report"))


def chronic_by_term(
    year: AcademicYear,
    today: datetime.date,
    sections: list[Section],
    policy: AttendancePolicy,
    *,
    tallied: bool,
) -> Panel:
    """How many students are chronically absent, term by term this year, as the reports overview counts a
    term of the whole school: from the students' term tallies (two queries a term) when the registers have
    their tallies, else (registers written around the services) the current term from its records."""
    terms = list(Term.objects.filter(year=year, start_date__lte=today).order_by("start_date"))
    counts: list[int | None] = []
    for term in terms:
        if term.end_date >= today and not tallied:
            period = analytics.so_far(term.start_date, term.end_date, term.name, today, term_id=term.pk)
            counts.append(overview(sections, period, policy).chronic_count)
        else:
            rows = analytics.chronic_from_term(term.pk, policy.modes, policy.chronic_absence_percent, {})
            counts.append(rows[1])
    chart = line_chart(
        _("Chronically absent students by term"),
        [term.name for term in terms],
        [Series(_("Students"), counts)],
        category_header=_("Term"),
        empty_text=_("No term has started this year yet."),
    )
    return Panel(chart, reverse("attendance:reports_overview"), _("Attendance reports"))


def enrolment_by_grade(year: AcademicYear) -> Panel:
    """Students enrolled (active) per grade level this year: the sections list's counts (its
    `sections_with_counts`: active enrollments of each section) added up per grade level, grouped by the
    database in one query."""
    rows = (
        Enrollment.objects.filter(section__year=year, status=EnrollmentStatus.ACTIVE)
        .values("section__grade_level_id", "section__grade_level__name", "section__grade_level__order")
        .annotate(count=Count("pk"))
        .order_by("section__grade_level__order", "section__grade_level__name")
        .values_list("section__grade_level__name", "count")
    )
    found = list(rows)
    chart = bar_chart(
        _("Enrolment by grade level"),
        [name for name, _count in found],
        [Series(_("Students"), [count for _name, count in found])],
        horizontal=True,
        category_header=_("Grade level"),
        empty_text=_("Nobody is enrolled this year yet."),
    )
    return Panel(chart, reverse("academics:section_list"), _("Sections"))


def marks_published(year: AcademicYear, today: datetime.date) -> Panel:
    """Per term, the assessments already dated (marks due) that are published and not yet published."""
    terms = list(Term.objects.filter(year=year).order_by("start_date"))
    counted = {
        term_id: (published, due)
        for term_id, published, due in Assessment.objects.filter(term__in=terms, date__lte=today)
        .values_list("term_id")
        .annotate(published=Count("pk", filter=Q(published_at__isnull=False)), due=Count("pk"))
        .values_list("term_id", "published", "due")
    }
    published = [counted.get(term.pk, (0, 0))[0] for term in terms]
    waiting = [counted.get(term.pk, (0, 0))[1] - counted.get(term.pk, (0, 0))[0] for term in terms]
    chart = bar_chart(
        _("Marks published against due"),
        [term.name for term in terms],
        [Series(_("Published"), published), Series(_("Not yet published"), waiting)],
        stacked=True,
        category_header=_("Term"),
        empty_text=_("No assessment is due yet."),
    )
    return Panel(chart, reverse("exams:term_list"), _("Term results"))


def _money(value: Decimal) -> str:
    return format_money(value)


def month_range(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    months = []
    month = start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def billed_and_collected(year: AcademicYear, today: datetime.date) -> Panel:
    """Per month of the year: billed (invoices falling due that month, net of credit notes: the bursar
    dashboard's definition) and collected (payments less refunds: the collections page's)."""
    end = min(year.end_date, today)
    months = month_range(year.start_date, year.end_date)
    billed = dict(
        Invoice.objects.filter(year=year)
        .exclude(status=InvoiceStatus.CANCELLED)
        .annotate(month=TruncMonth("due_date"))
        .values("month")
        .annotate(amount=fees._sum(fees.NET_BILLED))
        .values_list("month", "amount")
    )
    collected: dict[datetime.date, Decimal] = defaultdict(Decimal)
    if year.start_date <= end:
        for day in fees.collections(fees.Period(year.start_date, end)).days:
            collected[day.day.replace(day=1)] += day.net
    chart = bar_chart(
        _("Fees billed and collected by month"),
        [date_format(month, "YEAR_MONTH_FORMAT") for month in months],
        [
            Series(_("Billed"), [_month_value(billed, month) for month in months]),
            Series(_("Collected"), [collected.get(month, Decimal(0)) for month in months]),
        ],
        fmt=_money,
        over_time=True,
        category_header=_("Month"),
        empty_text=_("Nothing billed or collected this year yet."),
    )
    query = urlencode({"start": year.start_date.isoformat(), "end": end.isoformat()})
    return Panel(chart, reverse("fees:collections") + "?" + query, _("Collections"))


def _month_value(found: dict, month: datetime.date) -> Decimal:
    """A TruncMonth key is a date (or a datetime on some back ends)."""
    for key, value in found.items():
        if key is not None and (key.year, key.month) == (month.year, month.month):
            return value
    return Decimal(0)


def overdue_by_age(today: datetime.date, *, with_current: bool = False) -> Panel:
    """What is owed on open invoices by days past due (the aging page's total row)."""
    total = fees.aging(today).total
    cells = total.cells if with_current else total.cells[1:]
    chart = bar_chart(
        _("Owed by days past due") if with_current else _("Overdue by age"),
        [str(bucket.label) for bucket, _amount in cells],
        [Series(_("Outstanding"), [amount for _bucket, amount in cells])],
        fmt=_money,
        category_header=_("Days past due"),
        empty_text=_("Nothing is overdue."),
    )
    return Panel(chart, reverse("fees:aging"), _("Aging"))


def administrator_dashboard(*, today: datetime.date, year: AcademicYear | None) -> list[Panel]:
    panels = [overdue_by_age(today)]
    if year is None:
        return panels
    policy = AttendancePolicy.load()
    sections = list(
        Section.objects.filter(year=year).select_related("grade_level").order_by("grade_level__order", "name")
    )
    weekly, tallied = attendance_by_week(year, today, policy)
    return [
        weekly,
        absence_today(sections, today, policy),
        chronic_by_term(year, today, sections, policy, tallied=tallied),
        enrolment_by_grade(year),
        marks_published(year, today),
        billed_and_collected(year, today),
        *panels,
    ]


# --- the bursar ------------------------------------------------------------------------------------------

COLLECTION_DAYS = 30
FORECAST_WEEKS = 8


def collections_by_method(today: datetime.date) -> Panel:
    """Payments received on each of the last 30 days, by method (the collections page's payments)."""
    start = today - datetime.timedelta(days=COLLECTION_DAYS - 1)
    found: dict[tuple[datetime.date, str], Decimal] = {
        (row["received_on"], row["method"]): row["amount"]
        for row in fees.payments_between(start, today)
        .values("received_on", "method")
        .annotate(amount=fees._sum("amount"))
        .order_by()
    }
    days = [start + datetime.timedelta(days=offset) for offset in range(COLLECTION_DAYS)]
    chart = bar_chart(
        _("Payments received by day and method"),
        [date_format(day, "MONTH_DAY_FORMAT") for day in days],
        [
            Series(str(label), [found.get((day, method), Decimal(0)) for day in days])
            for method, label in PaymentMethod.choices
        ],
        fmt=_money,
        stacked=True,
        over_time=True,
        category_header=_("Day"),
        empty_text=_("No payment in the last 30 days."),
    )
    query = urlencode({"start": start.isoformat(), "end": today.isoformat()})
    return Panel(chart, reverse("fees:collections") + "?" + query, _("Collections"))


def falling_due(today: datetime.date) -> Panel:
    """What open invoices still ask for, by the week it falls due (from today), and later: the aging
    page's "not yet due" column spread over time."""
    weeks = [today + datetime.timedelta(days=7 * week) for week in range(FORECAST_WEEKS)]
    horizon = today + datetime.timedelta(days=7 * FORECAST_WEEKS)
    sums = {
        f"w{index}": fees._sum(
            INVOICE_OWED, due_date__gte=start, due_date__lt=start + datetime.timedelta(days=7)
        )
        for index, start in enumerate(weeks)
    }
    sums["later"] = fees._sum(INVOICE_OWED, due_date__gte=horizon)
    found = fees.outstanding_invoices().aggregate(**sums)
    labels = [date_format(start, "MONTH_DAY_FORMAT") for start in weeks] + [_("Later")]
    chart = bar_chart(
        _("Falling due by week"),
        labels,
        [
            Series(
                _("Outstanding"), [found[f"w{index}"] for index in range(FORECAST_WEEKS)] + [found["later"]]
            )
        ],
        fmt=_money,
        category_header=_("Week from"),
        empty_text=_("Nothing falls due."),
    )
    return Panel(chart, reverse("fees:aging"), _("Aging"))


def bursar_dashboard(*, today: datetime.date) -> list[Panel]:
    return [collections_by_method(today), overdue_by_age(today, with_current=True), falling_due(today)]


# --- the teacher ------------------------------------------------------------------------------------------


@dataclass
class AtRisk:
    student: Student
    section: Section
    reasons: list[str] = field(default_factory=list)


@dataclass
class TeacherDashboard:
    panels: list[Panel]
    at_risk: list[AtRisk]
    term: Term | None


def teacher_sections(user, year: AcademicYear) -> list[Section]:
    """The sections of this year the teacher teaches a class of or leads."""
    return list(
        Section.objects.filter(year=year)
        .taught_by(user)
        .select_related("grade_level", "homeroom_teacher")
        .order_by("grade_level__order", "name")
    )


def section_months(
    sections: list[Section], period: analytics.ReportPeriod, modes
) -> dict[int, dict[datetime.date, AttendanceSummary]]:
    """Each section's marks per month of the period, from its submitted registers' tallies (the counts the
    reports overview adds up: registers of the section's grade's mode), in one grouped query for all the
    sections; the months come back as the first day of the month."""
    grade_of = {section.pk: section.grade_level_id for section in sections}
    registers = Register.objects.filter(
        modes.counted_q(grade_of=grade_of),
        section_id__in=list(grade_of),
        date__range=(period.start, period.end),
        state=RegisterState.SUBMITTED,
    )
    rows = (
        registers.annotate(month=TruncMonth("date"))
        .values("section_id", "month")
        .annotate(**{status: Sum(f"tally__{status}") for status in STATUS_FIELDS})
        .order_by()
        .values_list("section_id", "month", *STATUS_FIELDS)
    )
    result: dict[int, dict[datetime.date, AttendanceSummary]] = defaultdict(dict)
    for section_id, month, *counts in rows:
        tally = AttendanceSummary(*(count or 0 for count in counts))
        if tally.possible:
            month = datetime.date(month.year, month.month, 1)
            result[section_id][month] = tally
    return result


def teacher_dashboard(*, user, today: datetime.date, year: AcademicYear | None) -> TeacherDashboard:
    """Each class's attendance by month this term, its latest assessment's distribution, and the students
    at risk: chronically absent this term (selectors.attendance_summary, the one definition) or below the
    pass mark in one of the teacher's classes (exams.stats)."""
    if year is None:
        return TeacherDashboard(panels=[], at_risk=[], term=None)
    policy = AttendancePolicy.load()
    period = analytics.default_period(today)
    sections = teacher_sections(user, year)
    risks: dict[int, AtRisk] = {}
    months = section_months(sections, period, policy.modes)
    panels = [_section_trend(section, months.get(section.pk, {}), user) for section in sections]
    _attendance_risks(risks, sections, period, policy)
    term = current_term(year, today)
    if term is not None:
        offerings = list(
            CourseOffering.objects.filter(section__year=year)
            .taught_by(user)
            .select_related("subject", "section__grade_level")
            .order_by("section__grade_level__order", "section__name", "subject__name")
        )
        panels += _distributions(offerings, term)
        _mark_risks(risks, offerings, term)
    at_risk = sorted(risks.values(), key=lambda row: (row.student.last_name, row.student.first_name))
    return TeacherDashboard(panels=panels, at_risk=at_risk, term=term)


def _attendance_risks(
    risks: dict[int, AtRisk],
    sections: list[Section],
    period: analytics.ReportPeriod,
    policy: AttendancePolicy,
) -> None:
    """The students of the sections (enrolled now) who missed at least the school's threshold this term:
    two queries."""
    by_id = {section.pk: section for section in sections}
    enrollments = Enrollment.objects.filter(
        section_id__in=list(by_id), status=EnrollmentStatus.ACTIVE
    ).select_related("student")
    students = {enrollment.student_id: enrollment for enrollment in enrollments}
    # The students as a subquery (as a section's report passes them): SQLite plans a list of a few hundred
    # ids badly (seconds on the large school, against tens of milliseconds).
    enrolled = Student.objects.filter(
        enrollments__section_id__in=list(by_id), enrollments__status=EnrollmentStatus.ACTIVE
    ).values("pk")
    summaries: dict[int, AttendanceSummary]
    if period.term_id is not None:
        # A term so far: the students' term tallies, kept with every mark (what the reports overview reads
        # for a term), instead of counting the term's records again.
        summaries = defaultdict(AttendanceSummary)
        for student_id, *counts in StudentTermTally.objects.filter(
            analytics.term_tally_counted(policy.modes), term_id=period.term_id, student_id__in=enrolled
        ).values_list("student_id", *STATUS_FIELDS):
            summaries[student_id].add(AttendanceSummary(*counts))
    else:
        summaries = attendance_summary(enrolled, period.start, period.end, mode=policy.modes)
    for student_id, enrollment in students.items():
        tally = summaries[student_id]
        if tally.is_chronic(policy.chronic_absence_percent):
            _risk(risks, enrollment.student, by_id[enrollment.section_id]).reasons.append(
                _("attendance %(rate)s") % {"rate": percent_text(tally.rate or Decimal(0))}
            )


def _mark_risks(risks: dict[int, AtRisk], offerings: list[CourseOffering], term: Term) -> None:
    """The students whose term average in one of the classes is below their grade's pass mark: the rule of
    exams.stats.below_pass (the statistics page's list), applied to every class at once (its averages for
    all the classes in three queries, a scale per grade level, the students in one query) instead of some
    seven queries a class."""
    averages = stats.averages_by_offering(offerings, term)
    scales: dict[int, Decimal | None] = {}
    below: list[tuple[CourseOffering, int, Decimal]] = []
    for offering in offerings:
        grade = offering.section.grade_level_id
        if grade not in scales:
            scale, _bands = scale_and_bands(grade)
            scales[grade] = scale.pass_mark if scale is not None else None
        pass_mark = scales[grade]
        if pass_mark is None:
            continue
        for student_id, value in averages.get(offering.pk, {}).items():
            if value is not None and value < pass_mark:
                below.append((offering, student_id, value))
    if not below:
        return
    enrolled = {
        (enrollment.student_id, enrollment.section_id): enrollment.student
        for enrollment in Enrollment.objects.filter(
            student_id__in={student_id for _offering, student_id, _value in below},
            section_id__in={offering.section_id for offering, _student, _value in below},
            status=EnrollmentStatus.ACTIVE,
        ).select_related("student")
    }
    for offering, student_id, value in sorted(below, key=lambda row: row[2]):
        student = enrolled.get((student_id, offering.section_id))
        if student is not None:
            _risk(risks, student, offering.section).reasons.append(
                _("%(subject)s %(percent)s")
                % {"subject": offering.subject.name, "percent": percent_text(value)}
            )


def _risk(risks: dict[int, AtRisk], student: Student, section: Section) -> AtRisk:
    return risks.setdefault(student.pk, AtRisk(student=student, section=section))


def _section_trend(section: Section, months: dict[datetime.date, AttendanceSummary], user) -> Panel:
    ordered = sorted(months)
    chart = line_chart(
        _("%(section)s: attendance rate by month") % {"section": section.name},
        [analytics.month_label(month.year, month.month) for month in ordered],
        [Series(section.name, [months[month].rate for month in ordered])],
        fmt=percent_text,
        percent=True,
        category_header=_("Month"),
        empty_text=_("No register of %(section)s has been submitted this term yet.")
        % {"section": section.name},
    )
    if section.homeroom_teacher is not None and section.homeroom_teacher.user_id == user.pk:
        return Panel(chart, reverse("attendance:reports_section", args=[section.pk]), _("Section report"))
    return Panel(chart)


def _distributions(offerings: list[CourseOffering], term: Term) -> list[Panel]:
    """Each class's latest assessment of the term that has marks: its distribution in 10% bands (exams.stats,
    as the assessment's statistics page shows it)."""
    latest: dict[int, Assessment] = {}
    for assessment in Assessment.objects.filter(
        Exists(Mark.objects.filter(assessment_id=OuterRef("pk"))), offering__in=offerings, term=term
    ).order_by("offering_id", "-date", "-pk"):
        latest.setdefault(assessment.offering_id, assessment)
    panels = []
    for offering in offerings:
        assessment = latest.get(offering.pk)
        if assessment is None:
            continue
        result = stats.assessment_stats(assessment)
        chart = histogram(
            _("%(class)s, %(assessment)s: marks")
            % {
                "class": f"{offering.section.name} {offering.subject.name}",
                "assessment": assessment.name,
            },
            [(f"{bucket.low}–{bucket.high}%", bucket.count) for bucket in result.buckets],
            series_label=_("Students"),
            category_header=_("Score"),
            empty_text=_("No score entered yet."),
        )
        panels.append(
            Panel(chart, reverse("exams:stats_assessment", args=[assessment.pk]), _("Assessment statistics"))
        )
    return panels


# --- a child (guardian, student) ------------------------------------------------------------------------


@dataclass
class ChildDashboard:
    student: Student
    term: Term | None
    attendance: Panel | None = None
    subjects: Panel | None = None
    shows_class_average: bool = False


def child_attendance(student: Student, term: Term, today: datetime.date) -> Panel:
    """The child's weekly attendance rate over the term so far (the family page's definition)."""
    end = min(term.end_date, today)
    weeks = max(0, ((end - term.start_date).days + term.start_date.weekday()) // 7 + 1)
    days = {
        row["date"]: AttendanceSummary.from_row(row)
        for row in session_records(term.start_date, end)
        .filter(student=student)
        .values("date")
        .annotate(**status_counts())
        .order_by()
    }
    chart = line_chart(
        _("Attendance rate by week this term"),
        [_week_label(number) for number in range(1, weeks + 1)],
        [Series(student.first_name, weekly_rates(days, term.start_date, weeks))],
        fmt=percent_text,
        percent=True,
        category_header=_("Week of the term"),
        empty_text=_("No attendance has been recorded this term yet."),
    )
    return Panel(chart, reverse("attendance:family_child", args=[student.pk]), _("Attendance"))


def class_averages(offerings: list[CourseOffering], assessments: list[Assessment]) -> dict[int, Decimal]:
    """Per class, the mean of its students' term averages over the given (published) assessments, one
    decimal: three queries, as exams.stats averages a class."""
    infos: dict[int, dict[int, AssessmentInfo]] = defaultdict(dict)
    owner: dict[int, int] = {}
    for a in assessments:
        infos[a.offering_id][a.pk] = AssessmentInfo(pk=a.pk, max_score=a.max_score, category_id=a.category_id)
        owner[a.pk] = a.offering_id
    weights: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for pk, offering_id, weight in AssessmentCategory.objects.filter(
        offering_id__in=[o.pk for o in offerings]
    ).values_list("pk", "offering_id", "weight"):
        weights[offering_id][pk] = weight
    marks: dict[tuple[int, int], list[MarkValue]] = defaultdict(list)
    for assessment_id, student_id, score, code in Mark.objects.filter(
        assessment_id__in=list(owner)
    ).values_list("assessment_id", "student_id", "score", "code"):
        marks[(owner[assessment_id], student_id)].append(
            MarkValue(assessment_id=assessment_id, score=score, code=code)
        )
    per_class: dict[int, list[Decimal]] = defaultdict(list)
    for (offering_id, _student), values in marks.items():
        value = weighted_percent(values, infos[offering_id], weights.get(offering_id) or None)
        if value is not None:
            per_class[offering_id].append(value)
    return {
        offering_id: (sum(values, Decimal(0)) / len(values)).quantize(ONE_DECIMAL)
        for offering_id, values in per_class.items()
    }


def child_subjects(user, student: Student, section: Section, term: Term, *, with_average: bool) -> Panel:
    """Each subject's term average so far (the family grades page's figure), and the class's where the
    school shows it."""
    # The term's own rows only: the grades page's other terms (its trend) are not drawn here.
    rows = subject_rows(user, section, student, [term], term)
    series = [Series(student.first_name, [row.average.percent if row.average else None for row in rows])]
    if with_average:
        assessments = list(Assessment.objects.filter(offering__section=section, term=term).visible_to(user))
        means = class_averages([row.offering for row in rows], assessments)
        series.append(Series(_("Class average"), [means.get(row.offering.pk) for row in rows]))
    chart = bar_chart(
        _("Term average by subject"),
        [row.offering.subject.name for row in rows],
        series,
        fmt=percent_text,
        percent=True,
        horizontal=True,
        category_header=_("Subject"),
        empty_text=_("No marks have been published this term yet."),
    )
    return Panel(chart, reverse("exams:child_grades", args=[student.pk]), _("Grades"))


def child_dashboards(
    *, user, students, today: datetime.date, year: AcademicYear | None
) -> list[ChildDashboard]:
    """Each child's charts for the term running today (the term and the school's choice read once for the
    whole family)."""
    term = current_term(year, today) if year is not None else None
    if term is None:
        return [ChildDashboard(student=student, term=None) for student in students]
    shows_class_average = SchoolProfile.load().shows_class_average
    result = []
    for student in students:
        child = ChildDashboard(student=student, term=term, shows_class_average=shows_class_average)
        child.attendance = child_attendance(student, term, today)
        enrollment = current_enrollment(student, year)
        if enrollment is not None:
            child.subjects = child_subjects(
                user, student, enrollment.section, term, with_average=shows_class_average
            )
        result.append(child)
    return result
