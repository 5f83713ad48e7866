"""The fee setup pages: items, rules, structures (instalments and the charge grid, copying a year), optional
items, discounts and waivers. The bursar and the office use them; nobody else."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from modules.core.models import AuditEvent
from modules.fees import billing
from modules.fees.models import (
    Discount,
    FeeItem,
    FeePolicy,
    FeeStructure,
    Instalment,
    InstalmentCharge,
    OptionalItemAssignment,
)
from tests import factories as f

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def structure(school):
    return f.FeeStructureFactory(year=school.year, grade_level=school.section.grade_level)


def test_the_hub_links_every_setup_page(as_user, bursar, school):
    response = as_user(bursar).get(reverse("fees:setup"))
    assert response.status_code == 200
    for name in ("item_list", "structure_list", "optional_items", "discount_list", "policy", "generate"):
        assert reverse(f"fees:{name}") in response.text


@pytest.mark.parametrize("persona", ["teacher", "guardian", "student"])
def test_setup_pages_are_refused_to_others(as_user, persona, request, school):
    user = request.getfixturevalue(persona)
    assert as_user(user).get(reverse("fees:setup")).status_code == 403
    assert as_user(user).post(reverse("fees:item_create"), {"name": "X"}).status_code == 403


def test_the_bursar_adds_and_edits_a_fee_item(as_user, bursar, db):
    client = as_user(bursar)
    data = {"name": "Transport", "category": "transport", "is_optional": "on", "is_active": "on"}
    assert client.post(reverse("fees:item_create"), data).status_code == 302
    item = FeeItem.objects.get(name="Transport")
    assert item.is_optional
    assert item.is_active
    response = client.post(reverse("fees:item_edit", args=[item.pk]), {**data, "is_active": ""}, follow=True)
    assert "The fee item Transport was saved." in response.text
    item.refresh_from_db()
    assert not item.is_active
    assert AuditEvent.objects.filter(action="fees.item", object_id=str(item.pk)).count() == 2
    assert "Out of use" in client.get(reverse("fees:item_list")).text


def test_a_duplicate_item_name_is_refused_and_the_typed_values_kept(as_user, bursar, db):
    FeeItem.objects.create(name="Meals", category="meals")
    response = as_user(bursar).post(
        reverse("fees:item_create"), {"name": "Meals", "category": "meals", "description": "Lunch daily"}
    )
    assert response.status_code == 200
    assert "already exists" in response.text
    assert 'value="Lunch daily"' in response.text


def test_an_unused_item_is_deleted_but_one_in_use_only_taken_out_of_use(as_user, bursar, db):
    unused = FeeItem.objects.create(name="Lockers", category="other")
    used = f.InstalmentChargeFactory(instalment=f.InstalmentFactory()).item
    client = as_user(bursar)
    assert "Delete this item" in client.get(reverse("fees:item_edit", args=[unused.pk])).text
    assert "Delete this item" not in client.get(reverse("fees:item_edit", args=[used.pk])).text
    client.post(reverse("fees:item_delete", args=[unused.pk]))
    assert not FeeItem.objects.filter(pk=unused.pk).exists()
    response = client.post(reverse("fees:item_delete", args=[used.pk]), follow=True)
    assert "take it out of use instead" in response.text
    assert FeeItem.objects.filter(pk=used.pk).exists()


def test_the_fee_rules_are_saved_and_day_lists_normalised(as_user, bursar, db):
    data = {
        "late_enrolment": "prorated",
        "reminder_days_before": " 1, 7 ,14",
        "reminder_days_after": "30,3",
        "sibling_discount_percent": "10",
        "students_see_balance": "on",
    }
    assert as_user(bursar).post(reverse("fees:policy"), data).status_code == 302
    policy = FeePolicy.load()
    assert (policy.late_enrolment, policy.reminder_days_before, policy.reminder_days_after) == (
        "prorated",
        "14,7,1",
        "3,30",
    )
    assert policy.sibling_discount_percent == D("10")
    assert policy.students_see_balance
    assert AuditEvent.objects.filter(action="fees.policy").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("reminder_days_before", "7;1", "separated by commas"),
        ("reminder_days_after", "3,0", "between 1 and 365"),
        ("sibling_discount_percent", "120", "at most 100"),
    ],
)
def test_bad_fee_rules_are_explained(as_user, bursar, db, field, value, message):
    data = {
        "late_enrolment": "full",
        "reminder_days_before": "7,1",
        "reminder_days_after": "3,14",
        "sibling_discount_percent": "0",
    }
    response = as_user(bursar).post(reverse("fees:policy"), {**data, field: value})
    assert response.status_code == 200
    assert message in response.text
    assert FeePolicy.load().reminder_days_before == "7,1"


def test_a_structure_is_created_once_per_grade_and_year(as_user, bursar, school):
    client = as_user(bursar)
    data = {"year": school.year.pk, "grade_level": school.section.grade_level_id}
    response = client.post(reverse("fees:structure_create"), data)
    structure = FeeStructure.objects.get()
    assert response.url == reverse("fees:structure_detail", args=[structure.pk])
    again = client.post(reverse("fees:structure_create"), data)
    assert again.status_code == 200
    assert "already has a fee structure" in again.text
    assert FeeStructure.objects.count() == 1


def _instalment_data(school, **overrides):
    start = school.year.start_date
    data = {
        "number": 1,
        "label": "Term 1",
        "starts_on": start.isoformat(),
        "ends_on": (start + datetime.timedelta(days=120)).isoformat(),
        "due_date": (start + datetime.timedelta(days=20)).isoformat(),
    }
    return data | overrides


def test_instalments_are_added_and_bad_dates_explained(as_user, bursar, school, structure):
    client = as_user(bursar)
    url = reverse("fees:instalment_create", args=[structure.pk])
    assert client.post(url, _instalment_data(school)).status_code == 302
    instalment = structure.instalments.get()
    assert instalment.label == "Term 1"
    start = school.year.start_date
    response = client.post(
        url, _instalment_data(school, number=1, ends_on=(start - datetime.timedelta(days=1)).isoformat())
    )
    assert response.status_code == 200
    assert "already has an instalment 1" in response.text
    assert "must end on or after the day it starts" in response.text
    assert 'value="Term 1"' in response.text
    assert structure.instalments.count() == 1


def test_the_charge_grid_sets_changes_and_removes_charges(as_user, bursar, school, structure):
    one = f.InstalmentFactory(structure=structure, number=1, label="Term 1")
    two = f.InstalmentFactory(structure=structure, number=2, label="Term 2")
    tuition = f.FeeItemFactory(name="Tuition")
    lab = f.FeeItemFactory(name="Lab")
    InstalmentCharge.objects.create(instalment=two, item=lab, amount=D("30"))
    client = as_user(bursar)
    page = client.get(reverse("fees:structure_detail", args=[structure.pk]))
    assert page.status_code == 200
    assert "Tuition, Term 1" in page.text
    data = {
        f"charge_{one.pk}_{tuition.pk}": "500",
        f"charge_{two.pk}_{tuition.pk}": "450.50",
        f"charge_{one.pk}_{lab.pk}": "",
        f"charge_{two.pk}_{lab.pk}": "",
    }
    assert client.post(reverse("fees:structure_charges", args=[structure.pk]), data).status_code == 302
    charges = set(InstalmentCharge.objects.values_list("instalment__number", "item__name", "amount"))
    assert charges == {(1, "Tuition", D("500.00")), (2, "Tuition", D("450.50"))}
    bad = client.post(
        reverse("fees:structure_charges", args=[structure.pk]), {**data, f"charge_{one.pk}_{lab.pk}": "-5"}
    )
    assert bad.status_code == 200
    assert "greater than or equal to 0" in bad.text
    assert 'value="-5"' in bad.text


def test_an_invoiced_instalment_is_locked(as_user, bursar, school, structure):
    instalment = f.InstalmentFactory(structure=structure, number=1)
    charge = f.InstalmentChargeFactory(instalment=instalment, amount=D("500"))
    billing.generate_invoices(year=school.year, number=1, by=bursar)
    client = as_user(bursar)
    assert "Invoiced: locked" in client.get(reverse("fees:structure_detail", args=[structure.pk])).text
    client.post(
        reverse("fees:structure_charges", args=[structure.pk]),
        {f"charge_{instalment.pk}_{charge.item_id}": "999"},
    )
    charge.refresh_from_db()
    assert charge.amount == D("500.00")
    response = client.post(reverse("fees:instalment_edit", args=[instalment.pk]), _instalment_data(school))
    assert "can no longer change" in response.text
    response = client.post(reverse("fees:instalment_delete", args=[instalment.pk]), follow=True)
    assert "cannot be deleted" in response.text
    assert Instalment.objects.filter(pk=instalment.pk).exists()


def test_last_years_structures_are_copied_with_dates_moved(as_user, bursar, school, structure):
    f.InstalmentChargeFactory(
        instalment=f.InstalmentFactory(structure=structure, number=1, starts_on=school.year.start_date),
        amount=D("500"),
    )
    start = school.year.start_date
    next_year = f.AcademicYearFactory(
        name="Next",
        start_date=start.replace(year=start.year + 1),
        end_date=school.year.end_date.replace(year=school.year.end_date.year + 1),
        is_current=False,
    )
    client = as_user(bursar)
    data = {"source": school.year.pk, "target": next_year.pk}
    response = client.post(reverse("fees:structure_copy"), data, follow=True)
    assert "1 structures copied" in response.text
    copy = Instalment.objects.get(structure__year=next_year)
    assert copy.starts_on == start.replace(year=start.year + 1)
    assert copy.charges.get().amount == D("500.00")
    again = client.post(reverse("fees:structure_copy"), data, follow=True)
    assert "0 structures copied" in again.text


def test_an_optional_item_is_assigned_to_ticked_students_and_removed(as_user, bursar, school):
    bus = f.FeeItemFactory(name="Bus", category="transport", is_optional=True)
    classmate = f.StudentFactory(first_name="Cleo")
    f.EnrollmentFactory(student=classmate, section=school.section)
    client = as_user(bursar)
    page = client.get(reverse("fees:optional_items"), {"section": school.section.pk, "item": bus.pk})
    assert "Cleo" in page.text
    assert "Sam" in page.text
    data = {"section": school.section.pk, "item": bus.pk, "students": [school.child.pk, classmate.pk]}
    assert client.post(reverse("fees:optional_items"), data).status_code == 302
    assert OptionalItemAssignment.objects.filter(item=bus, year=school.year).count() == 2
    data["students"] = [classmate.pk]
    response = client.post(reverse("fees:optional_items"), data, follow=True)
    assert "0 added, 1 removed" in response.text
    assert list(OptionalItemAssignment.objects.values_list("student", flat=True)) == [classmate.pk]


def test_a_discount_is_recorded_then_revoked_with_reasons(as_user, bursar, school):
    client = as_user(bursar)
    data = {
        "admission_number": "a-0001",
        "year": school.year.pk,
        "item": "",
        "kind": "percent",
        "value": "100",
        "reason": "Hardship",
        "approved_by": "Head teacher",
    }
    response = client.post(reverse("fees:discount_create"), data, follow=True)
    assert "applies to invoices generated from now on" in response.text
    discount = Discount.objects.get()
    assert (discount.student, discount.recorded_by, discount.is_active) == (school.child, bursar, True)
    assert "waiver" in response.text
    client.post(reverse("fees:discount_revoke", args=[discount.pk]), {"reason": "Circumstances changed"})
    discount.refresh_from_db()
    assert not discount.is_active
    event = AuditEvent.objects.get(action="fees.discount_revoke")
    assert event.reason == "Circumstances changed"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"admission_number": "NOPE"}, "No student has the admission number NOPE."),
        ({"value": "150"}, "A percentage is at most 100."),
        ({"reason": ""}, "This field is required."),
    ],
)
def test_bad_discounts_are_explained(as_user, bursar, school, overrides, message):
    data = {
        "admission_number": "A-0001",
        "year": school.year.pk,
        "kind": "percent",
        "value": "10",
        "reason": "Staff child",
        "approved_by": "Head",
    }
    response = as_user(bursar).post(reverse("fees:discount_create"), data | overrides)
    assert response.status_code == 200
    assert message in response.text
    assert not Discount.objects.exists()


def test_revoking_needs_a_reason(as_user, bursar, school):
    discount = Discount.objects.create(
        student=school.child, year=school.year, kind="fixed", value=D("5"), reason="r", approved_by="a"
    )
    response = as_user(bursar).post(reverse("fees:discount_revoke", args=[discount.pk]), {}, follow=True)
    assert "Give the reason" in response.text
    discount.refresh_from_db()
    assert discount.is_active


def test_the_structure_and_discount_lists_do_not_grow_in_queries(
    as_user, bursar, school, django_assert_max_num_queries
):
    client = as_user(bursar)
    tuition = f.FeeItemFactory(name="Tuition")

    def add(grade_number):
        grade = f.GradeLevelFactory(name=f"Grade {grade_number}", order=grade_number)
        structure = f.FeeStructureFactory(year=school.year, grade_level=grade)
        for number in (1, 2, 3):
            f.InstalmentChargeFactory(
                instalment=f.InstalmentFactory(structure=structure, number=number), item=tuition
            )
        student = f.StudentFactory()
        f.EnrollmentFactory(student=student, section=f.SectionFactory(year=school.year, grade_level=grade))
        Discount.objects.create(
            student=student, year=school.year, kind="percent", value=D("10"), reason="r", approved_by="a"
        )

    add(1)
    pages = [reverse("fees:structure_list"), reverse("fees:discount_list"), reverse("fees:item_list")]
    counts = {}
    for url in pages:
        client.get(url)
        with django_assert_max_num_queries(15) as captured:
            client.get(url)
        counts[url] = len(captured)
    for number in range(2, 8):
        add(number)
    for url in pages:
        with django_assert_max_num_queries(counts[url]):
            assert client.get(url).status_code == 200


def test_the_invoice_list_answers_htmx_with_the_results_only(as_user, bursar, school):
    response = as_user(bursar).get(reverse("fees:invoice_list"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "No invoices match" in response.text
    assert "HX-Request" in response["Vary"]


def test_wrong_methods_are_refused(as_user, bursar, school, structure):
    client = as_user(bursar)
    assert client.get(reverse("fees:structure_charges", args=[structure.pk])).status_code == 405
    assert client.get(reverse("fees:structure_copy")).status_code == 405
    assert client.get(reverse("fees:instalment_create", args=[structure.pk])).status_code == 405
    assert client.post(reverse("fees:item_list")).status_code == 405
    assert client.post(reverse("fees:structure_detail", args=[structure.pk])).status_code == 405
    assert client.post(reverse("fees:invoice_list")).status_code == 405


def test_an_unknown_structure_or_discount_is_not_found(as_user, bursar, db):
    client = as_user(bursar)
    assert client.get(reverse("fees:structure_detail", args=[999])).status_code == 404
    assert client.post(reverse("fees:discount_revoke", args=[999]), {"reason": "x"}).status_code == 404


def test_an_instalment_not_yet_invoiced_is_edited_and_deleted(as_user, bursar, school, structure):
    instalment = f.InstalmentFactory(structure=structure, number=1, label="Term 1")
    f.InstalmentChargeFactory(instalment=instalment, amount=D("500"))
    client = as_user(bursar)
    url = reverse("fees:instalment_edit", args=[instalment.pk])
    assert client.post(url, _instalment_data(school, label="Autumn")).status_code == 302
    instalment.refresh_from_db()
    assert instalment.label == "Autumn"
    assert AuditEvent.objects.get(action="fees.instalment").before["label"] == "Term 1"
    response = client.post(reverse("fees:instalment_delete", args=[instalment.pk]), follow=True)
    assert "Instalment deleted." in response.text
    assert not Instalment.objects.exists()
    assert not InstalmentCharge.objects.exists()


def test_a_structures_notes_are_edited(as_user, bursar, school, structure):
    client = as_user(bursar)
    response = client.post(
        reverse("fees:structure_notes", args=[structure.pk]), {"notes": "Three terms"}, follow=True
    )
    assert "Notes saved." in response.text
    assert 'value="Three terms"' in response.text
    structure.refresh_from_db()
    assert structure.notes == "Three terms"
