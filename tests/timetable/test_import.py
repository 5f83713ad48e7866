"""Requirements from a spreadsheet: the template, the dry run with row errors on the page, then the import,
all or nothing (modules/timetable/importing.py, views_requirements.py)."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from modules.academics.models import CourseOffering, Room
from modules.core.spreadsheets import xlsx_bytes
from modules.timetable.importing import COLUMN_NAMES
from modules.timetable.models import JointLesson, Requirement
from tests import factories as f
from tests.timetable.requirements_school import lab_and_classroom, school_week

pytestmark = pytest.mark.django_db


@pytest.fixture
def week(school):
    return school_week(school)


def _xlsx(rows: list[dict], name: str = "requirements.xlsx") -> SimpleUploadedFile:
    content = xlsx_bytes(list(COLUMN_NAMES), [[row.get(c, "") for c in COLUMN_NAMES] for row in rows])
    return SimpleUploadedFile(name, content)


def _dry_run(client, upload):
    return client.post(reverse("timetable:requirements_import"), {"file": upload})


def _signed(page: str) -> str:
    return re.search(r'name="rows" value="([^"]+)"', page)[1]


def test_it_offers_a_template_with_the_columns_and_a_help_sheet(as_user, admin, school, week):
    response = as_user(admin).get(reverse("timetable:requirements_import_template"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    sheet, help_sheet = workbook.worksheets
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == COLUMN_NAMES
    assert rows[1][:3] == ("7A", "MATH", "5")
    assert next(help_sheet.iter_rows(min_row=2, values_only=True))[:2] == ("section", "yes")


def test_it_imports_a_clean_file_after_its_dry_run(as_user, admin, school, week):
    lab, _room, _lab_room = lab_and_classroom()
    f.SubjectFactory(name="Science", code="SCI")
    client = as_user(admin)
    upload = _xlsx(
        [
            {"section": "7A", "subject": "MATH", "periods_per_week": 5, "double_periods": 1, "heavy": "yes"},
            {
                "section": "7b",
                "subject": "Science",
                "periods_per_week": 3,
                "teacher": school.other_teacher_staff.staff_number,
                "co_teachers": "teacher@school.test",
                "room_kind": "laboratory",
                "joint_lesson": "Labs",
            },
            {"section": "7B", "subject": "History", "periods_per_week": 3, "joint_lesson": "labs"},
        ]
    )
    page = _dry_run(client, upload).content.decode()
    assert "3 rows checked, no problems." in page
    assert not Requirement.objects.exists()  # a dry run writes nothing
    response = client.post(reverse("timetable:requirements_import_confirm"), {"rows": _signed(page)})
    assert response.status_code == 302
    maths = Requirement.objects.get(offering=school.offering)
    assert (maths.periods_per_week, maths.double_lessons, maths.prefer_early) == (5, 1, True)
    science = Requirement.objects.get(offering__subject__code="SCI")
    assert science.offering.teacher == school.other_teacher_staff  # the class was created
    assert list(science.co_teachers.all()) == [school.teacher_staff]
    assert science.room_type == lab
    joint = JointLesson.objects.get(year=school.year)
    assert set(joint.requirements.all()) == {science, Requirement.objects.get(offering=school.other_offering)}
    assert "3 requirements were imported." in client.get(reverse("timetable:requirements")).content.decode()


def test_it_lists_every_rows_problems_and_writes_nothing(as_user, admin, school, week):
    gone = f.StaffFactory(is_active=False, staff_number="GONE-1")
    upload = _xlsx(
        [
            {"section": "9Z", "subject": "MATH", "periods_per_week": 2},
            {"section": "7A", "subject": "Cooking", "periods_per_week": "two"},
            {"section": "7A", "subject": "MATH", "periods_per_week": 2, "teacher": "nobody@school.test"},
            {
                "section": "7B",
                "subject": "HIST",
                "periods_per_week": 3,
                "double_periods": 2,
                "room": "Nowhere",
            },
            {"section": "7B", "subject": "HIST", "periods_per_week": 2, "co_teachers": gone.staff_number},
        ]
    )
    response = _dry_run(as_user(admin), upload)
    page = response.content.decode()
    for message in (
        "Row 2: there is no section 9Z this year.",
        "Row 3: there is no subject Cooking.",
        "Row 3: periods a week must be a whole number from 1 to 40, not two.",
        "Row 4: no staff member has the number or email nobody@school.test (teacher).",
        "Row 5: 2 double periods take 4 periods, more than the 3 a week.",
        "Row 5: there is no room Nowhere.",
        "Row 6: row 5 already states History for 7B.",
        "Row 6: ",
    ):
        assert message in page, message
    assert "has left the school (co-teachers)." in page
    assert 'name="rows"' not in page  # nothing to confirm
    assert not Requirement.objects.exists()
    assert CourseOffering.objects.count() == 2


def test_it_refuses_joint_classes_with_different_counts_in_the_file(as_user, admin, school, week):
    upload = _xlsx(
        [
            {"section": "7A", "subject": "MATH", "periods_per_week": 2, "joint_lesson": "Sport"},
            {"section": "7B", "subject": "HIST", "periods_per_week": 3, "joint_lesson": "Sport"},
        ]
    )
    page = _dry_run(as_user(admin), upload).content.decode()
    assert "Row 3: the classes of the joint lesson Sport need the same periods a week and doubles." in page


def test_it_reads_a_csv_file_with_semicolons(as_user, admin, school, week):
    content = b"section;subject;periods_per_week\n7A;Mathematics;4\n"
    page = _dry_run(as_user(admin), SimpleUploadedFile("req.csv", content)).content.decode()
    assert "1 row checked, no problems." in page


def test_it_refuses_files_it_cannot_use(as_user, admin, school, week):
    client = as_user(admin)
    cases = [
        (
            SimpleUploadedFile("req.pdf", b"%PDF-1.4"),
            "is not an Excel workbook (.xlsx) or a CSV file (.csv).",
        ),
        (SimpleUploadedFile("req.xlsx", b"hello"), "This file is not a real Excel workbook (.xlsx)."),
        (SimpleUploadedFile("req.csv", "a;b\n".encode("utf-16")), "not a CSV text file"),
        (
            SimpleUploadedFile("req.csv", b"section,subject\n"),
            "The header row lacks the columns periods_per_week.",
        ),
        (SimpleUploadedFile("req.csv", b"section,subject,periods_per_week\n"), "The file has no data rows"),
        (
            SimpleUploadedFile("req.csv", b"x" * (1024 * 1024 + 1)),
            "The file is too large; the limit is 1 MB.",
        ),
    ]
    for upload, message in cases:
        response = _dry_run(client, upload)
        assert message in response.content.decode(), message
    assert not Requirement.objects.exists()


def test_it_refuses_a_workbook_that_declares_a_million_rows_before_reading_it(as_user, admin, school, week):
    buffer = io.BytesIO()
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes(list(COLUMN_NAMES), [])))
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb'<dimension ref="[^"]+"/>', b'<dimension ref="A1:XFD1048576"/>', data)
                if b"<dimension" not in data:
                    data = data.replace(b"<sheetData", b'<dimension ref="A1:XFD1048576"/><sheetData', 1)
            target.writestr(item, data)
    response = _dry_run(as_user(admin), SimpleUploadedFile("big.xlsx", buffer.getvalue()))
    assert "the limit is 2,000" in response.content.decode()
    assert response.status_code == 400


def test_it_refuses_a_forged_or_stale_confirmation(as_user, admin, school, week):
    client = as_user(admin)
    response = client.post(reverse("timetable:requirements_import_confirm"), {"rows": "forged"}, follow=True)
    assert "This dry run expired or was changed. Upload the file again." in response.content.decode()
    assert not Requirement.objects.exists()


def test_it_checks_again_at_import_and_writes_nothing_when_the_school_changed(as_user, admin, school, week):
    _lab, room, _lab_room = lab_and_classroom()
    client = as_user(admin)
    page = _dry_run(
        client,
        _xlsx(
            [
                {"section": "7A", "subject": "MATH", "periods_per_week": 4},
                {"section": "7B", "subject": "HIST", "periods_per_week": 2, "room": "Room 1"},
            ]
        ),
    ).content.decode()
    Room.objects.filter(pk=room.pk).delete()
    response = client.post(reverse("timetable:requirements_import_confirm"), {"rows": _signed(page)})
    assert response.status_code == 409
    assert "Row 3: there is no room Room 1." in response.content.decode()
    assert not Requirement.objects.exists()


def test_it_writes_nothing_when_a_row_cannot_be_written(as_user, admin, school, week):
    from modules.timetable.models import Pin

    maths = Requirement.objects.create(offering=school.offering, periods_per_week=2)
    Pin.objects.create(requirement=maths, weekday=0, period=week[0])
    Pin.objects.create(requirement=maths, weekday=1, period=week[0])
    client = as_user(admin)
    page = _dry_run(
        client,
        _xlsx(
            [
                {"section": "7B", "subject": "HIST", "periods_per_week": 2},
                {"section": "7A", "subject": "MATH", "periods_per_week": 1},
            ]
        ),
    ).content.decode()
    response = client.post(
        reverse("timetable:requirements_import_confirm"), {"rows": _signed(page)}, follow=True
    )
    assert "Row 3: This class has 2 fixed lessons" in response.content.decode()
    assert "Nothing was imported." in response.content.decode()
    assert not Requirement.objects.filter(offering=school.other_offering).exists()
    assert Requirement.objects.get(pk=maths.pk).periods_per_week == 2


def test_it_refuses_other_roles(as_user, teacher, school, week):
    client = as_user(teacher)
    upload = _xlsx([{"section": "7A", "subject": "MATH", "periods_per_week": 2}])
    assert _dry_run(client, upload).status_code == 403
    assert client.get(reverse("timetable:requirements_import_template")).status_code == 403
    assert client.post(reverse("timetable:requirements_import_confirm"), {"rows": "x"}).status_code == 403
