"""The report builder through its pages: scoping (a teacher's report is their students; a shared report shows
the opener's scope), the bad input it refuses, the preview with and without htmx, saving and stale edits."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from modules.attendance.models import RegisterState
from modules.core.models import AuditEvent
from modules.reports.models import ReportRoleShare, SavedReport
from tests import factories as f

pytestmark = pytest.mark.django_db


def _new(client, **params):
    return client.get(reverse("reports:builder_new"), params)


def _names(response) -> str:
    return response.content.decode()


def _attendance(school, *, days: int = 10) -> None:
    """Ten submitted daily registers in each section: Sam (7A) absent twice, Olive (7B) always present."""
    today = timezone.localdate()
    for back in range(1, days + 1):
        day = today - datetime.timedelta(days=back)
        for section, student, absent in (
            (school.section, school.child, back <= 2),
            (school.other_section, school.other_child, False),
        ):
            register = f.RegisterFactory(section=section, date=day, state=RegisterState.SUBMITTED)
            f.AttendanceRecordFactory(
                register=register, student=student, status="absent" if absent else "present"
            )


def test_it_shows_a_teacher_only_their_students(school, teacher, as_user):
    response = _new(as_user(teacher), dataset="students", columns=["name", "section"])
    assert response.status_code == 200
    assert "Sam Parent" in _names(response)
    assert "Olive Elsewhere" not in _names(response)


def test_it_shows_the_office_every_student(school, admin, as_user):
    response = _new(as_user(admin), dataset="students", columns=["name", "admission_number"])
    assert "Sam Parent" in _names(response)
    assert "Olive Elsewhere" in _names(response)
    assert "A-0002" in _names(response)


def test_it_runs_a_shared_report_in_the_openers_scope(school, admin, other_teacher, as_user):
    report = SavedReport.objects.create(
        owner=admin, name="Everyone", dataset="students", definition={"columns": ["name"]}
    )
    ReportRoleShare.objects.create(report=report, role="teacher")
    response = as_user(other_teacher).get(reverse("reports:builder_run", args=[report.pk]))
    assert response.status_code == 200
    assert "Olive Elsewhere" in _names(response)
    assert "Sam Parent" not in _names(response)


def test_it_refuses_a_shared_report_whose_data_set_the_opener_may_not_use(school, admin, bursar, as_user):
    report = SavedReport.objects.create(owner=admin, name="Marks", dataset="marks", definition={})
    report.shared_with.add(bursar)
    response = as_user(bursar).get(reverse("reports:builder_run", args=[report.pk]))
    assert response.status_code == 403
    assert "made from data you may not see" in _names(response)


def test_it_gives_a_bursar_no_marks_data_set(school, bursar, as_user):
    response = _new(as_user(bursar), dataset="marks")
    assert response.status_code == 400
    assert "not available to you" in _names(response)
    assert "Invoices" in _names(response)


def test_it_gives_families_no_builder(school, guardian, student, as_user):
    assert as_user(guardian).get(reverse("reports:builder_list")).status_code == 403
    assert as_user(student).get(reverse("reports:builder_new")).status_code == 403


def test_it_counts_attendance_by_the_one_definition(school, admin, as_user):
    _attendance(school)
    response = _new(
        as_user(admin),
        dataset="attendance",
        term=school.term.pk,
        columns=["name", "possible", "attended", "absent", "rate"],
        sort="name",
    )
    page = _names(response)
    assert "<td>10</td><td>8</td><td>2</td><td>80.0</td>" in page
    assert "<td>10</td><td>10</td><td>0</td><td>100.0</td>" in page


def test_it_filters_attendance_below_a_rate_grouped_by_section(school, admin, as_user):
    _attendance(school)
    response = _new(
        as_user(admin),
        dataset="attendance",
        term=school.term.pk,
        columns=["name", "possible", "rate"],
        filter_1_field="rate",
        filter_1_op="lt",
        filter_1_value="90",
        group_by="section",
    )
    page = _names(response)
    assert response.status_code == 200
    assert '<th scope="row">7A</th><td>1</td><td>10</td><td>10.0</td><td>80.0</td>' in page
    assert "7B" not in page.split("Preview of the report")[1]


def test_it_refuses_a_filter_on_a_field_the_data_set_does_not_have(school, admin, as_user):
    response = _new(
        as_user(admin),
        dataset="students",
        columns=["name"],
        filter_1_field="rate",
        filter_1_op="lt",
        filter_1_value="90",
    )
    assert "The data set “Students” has no field “rate”." in _names(response)
    assert "Preview of the report" not in _names(response)


def test_it_saves_nothing_for_a_filter_it_refuses(school, admin, as_user):
    response = as_user(admin).post(
        reverse("reports:builder_create"),
        {
            "dataset": "students",
            "columns": ["name"],
            "filter_1_field": "balance",
            "filter_1_value": "3",
            "name": "X",
        },
    )
    assert response.status_code == 400
    assert "has no field “balance”" in _names(response)
    assert not SavedReport.objects.exists()


def test_it_refuses_a_value_of_the_wrong_kind(school, admin, as_user):
    response = _new(
        as_user(admin),
        dataset="students",
        columns=["name"],
        filter_1_field="date_of_birth",
        filter_1_op="lt",
        filter_1_value="last spring",
    )
    assert "“last spring” is not a date like 2025-09-30 (Date of birth)." in _names(response)


def _value_input(response, index: int = 1) -> str:
    """The filter's value input as the page draws it (its whole <select> with options, or its <input>)."""
    html = response.content.decode()
    name = f'name="filter_{index}_value"'
    start = html.rindex("<", 0, html.index(name))
    end = (
        html.index("</select>", start) + 9
        if html.startswith("<select", start)
        else html.index(">", start) + 1
    )
    return html[start:end]


