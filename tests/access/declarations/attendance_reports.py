"""Attendance reports (modules/attendance/urls_reports.py): the office sees every section; a teacher the
sections they lead as homeroom teacher (7A for `teacher`; 7B's teacher gets 404 for 7A); families, students
and the bursar are refused."""

from tests.access.matrix import Rule, expect

# The school-wide page: the office, and every teacher (scoped to their homeroom sections).
OFFICE_AND_TEACHERS = expect(403, admin=200, teacher=200, other_teacher=200)
# One section: the office and its homeroom teacher; another teacher's section does not exist for them.
SECTION = expect(403, admin=200, teacher=200, other_teacher=404)
# Its register downloads: the same people, who are first sent to re-authenticate (modules.core.exports).
SECTION_EXPORT = expect(403, admin=302, teacher=302, other_teacher=404)

RULES = [
    Rule("attendance:reports_overview", expect=OFFICE_AND_TEACHERS),
    # The section page's report fragment (HTMX) is checked exactly like the page.
    Rule(
        "attendance:reports_section",
        kwargs=lambda s: {"pk": s.section.pk},
        headers={"HX-Request": "true"},
        expect=SECTION,
    ),
    Rule(
        "attendance:reports_monthly_pdf",
        kwargs=lambda s: {"pk": s.section.pk},
        data={"month": "2024-03"},
        expect=SECTION_EXPORT,
    ),
    Rule(
        "attendance:reports_monthly_xlsx",
        kwargs=lambda s: {"pk": s.section.pk},
        data={"month": "2024-03"},
        expect=SECTION_EXPORT,
    ),
]
