"""The attendance return (per student, by grade level and for the school) and the persistent absence list,
for a period: the one attendance definition (attendance.selectors.AttendanceSummary), counted as the
attendance reports pages count it.

The school's and each grade level's figures are `analytics.attendance_overview`'s, the very numbers of the
attendance reports page for the same period. Each student's figures for a term come from the students' term
tallies (StudentTermTally, the rows the reports read the chronically absent from: one query, whatever the
size of the school); for any other period, or while a submitted register of the period has no tally, from
`selectors.attendance_summary` (one grouped query over the period's records).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _

from modules.academics.models import Enrollment, Section
from modules.attendance import analytics
from modules.attendance.models import (
    AttendancePolicy,
    Register,
    RegisterModes,
    RegisterState,
    StudentTermTally,
)
from modules.attendance.selectors import AttendanceSummary, attendance_summary
from modules.people.models import Student
from modules.reports.returns import ReturnDocument, Table, columns, percent, period_words


@dataclass
class StudentFigures:
    student_id: int
    grade_id: int | None
    name: str
    admission_number: str
    grade: str
    section: str
    order: tuple
    tally: AttendanceSummary


def _term_tallies_hold(period: analytics.ReportPeriod) -> bool:
    """The students' term tallies are the period's figures: the period is a term (so far) and every
    submitted register of it has its tally (the reports' own condition, analytics.tallied_sums)."""
    if period.term_id is None:
        return False
    return not Register.objects.filter(
        date__range=(period.start, period.end), state=RegisterState.SUBMITTED, tally=None
    ).exists()


def student_tallies(
    period: analytics.ReportPeriod, modes: RegisterModes, *, term_tallies: bool
) -> dict[int, AttendanceSummary]:
    """Each student's AttendanceSummary over the period, by student id (only students with a possible
    session): from the term tallies when `term_tallies` (see _term_tallies_hold), else from the records.
    One query."""
    if term_tallies:
        found: dict[int, AttendanceSummary] = {}
        rows = (
            StudentTermTally.objects.filter(analytics.term_tally_counted(modes), term_id=period.term_id)
            .exclude(present=0, late=0, absent=0, excused=0)
            .values_list("student_id", "present", "late", "absent", "excused")
        )
        for student_id, *counts in rows:
            found.setdefault(student_id, AttendanceSummary()).add(AttendanceSummary(*counts))
        return found
    return {
        student_id: tally
        for student_id, tally in attendance_summary(None, period.start, period.end, mode=modes).items()
        if tally.possible
    }


def student_lines(tallies: dict[int, AttendanceSummary], sections: list[Section]) -> list[StudentFigures]:
    """The students with their name, grade level and section (their enrolment in a section of the period's
    years: the latest), ordered by grade level, section and name. One query."""
    by_id = {section.pk: section for section in sections}
    enrollments = (
        Enrollment.objects.filter(section_id__in=list(by_id), student_id__in=list(tallies))
        .order_by("student_id", "-year__start_date")
        .values_list("student_id", "section_id")
    )
    section_of: dict[int, Section] = {}
    for student_id, section_id in enrollments:
        section_of.setdefault(student_id, by_id[section_id])
    students = Student.objects.filter(pk__in=list(tallies)).values_list(
        "pk", "first_name", "last_name", "admission_number"
    )
    lines = []
    for pk, first, last, number in students:
        section = section_of.get(pk)
        grade = section.grade_level if section else None
        lines.append(
            StudentFigures(
                student_id=pk,
                grade_id=grade.pk if grade else None,
                name=f"{last}, {first}",
                admission_number=number,
                grade=grade.name if grade else _("No section"),
                section=section.name if section else "",
                order=(
                    grade is None,
                    grade.order if grade else 0,
                    grade.name if grade else "",
                    section.name if section else "",
                    last.lower(),
                    first.lower(),
                ),
                tally=tallies[pk],
            )
        )
    lines.sort(key=lambda line: line.order)
    return lines


def _of_grade(lines: list[StudentFigures], values: dict) -> list[StudentFigures]:
    """The lines of the grade level chosen (`values["grade"]`), or all of them."""
    grade = values.get("grade")
    return lines if grade is None else [line for line in lines if line.grade_id == grade.pk]


def _covers(period: analytics.ReportPeriod, values: dict) -> str:
    words = period_words(period.start, period.end, period.label)
    grade = values.get("grade")
    return (
        words if grade is None else _("%(period)s; students of %(grade)s") % {"period": words, "grade": grade}
    )


def _figures(tally: AttendanceSummary) -> list:
    return [
        tally.possible,
        tally.attended,
        tally.late,
        tally.authorised,
        tally.unauthorised,
        percent(tally.rate),
    ]


def _figure_headers() -> list[str]:
    return columns(
        _("Sessions possible"),
        _("Present (on time or late)"),
        _("Late"),
        _("Authorised absence"),
        _("Unauthorised absence"),
        _("Attendance rate (%)"),
    )


def _rules(period: analytics.ReportPeriod, threshold: Decimal, *, term_tallies: bool) -> list[str]:
    rules = [
        _(
            "A possible session is a register taken and submitted, of the kind its grade level takes (a day "
            "for a daily grade, a lesson for a per-lesson grade), on which the student has a mark. Registers "
            "not taken or still being taken are not counted, nor registers of the other kind."
        ),
        _("Present: marked present or late (a late arrival is attended). Late is also shown on its own."),
        _("Authorised absence: marked excused. Unauthorised absence: marked absent."),
        _(
            "Attendance rate: present (on time or late) out of the sessions possible, in percent, one "
            "decimal, rounded half up."
        ),
        _(
            "The school's and each grade level's figures are those of the attendance reports page for the "
            "same period (each register counted in its section's grade level)."
        ),
        _("Each student is shown in their section of the period's school year (the latest)."),
        _("Persistent absence: missed (absent or excused) at least %(threshold)s%% of the sessions possible.")
        % {"threshold": floatformat(threshold, -1)},
    ]
    if term_tallies:
        rules.append(_("Each student's figures for the term are the term tallies kept with every mark."))
    return rules


def attendance_return(*, values: dict, user) -> ReturnDocument:
    period: analytics.ReportPeriod = values["period"]
    policy = AttendancePolicy.load()
    threshold = policy.chronic_absence_percent
    sections = list(analytics.report_sections(user, period))
    with analytics.without_gc_pauses():
        overview = analytics.attendance_overview(
            sections=sections, period=period, mode=policy.modes, threshold=threshold, whole_school=True
        )
        term_tallies = _term_tallies_hold(period)
        lines = _of_grade(
            student_lines(student_tallies(period, policy.modes, term_tallies=term_tallies), sections), values
        )
    school = Table(
        caption=_("The school"),
        sheet=_("School"),
        headers=[_("Attendance"), *_figure_headers()],
        rows=[[_("Whole school"), *_figures(overview.total)]],
    )
    grades = Table(
        caption=_("By grade level"),
        sheet=_("By grade level"),
        headers=[_("Grade level"), *_figure_headers()],
        rows=[[row.label, *_figures(row.tally)] for row in overview.by_grade],
        totals=[_("Whole school"), *_figures(overview.total)],
    )
    students = Table(
        caption=_("By student"),
        sheet=_("By student"),
        headers=[_("Student"), _("Admission number"), _("Grade level"), _("Section"), *_figure_headers()],
        rows=[
            [line.name, line.admission_number, line.grade, line.section, *_figures(line.tally)]
            for line in lines
        ],
        numeric_from=4,
    )
    return ReturnDocument(
        slug="attendance",
        title=_("Attendance return"),
        covers=_covers(period, values),
        tables=[school, grades, students],
        rules=_rules(period, threshold, term_tallies=term_tallies),
        facts=[
            (_("Students with a possible session"), len(lines)),
            (_("School days marked"), overview.school_days),
            (_("Attendance rate (%)"), percent(overview.total.rate)),
        ],
        notice="" if overview.has_data else _("Nothing was marked in this period."),
        filename=f"attendance-return-{period.start:%Y-%m-%d}-{period.end:%Y-%m-%d}",
        model=Student,
    )


def persistent_absence(*, values: dict, user) -> ReturnDocument:
    period: analytics.ReportPeriod = values["period"]
    policy = AttendancePolicy.load()
    threshold = policy.chronic_absence_percent
    sections = list(analytics.report_sections(user, period))
    with analytics.without_gc_pauses():
        term_tallies = _term_tallies_hold(period)
        tallies = {
            pk: tally
            for pk, tally in student_tallies(period, policy.modes, term_tallies=term_tallies).items()
            if tally.is_chronic(threshold)
        }
        lines = _of_grade(student_lines(tallies, sections), values)
    lines.sort(key=lambda line: (-line.tally.missed / line.tally.possible, line.order))
    table = Table(
        caption=_("Students below the attendance threshold, most absent first"),
        sheet=_("Persistent absence"),
        headers=columns(
            _("Student"),
            _("Admission number"),
            _("Grade level"),
            _("Section"),
            _("Sessions possible"),
            _("Missed"),
            _("Authorised absence"),
            _("Unauthorised absence"),
            _("Missed (%)"),
            _("Attendance rate (%)"),
        ),
        rows=[
            [
                line.name,
                line.admission_number,
                line.grade,
                line.section,
                line.tally.possible,
                line.tally.missed,
                line.tally.authorised,
                line.tally.unauthorised,
                percent(line.tally.missed_percent),
                percent(line.tally.rate),
            ]
            for line in lines
        ],
        numeric_from=4,
    )
    return ReturnDocument(
        slug="persistent-absence",
        title=_("Persistent absence list"),
        covers=_covers(period, values),
        tables=[table],
        rules=_rules(period, threshold, term_tallies=term_tallies)[:4]
        + [
            _(
                "Listed: every student who missed (absent or excused) at least %(threshold)s%% of their "
                "sessions possible in the period: the school's chronic absence threshold, as on the "
                "attendance reports page."
            )
            % {"threshold": floatformat(threshold, -1)}
        ],
        facts=[
            (_("Threshold (% of sessions missed)"), threshold),
            (_("Students listed"), len(lines)),
        ],
        notice="" if lines else _("No student missed that many sessions in this period."),
        filename=f"persistent-absence-{period.start:%Y-%m-%d}-{period.end:%Y-%m-%d}",
        model=Student,
    )