@pytest.mark.parametrize(
    ("dataset", "field", "drawn", "not_drawn"),
    [
        ("students", "gender", ["<select", '<option value="F">Female</option>'], []),
        (
            "students",
            "active",
            ["<select", '<option value="yes">yes</option>', '<option value="no">no</option>'],
            [],
        ),
        ("students", "date_of_birth", ['type="date"'], []),
        ("attendance", "rate", ['type="text"', 'inputmode="decimal"'], ['type="number"']),
        ("students", "name", ['type="text"'], ["inputmode", "<select"]),
        ("students", "", ['type="text"'], ["inputmode", "<select"]),
    ],
)
def test_a_filters_value_is_asked_for_as_its_field_needs(
    school, admin, as_user, dataset, field, drawn, not_drawn
):
    response = _new(as_user(admin), dataset=dataset, columns=["name"], filter_1_field=field, filter_1_op="eq")

    value = _value_input(response)
    for text in drawn:
        assert text in value
    for text in not_drawn:
        assert text not in value
    assert 'id="id_filter_1_value"' in value  # its label still names it


def test_a_section_or_grade_level_filter_chooses_from_the_schools_names(school, admin, as_user):
    client = as_user(admin)
    response = _new(
        client, dataset="students", columns=["name"], filter_1_field="section", filter_1_value="7B"
    )

    value = _value_input(response)
    assert '<option value="7A">7A</option>' in value
    assert '<option value="7B" selected>7B</option>' in value
    assert "Olive Elsewhere" in _names(response)  # 7B's
    assert "Sam Parent" not in _names(response)  # 7A's
    grade = _value_input(_new(client, dataset="students", columns=["name"], filter_1_field="grade"))
    assert f'<option value="{school.section.grade_level.name}">' in grade


def test_the_page_carries_each_fields_value_input_for_the_script(school, admin, as_user):
    html = _new(as_user(admin), dataset="students").content.decode()

    assert '<template data-filter-value="gender"><select name="__name__" class="form-select">' in html
    assert '<template data-filter-value="date_of_birth"><input type="date" name="__name__"' in html
    assert '<template data-filter-value=""><input type="text" name="__name__" class="form-control">' in html
    assert "js/report_builder" in html


def test_a_value_its_fields_input_cannot_show_stays_in_a_text_box_beside_its_error(school, admin, as_user):
    response = _new(
        as_user(admin), dataset="students", columns=["name"], filter_1_field="gender", filter_1_value="Femme"
    )

    assert 'value="Femme"' in _value_input(response)  # a list would have shown nothing
    assert "“Femme” is not one of Gender: Female, Male, Other / not stated." in _names(response)


