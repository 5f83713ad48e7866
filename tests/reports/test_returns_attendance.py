"""The attendance return and the persistent absence list: hand-made figures, and the same figures as the
attendance reports page for the same period (the one definition)."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from modules.academics.models import GradeLevel, Section
from modules.attendance.models import Register
from modules.attendance.services import tallies_rebuild
from modules.core.models import AuditEvent, Job, JobStatus
from modules.people.models import Position, Staff
from modules.reports import returns, returns_jobs
from modules.reports.returns_jobs import JOB_KIND as RETURN_PDF_KIND
from tasks.reports import run_return_pdf
from tests import factories as f
from tests.attendance.reports_helpers import daily_registers, mark, past_section, past_year, pupils
from tests.reauth import reauthenticate

MON, TUE, WED, THU = (datetime.date(2024, 3, day) for day in (11, 12, 13, 14))
PERIOD = {"start": "2024-03-11", "end": "2024-03-15"}
SCHOOL, GRADES, STUDENTS = 0, 1, 2


@pytest.fixture
def week(school, teacher, other_teacher):
    """P7A: Amy always present, Bob absent Mon/Tue and excused Wed, Cal late Mon; Thursday's register never
    taken. P7B: Dee present Mon, absent Tue. P8A: Eve present Mon."""
    a = past_section("P7A", teacher=teacher)
    b = past_section("P7B", teacher=other_teacher)
    c = past_section("P8A", grade="Grade 8", order=8)
    amy, bob, cal = pupils(a, "Amy Able", "Bob Brook", "Cal Crane")
    (dee,) = pupils(b, "Dee Dune")
    (eve,) = pupils(c, "Eve Elm")
    registers_a = daily_registers(a, [MON, TUE, WED, THU])
    mark(
        {day: registers_a[day] for day in (MON, TUE, WED)},
        {(bob, MON): "absent", (bob, TUE): "absent", (bob, WED): "excused", (cal, MON): "late"},
        students=[amy, bob, cal],
    )
    mark(daily_registers(b, [MON, TUE]), {(dee, TUE): "absent"}, students=[dee])
    mark(daily_registers(c, [MON]), {}, students=[eve])
    return {"bob": bob}


def _document(client, slug: str, params: dict):
    response = client.get(reverse("reports:return_detail", args=[slug]), params)
    assert response.status_code == 200
    return response, response.context["document"]


def test_it_counts_each_student_by_the_one_definition(week, admin, as_user):
    response, document = _document(as_user(admin), "attendance", PERIOD)

    # possible, present (on time or late), late, authorised, unauthorised, rate
    assert {row[0]: row[4:] for row in document.tables[STUDENTS].rows} == {
        "Able, Amy": [3, 3, 0, 0, 0, Decimal("100.0")],
        "Brook, Bob": [3, 0, 0, 1, 2, Decimal("0.0")],
        "Crane, Cal": [3, 3, 1, 0, 0, Decimal("100.0")],
        "Dune, Dee": [2, 1, 0, 0, 1, Decimal("50.0")],
        "Elm, Eve": [1, 1, 0, 0, 0, Decimal("100.0")],
    }
    assert [row[2:4] for row in document.tables[STUDENTS].rows] == [
        ["Grade 7", "P7A"],
        ["Grade 7", "P7A"],
        ["Grade 7", "P7A"],
        ["Grade 7", "P7B"],
        ["Grade 8", "P8A"],
    ]
    assert document.tables[SCHOOL].rows == [["Whole school", 12, 8, 1, 1, 3, Decimal("66.7")]]
    content = response.content.decode()
    assert "How this was counted" in content
    assert "Brook, Bob" in content


def test_its_figures_are_the_attendance_reports_pages(week, admin, as_user):
    client = as_user(admin)
    _response, document = _document(client, "attendance", PERIOD)
    page = client.get(reverse("attendance:reports_overview"), PERIOD).context["overview"]

    def figures(tally):
        return [tally.possible, tally.attended, tally.late, tally.excused, tally.absent, tally.rate]

    assert document.tables[GRADES].rows == [[row.label, *figures(row.tally)] for row in page.by_grade]
    assert document.tables[GRADES].totals == ["Whole school", *figures(page.total)]
    # Each grade level's line is the sum of its students' lines.
    for grade_row in document.tables[GRADES].rows:
        lines = [row for row in document.tables[STUDENTS].rows if row[2] == grade_row[0]]
        assert [sum(line[index] for line in lines) for index in range(4, 9)] == grade_row[1:6]


def _spring_term():
    """A term around the week, with its students' term tallies (the never-taken register dropped: a
    submitted register without a tally sends the reports back to the records)."""
    term = f.TermFactory(
        year=past_year(),
        name="Spring",
        start_date=datetime.date(2024, 3, 1),
        end_date=datetime.date(2024, 3, 29),
    )
    Register.objects.filter(date=THU).delete()
    tallies_rebuild(start=term.start_date, end=term.end_date)
    return term


def test_a_term_reads_the_term_tallies_and_gives_the_same_figures(week, admin, as_user):
    term = _spring_term()
    client = as_user(admin)
    _response, by_term = _document(client, "attendance", {"term": term.pk})
    _response, by_days = _document(client, "attendance", {"start": "2024-03-01", "end": "2024-03-29"})
    page = client.get(reverse("attendance:reports_overview"), {"term": term.pk}).context["overview"]

    assert by_term.tables[STUDENTS].rows == by_days.tables[STUDENTS].rows
    assert by_term.tables[GRADES].rows == by_days.tables[GRADES].rows
    assert by_term.covers.startswith("Spring: ")
    assert any("term tallies" in rule for rule in by_term.rules)
    assert by_term.tables[GRADES].totals[1] == page.total.possible


def test_the_whole_school_term_return_takes_a_fixed_number_of_queries(week, admin, as_user, queries_exactly):
    term = _spring_term()
    client = as_user(admin)
    url = reverse("reports:return_detail", args=["attendance"])
    client.get(url, {"term": term.pk})  # the session, the policy's cache
    # user, the term chosen, sections, the overview (two tallied sums, its chronically absent and their
    # names), the term tallies' check and rows, enrolments, students, the unread count, the form's term and
    # grade level choices
    with queries_exactly(14):
        assert client.get(url, {"term": term.pk}).status_code == 200


def test_the_persistent_absence_list_is_the_reports_chronic_absence(week, admin, as_user):
    client = as_user(admin)
    response, document = _document(client, "persistent-absence", PERIOD)
    page = client.get(reverse("attendance:reports_overview"), PERIOD).context["overview"]

    rows = document.tables[0].rows
    # worst first: Bob missed 3 of 3, Dee 1 of 2 (the school's threshold: 10%)
    assert [(row[0], row[4], row[5], row[6], row[7], row[8]) for row in rows] == [
        ("Brook, Bob", 3, 3, 1, 2, Decimal("100.0")),
        ("Dune, Dee", 2, 1, 0, 1, Decimal("50.0")),
    ]
    assert len(rows) == page.chronic_count
    assert [line.student.last_name for line in page.chronic] == ["Brook", "Dune"]
    assert "at least 10% of their sessions possible" in response.content.decode()


def test_a_period_with_nothing_marked_says_so(school, admin, as_user):
    response, document = _document(as_user(admin), "attendance", {"start": "2020-01-06", "end": "2020-01-10"})
    assert document.tables[STUDENTS].rows == []
    assert "Nothing was marked in this period." in response.content.decode()


def test_a_grade_level_narrows_the_lines_by_student_only(week, admin, as_user):
    grade8 = GradeLevel.objects.get(name="Grade 8")
    _response, whole = _document(as_user(admin), "attendance", PERIOD)
    _response, document = _document(as_user(admin), "attendance", {**PERIOD, "grade": grade8.pk})

    assert [row[0] for row in document.tables[STUDENTS].rows] == ["Elm, Eve"]
    assert document.tables[GRADES].rows == whole.tables[GRADES].rows
    assert document.covers.endswith("; students of Grade 8")


def _pdf_text(content: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


def test_the_pdf_prints_the_return_and_its_rules(week, admin, as_user):
    client = reauthenticate(as_user(admin))
    response = client.get(reverse("reports:return_detail", args=["attendance"]), {**PERIOD, "format": "pdf"})

    assert response.status_code == 200
    text = _pdf_text(response.content)
    assert "Attendance return" in text
    assert [
        name for name in ("Able, Amy", "Brook, Bob", "Crane, Cal", "Dune, Dee", "Elm, Eve") if name in text
    ] == ["Able, Amy", "Brook, Bob", "Crane, Cal", "Dune, Dee", "Elm, Eve"]
    assert "How this was counted" in text
    assert "Authorised absence: marked excused." in text


def test_a_pdf_too_long_to_print_at_once_is_prepared_on_the_queue_with_every_row(
    week, admin, as_user, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(returns, "PDF_ROWS", 3)  # the students' table has 5
    client = reauthenticate(as_user(admin))
    page = client.get(reverse("reports:return_detail", args=["attendance"]), PERIOD).content.decode()
    assert "This return has 8 rows: its PDF is prepared in the background" in page
    assert "format=pdf" not in page  # no link that would lay it out in the request
    assert "Prepare the PDF" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:return_pdf_prepare", args=["attendance"]), PERIOD)
    job = Job.objects.get(kind=RETURN_PDF_KIND)
    assert response.headers["Location"] == reverse("job_progress", args=[job.pk])
    job.refresh_from_db()
    assert (job.owner, job.status, job.done, job.total) == (admin, JobStatus.SUCCEEDED, 8, 8)
    progress = client.get(reverse("job_progress", args=[job.pk])).content.decode()
    assert "8 rows." in progress
    assert reverse("job_download", args=[job.pk]) in progress

    download = client.get(reverse("job_download", args=[job.pk]))
    text = _pdf_text(b"".join(download.streaming_content))
    for name in ("Able, Amy", "Brook, Bob", "Crane, Cal", "Dune, Dee", "Elm, Eve"):
        assert name in text  # every row, past the first 3
    assert "How this was counted" in text
    event = AuditEvent.objects.get(action="reports.return_export")
    assert (event.actor, event.after["format"], event.after["rows"]) == (admin, "pdf", 8)
    assert event.after["params"] == PERIOD


def test_a_queued_return_is_laid_out_under_a_time_limit_that_grows_with_its_rows(
    week, admin, as_user, monkeypatch, settings, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(returns, "PDF_ROWS", 3)
    settings.STUDENTFLOW_PDF_TIMEOUT = 0  # a request's limit: no time at all
    monkeypatch.setattr(returns_jobs, "SECONDS_PER_ROW", 5)  # 8 rows: 40 s
    client = reauthenticate(as_user(admin))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reports:return_pdf_prepare", args=["attendance"]), PERIOD)

    job = Job.objects.get(kind=RETURN_PDF_KIND)
    assert job.status == JobStatus.SUCCEEDED, job.message


def test_a_link_to_the_pdf_of_a_long_return_shows_the_page_saying_how_to_have_it(
    week, admin, as_user, monkeypatch
):
    monkeypatch.setattr(returns, "PDF_ROWS", 3)
    client = reauthenticate(as_user(admin))
    response = client.get(reverse("reports:return_detail", args=["attendance"]), {**PERIOD, "format": "pdf"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert 'role="status">This return has 8 rows' in response.content.decode()
    assert not Job.objects.filter(kind=RETURN_PDF_KIND).exists()
    assert not AuditEvent.objects.filter(action="reports.return_export").exists()


def test_a_queued_return_is_not_printed_for_someone_who_is_no_longer_an_administrator(
    week, admin, as_user, monkeypatch
):
    monkeypatch.setattr(returns, "PDF_ROWS", 3)
    client = reauthenticate(as_user(admin))
    client.post(reverse("reports:return_pdf_prepare", args=["attendance"]), PERIOD)  # queued, not yet run
    job = Job.objects.get(kind=RETURN_PDF_KIND)
    Staff.objects.filter(user=admin).update(position=Position.TEACHER)  # moved from the office to a class

    run_return_pdf.call_local(str(job.pk))

    job.refresh_from_db()
    assert (job.status, job.message) == (JobStatus.FAILED, "This return is no longer available to you.")
    assert not job.result_file
    assert not AuditEvent.objects.filter(action="reports.return_export").exists()


def test_a_return_to_prepare_with_bad_dates_is_refused_on_the_page(week, admin, as_user):
    client = reauthenticate(as_user(admin))
    response = client.post(
        reverse("reports:return_pdf_prepare", args=["attendance"]),
        {"start": "2024-03-15", "end": "2024-03-11"},
    )

    assert response.status_code == 400
    assert "Please correct the date or period above." in response.content.decode()
    # Corrected, the dates go to the return's page (the address it was posted to takes only posts).
    assert f'action="{reverse("reports:return_detail", args=["attendance"])}"' in response.content.decode()
    assert not Job.objects.exists()


def test_the_xlsx_has_every_line_and_the_rules(week, admin, as_user):
    client = reauthenticate(as_user(admin))
    response = client.get(reverse("reports:return_detail", args=["attendance"]), {**PERIOD, "format": "xlsx"})

    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["School", "By grade level", "By student", "Summary", "How this was counted"]
    lines = [[cell.value for cell in row] for row in book["By student"].iter_rows(min_row=2)]
    assert [line[0] for line in lines] == ["Able, Amy", "Brook, Bob", "Crane, Cal", "Dune, Dee", "Elm, Eve"]
    assert lines[1][4:] == [3, 0, 0, 1, 2, 0]
    grades = [[cell.value for cell in row] for row in book["By grade level"].iter_rows(min_row=2)]
    assert grades[-1][:2] == ["Whole school", 12]


def test_each_students_line_is_their_sections_report(week, admin, as_user):
    client = as_user(admin)
    _response, document = _document(client, "attendance", PERIOD)
    lines = {row[0]: row[4:] for row in document.tables[STUDENTS].rows}
    for section in Section.objects.filter(name__in=["P7A", "P7B", "P8A"]):
        report = client.get(reverse("attendance:reports_section", args=[section.pk]), PERIOD).context[
            "report"
        ]
        for line in report.students:
            tally = line.tally
            name = f"{line.student.last_name}, {line.student.first_name}"
            assert lines[name] == [
                tally.possible,
                tally.attended,
                tally.late,
                tally.excused,
                tally.absent,
                tally.rate,
            ]
