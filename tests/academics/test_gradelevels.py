from __future__ import annotations

from django.urls import reverse

from modules.academics.models import GradeLevel
from modules.core.models import AuditEvent
from tests import factories as f


def test_it_lists_grade_levels_with_their_use(office, school):
    f.GradeLevelFactory(name="Grade 8", order=8)
    response = office.get(reverse("academics:gradelevel_list"))
    page = response.content.decode()
    assert "Grade 7" in page
    assert "Grade 8" in page
    unused = GradeLevel.objects.get(name="Grade 8")
    used = school.section.grade_level
    assert reverse("academics:gradelevel_delete", args=[unused.pk]) in page
    assert reverse("academics:gradelevel_delete", args=[used.pk]) not in page


def test_it_creates_and_edits_a_grade_level(office, school):
    response = office.post(reverse("academics:gradelevel_create"), {"name": "Grade 9", "order": 9})
    assert response.status_code == 302
    level = GradeLevel.objects.get(name="Grade 9")
    office.post(reverse("academics:gradelevel_edit", args=[level.pk]), {"name": "Year 9", "order": 9})
    level.refresh_from_db()
    assert level.name == "Year 9"


def test_it_refuses_a_duplicate_name(office, school):
    response = office.post(reverse("academics:gradelevel_create"), {"name": "Grade 7", "order": 3})
    assert response.status_code == 200
    assert "Grade level with this Name already exists." in response.content.decode()
    assert GradeLevel.objects.count() == 1


def test_it_deletes_an_unused_grade_level(office, school, admin):
    level = f.GradeLevelFactory(name="Grade 12", order=12)
    response = office.post(reverse("academics:gradelevel_delete", args=[level.pk]), follow=True)
    assert "Grade 12 was deleted." in response.content.decode()
    assert not GradeLevel.objects.filter(pk=level.pk).exists()
    assert AuditEvent.objects.filter(action="gradelevel.delete", actor=admin).exists()


def test_it_keeps_a_grade_level_that_sections_use(office, school):
    level = school.section.grade_level
    response = office.post(reverse("academics:gradelevel_delete", args=[level.pk]), follow=True)
    assert response.status_code == 200
    assert "Grade 7 is still in use" in response.content.decode()
    assert GradeLevel.objects.filter(pk=level.pk).exists()
    assert not AuditEvent.objects.filter(action="gradelevel.delete").exists()


def test_it_deletes_only_by_post_and_only_for_the_office(as_user, school, admin, teacher):
    level = f.GradeLevelFactory(name="Grade 12", order=12)
    url = reverse("academics:gradelevel_delete", args=[level.pk])
    assert as_user(admin).get(url).status_code == 405
    assert as_user(teacher).post(url).status_code == 403
    assert as_user(admin).post(reverse("academics:gradelevel_delete", args=[9999])).status_code == 404
    assert GradeLevel.objects.filter(pk=level.pk).exists()


def test_the_office_gives_a_grade_level_its_standard_grade(office, school):
    level = school.section.grade_level
    form = office.get(reverse("academics:gradelevel_edit", args=[level.pk])).content.decode()
    assert "Seventh grade (07)" in form
    office.post(
        reverse("academics:gradelevel_edit", args=[level.pk]),
        {"name": level.name, "order": level.order, "ceds_code": "07"},
    )
    level.refresh_from_db()
    assert level.ceds_code == "07"
    assert "Seventh grade (07)" in office.get(reverse("academics:gradelevel_list")).content.decode()
    refused = office.post(
        reverse("academics:gradelevel_edit", args=[level.pk]),
        {"name": level.name, "order": level.order, "ceds_code": "7"},
    )
    assert "Select a valid choice" in refused.content.decode()
    level.refresh_from_db()
    assert level.ceds_code == "07"


def test_the_migration_reads_the_standard_grade_from_plain_names():
    import importlib

    migration = importlib.import_module("modules.academics.migrations.0007_gradelevel_ceds_code")
    named = {
        "Grade 7": "07",
        "Year 10": "10",
        "12": "12",
        "Kindergarten": "KG",
        "Pre-K": "PK",
        "Nursery": "PK",
        "Form 2 Blue": "",
        "Grade 14": "",
        "Seniors": "",
    }
    assert {name: migration.guess(name) for name in named} == named