def test_a_value_chosen_from_the_list_filters_the_report(school, admin, as_user):
    client = as_user(admin)
    nora = f.StudentFactory(first_name="Nora", last_name="Brightwater", gender="F")
    f.EnrollmentFactory(student=nora, section=school.other_section)
    milo = f.StudentFactory(first_name="Milo", last_name="Brightwater", gender="M")
    f.EnrollmentFactory(student=milo, section=school.other_section)
    response = _new(client, dataset="students", columns=["name"], filter_1_field="gender", filter_1_value="F")

    assert '<option value="F" selected>Female</option>' in _value_input(response)
    assert "Nora Brightwater" in _names(response)
    assert "Milo Brightwater" not in _names(response)


def test_it_refuses_a_grouping_into_too_many_groups(school, admin, as_user, settings):
    settings.STUDENTFLOW_REPORT_MAX_GROUPS = 1
    params = {"dataset": "students", "columns": ["name"], "group_by": "name", "name": "Too many"}
    response = _new(as_user(admin), **params)
    assert "Grouping by Name makes 2 groups; a report shows at most 1." in _names(response)
    saved = as_user(admin).post(reverse("reports:builder_create"), params)
    assert saved.status_code == 400
    assert not SavedReport.objects.exists()


def test_it_previews_through_htmx_with_only_the_preview(school, admin, as_user):
    response = as_user(admin).get(
        reverse("reports:builder_new"), {"dataset": "students", "columns": ["name"]}, HTTP_HX_REQUEST="true"
    )
    page = _names(response)
    assert "Sam Parent" in page
    assert "<h1" not in page
    assert response.headers["Vary"].count("HX-Request") == 1


def test_it_previews_without_javascript_on_the_whole_page(school, admin, as_user):
    response = _new(as_user(admin), dataset="students", columns=["name"])
    page = _names(response)
    assert "<h1" in page
    assert "Sam Parent" in page
    assert "Save this report" in page


def test_it_pages_the_preview(school, admin, as_user):
    for number in range(30):
        f.StudentFactory(first_name="Pupil", last_name=f"N{number:02d}", admission_number=f"P-{number:02d}")
    response = _new(as_user(admin), dataset="students", columns=["admission_number"], sort="admission_number")
    page = _names(response)
    assert "32 rows" in page
    assert "Page 1 of 2" in page
    second = _new(
        as_user(admin), dataset="students", columns=["admission_number"], sort="admission_number", page=2
    )
    assert "P-29" in _names(second)
    assert "P-00" not in _names(second)


def test_it_saves_and_shares_a_report(school, admin, teacher, as_user):
    response = as_user(admin).post(
        reverse("reports:builder_create"),
        {
            "dataset": "students",
            "columns": ["name", "section"],
            "sort": "name",
            "name": "Class lists",
            "share_users": [teacher.pk],
            "share_roles": ["bursar"],
        },
    )
    report = SavedReport.objects.get()
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("reports:builder_run", args=[report.pk])
    assert report.definition["columns"] == ["name", "section"]
    assert list(report.shared_with.all()) == [teacher]
    assert list(report.role_shares.values_list("role", flat=True)) == ["bursar"]
    assert AuditEvent.objects.filter(action="report.create", object_id=str(report.pk)).exists()
    listed = as_user(teacher).get(reverse("reports:builder_list"))
    assert "Class lists" in _names(listed)


def test_it_refuses_an_edit_saved_over_a_newer_version(school, admin, as_user):
    report = SavedReport.objects.create(
        owner=admin, name="Old", dataset="students", definition={"columns": ["name"]}, version=3
    )
    response = as_user(admin).post(
        reverse("reports:builder_update", args=[report.pk]),
        {"columns": ["name", "section"], "name": "Mine", "version": 2},
    )
    assert response.status_code == 409
    assert "saved elsewhere since you opened it" in _names(response)
    report.refresh_from_db()
    assert (report.name, report.version) == ("Old", 3)
    saved = as_user(admin).post(
        reverse("reports:builder_update", args=[report.pk]),
        {"columns": ["name", "section"], "name": "Mine", "version": 3},
    )
    assert saved.status_code == 302
    report.refresh_from_db()
    assert (report.name, report.version, report.definition["columns"]) == ("Mine", 4, ["name", "section"])


def test_it_opens_a_report_whose_columns_are_gone_with_a_notice(school, admin, as_user):
    report = SavedReport.objects.create(
        owner=admin,
        name="Old columns",
        dataset="students",
        definition={
            "columns": ["name", "house"],
            "filters": [{"field": "bus_route", "op": "eq", "value": "3"}],
        },
    )
    response = as_user(admin).get(reverse("reports:builder_run", args=[report.pk]))
    assert response.status_code == 200
    assert "no longer has: house, bus_route" in _names(response)
    assert "Sam Parent" in _names(response)
    edit = as_user(admin).get(reverse("reports:builder_edit", args=[report.pk]))
    assert edit.status_code == 200
    assert "no longer has: house, bus_route" in _names(edit)


def test_it_lets_only_the_owner_edit_or_delete(school, admin, teacher, as_user):
    report = SavedReport.objects.create(owner=admin, name="Office", dataset="students", definition={})
    report.shared_with.add(teacher)
    assert as_user(teacher).get(reverse("reports:builder_run", args=[report.pk])).status_code == 200
    assert as_user(teacher).get(reverse("reports:builder_edit", args=[report.pk])).status_code == 404
    assert as_user(teacher).post(reverse("reports:builder_delete", args=[report.pk])).status_code == 404
    assert as_user(admin).post(reverse("reports:builder_delete", args=[report.pk])).status_code == 302
    assert not SavedReport.objects.exists()


def test_it_refuses_the_wrong_method(school, admin, as_user):
    assert as_user(admin).post(reverse("reports:builder_new")).status_code == 405
    assert as_user(admin).get(reverse("reports:builder_create")).status_code == 405


def _classmate(school, first: str, number: str, *, absences: int) -> None:
    """Another pupil of 7A, marked on the same registers as Sam: absent on the first `absences` of them."""
    from modules.attendance.models import Register

    pupil = f.StudentFactory(first_name=first, last_name="Class", admission_number=number)
    f.EnrollmentFactory(student=pupil, section=school.section)
    for index, register in enumerate(Register.objects.filter(section=school.section).order_by("date")):
        f.AttendanceRecordFactory(
            register=register, student=pupil, status="absent" if index < absences else "present"
        )


def _grouped_by_section(client, school):
    return _new(
        client,
        dataset="attendance",
        term=school.term.pk,
        columns=["name", "possible", "absent", "rate"],
        filter_1_field="rate",
        filter_1_op="lt",
        filter_1_value="90",
        group_by="section",
    )


def test_it_groups_several_students_of_a_section_into_one_line(school, admin, as_user):
    _attendance(school)
    _classmate(school, "Cleo", "A-0003", absences=5)
    _classmate(school, "Dan", "A-0004", absences=0)
    page = _names(_grouped_by_section(as_user(admin), school))
    # Sam (80%) and Cleo (50%) are below 90%: one line for 7A, their totals and averages; Dan is not counted.
    assert (
        '<th scope="row">7A</th><td>2</td><td>20</td><td>10.0</td><td>7</td><td>3.5</td><td>65.0</td>' in page
    )
    assert "1 row" in page


def test_it_reads_the_term_tallies_with_the_same_figures(school, admin, as_user):
    from modules.attendance.services import tallies_rebuild

    _attendance(school)
    _classmate(school, "Cleo", "A-0003", absences=5)
    before = _names(_grouped_by_section(as_user(admin), school))
    tallies_rebuild()
    after = _names(_grouped_by_section(as_user(admin), school))
    row = '<th scope="row">7A</th><td>2</td><td>20</td><td>10.0</td><td>7</td><td>3.5</td><td>65.0</td>'
    assert row in before
    assert row in after


def test_it_refuses_to_group_by_a_figure_counted_per_student(school, admin, as_user):
    response = _new(
        as_user(admin), dataset="attendance", term=school.term.pk, columns=["name"], group_by="rate"
    )
    assert "The data set “Attendance by student” cannot be grouped by “rate”." in _names(response)


def test_it_previews_attendance_in_a_fixed_number_of_queries(school, admin, as_user, queries_exactly):
    _attendance(school)
    for number in range(5):
        _classmate(school, f"Pupil{number}", f"A-01{number}", absences=number)
    client = as_user(admin)
    params = {
        "dataset": "attendance",
        "term": school.term.pk,
        "columns": ["name", "section", "possible", "rate"],
        "sort": "rate",
    }
    client.get(reverse("reports:builder_new"), params)
    # The user, the term, whether its tallies are whole, the count, the page of rows, the colleagues to share
    # with (the save form).
    with queries_exactly(6):
        response = client.get(reverse("reports:builder_new"), params, HTTP_HX_REQUEST="true")
    assert "7 rows" in _names(response)


def test_it_reports_attendance_by_section_and_day_in_the_teachers_scope(school, teacher, admin, as_user):
    from modules.attendance.services import tallies_rebuild

    _attendance(school)
    params = {
        "dataset": "attendance_days",
        "term": school.term.pk,
        "columns": ["section", "possible", "absent", "rate"],
        "group_by": "section",
    }
    office = _names(_new(as_user(admin), **params))
    # 7A: ten registers of one mark, two absent (80%); 7B: ten, none absent.
    assert (
        '<th scope="row">7A</th><td>10</td><td>10</td><td>1.0</td><td>2</td><td>0.2</td><td>80.0</td>'
        in office
    )
    assert (
        '<th scope="row">7B</th><td>10</td><td>10</td><td>1.0</td><td>0</td><td>0.0</td><td>100.0</td>'
        in office
    )
    mine = _names(_new(as_user(teacher), **params))  # the teacher takes 7A's registers only
    assert '<th scope="row">7A</th>' in mine
    assert '<th scope="row">7B</th>' not in mine
    tallies_rebuild()  # now read from the registers' tallies: the same figures
    tallied = _names(_new(as_user(admin), **params))
    assert (
        '<th scope="row">7A</th><td>10</td><td>10</td><td>1.0</td><td>2</td><td>0.2</td><td>80.0</td>'
        in tallied
    )


def test_it_reports_deliveries_to_the_office_only(school, admin, teacher, as_user):
    from modules.communications.models import Delivery

    Delivery.objects.create(
        channel="email",
        kind="announcement",
        recipient_name="Pat Parent",
        address="parent@school.test",
        subject="Sports day",
        body_text="Bring a hat.",
        key="test-delivery-1",
        status="failed",
        attempts=5,
    )
    response = _new(
        as_user(admin),
        dataset="deliveries",
        columns=["recipient", "subject", "status", "attempts"],
        filter_1_field="status",
        filter_1_value="Failed",
    )
    assert '<th scope="row">Pat Parent</th><td>Sports day</td><td>Failed</td><td>5</td>' in _names(response)
    assert _new(as_user(teacher), dataset="deliveries").status_code == 400


def _term_results(school) -> None:
    """Term 1: Sam 75% in Mathematics (7A), Cleo 45% there; Olive 40% in History (7B)."""
    from modules.exams.results import results_rebuild

    cleo = f.StudentFactory(first_name="Cleo", last_name="Classmate", admission_number="A-0003")
    f.EnrollmentFactory(student=cleo, section=school.section)
    quiz = f.AssessmentFactory(offering=school.offering, term=school.term, max_score=20)
    essay = f.AssessmentFactory(offering=school.other_offering, term=school.term, max_score=20)
    f.MarkFactory(assessment=quiz, student=school.child, score=15)
    f.MarkFactory(assessment=quiz, student=cleo, score=9)
    f.MarkFactory(assessment=essay, student=school.other_child, score=8)
    results_rebuild()


def test_a_teachers_term_results_are_their_classes(school, teacher, as_user):
    _term_results(school)
    response = _new(
        as_user(teacher), dataset="term_results", term=school.term.pk, columns=["name", "subject", "average"]
    )
    page = _names(response)
    assert response.status_code == 200
    assert '<th scope="row">Sam Parent</th><td>Mathematics</td><td>75.0</td>' in page
    assert '<th scope="row">Cleo Classmate</th><td>Mathematics</td><td>45.0</td>' in page
    assert "Olive Elsewhere" not in page


def test_the_office_lists_term_results_below_a_mark_grouped_by_section(school, admin, as_user):
    _term_results(school)
    response = _new(
        as_user(admin),
        dataset="term_results",
        term=school.term.pk,
        columns=["name", "average"],
        filter_1_field="average",
        filter_1_op="lt",
        filter_1_value="80",
        group_by="section",
    )
    page = _names(response)
    # 7A: Sam 75 and Cleo 45, averaged; 7B: Olive 40.
    assert '<th scope="row">7A</th><td>2</td><td>60.0</td>' in page
    assert '<th scope="row">7B</th><td>1</td><td>40.0</td>' in page
