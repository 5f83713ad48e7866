"""Generating an instalment's invoices: lines, optional items, discounts, the sibling rule, skipping those
already billed, gapless numbers, credit used, and a query count that does not grow with the school."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from modules.academics.models import EnrollmentStatus
from modules.core.models import AuditEvent
from modules.fees import billing, ledger
from modules.fees.models import (
    Discount,
    FeePolicy,
    Invoice,
    InvoiceStatus,
    OptionalItemAssignment,
)
from tests import factories as f

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def fees(school):
    """Grade 7 pays tuition 500 (sibling rule applies) and, for those who take it, transport 80."""
    structure = f.FeeStructureFactory(year=school.year, grade_level=school.section.grade_level)
    instalment = f.InstalmentFactory(structure=structure, number=1, label="Term 1")
    tuition = f.FeeItemFactory(name="Tuition", sibling_discount=True)
    transport = f.FeeItemFactory(name="Transport", category="transport", is_optional=True)
    f.InstalmentChargeFactory(instalment=instalment, item=tuition, amount=D("500.00"))
    f.InstalmentChargeFactory(instalment=instalment, item=transport, amount=D("80.00"))
    return instalment, tuition, transport


def _generate(school, bursar, **kwargs):
    return billing.generate_invoices(year=school.year, number=1, by=bursar, **kwargs)


def _lines(invoice):
    return [(line.description, line.amount) for line in invoice.lines.all()]


def test_it_bills_every_enrolled_student_with_the_instalment_charges(school, bursar, fees):
    result = _generate(school, bursar)
    assert (result.created, result.skipped, result.amount) == (2, 0, D("1000.00"))
    invoice = Invoice.objects.get(student=school.child)
    assert _lines(invoice) == [("Tuition — Term 1", D("500.00"))]
    assert (invoice.total, invoice.status, invoice.section) == (
        D("500.00"),
        InvoiceStatus.OPEN,
        school.section,
    )
    assert invoice.due_date == fees[0].due_date
    assert invoice.created_by == bursar
    event = AuditEvent.objects.get(action="fees.invoice", object_id=str(invoice.pk))
    assert event.actor == bursar
    assert event.after["total"] == "500.00"


def test_an_optional_item_is_charged_only_to_students_it_is_assigned_to(school, bursar, fees):
    _instalment, _tuition, transport = fees
    OptionalItemAssignment.objects.create(student=school.child, item=transport, year=school.year)
    _generate(school, bursar)
    assert Invoice.objects.get(student=school.child).total == D("580.00")
    assert Invoice.objects.get(student=school.other_child).total == D("500.00")


def _discount(school, bursar, **kwargs):
    values = {"student": school.child, "year": school.year, "reason": "Staff child", "approved_by": "Head"}
    return Discount.objects.create(recorded_by=bursar, **(values | kwargs))


def test_a_percent_discount_on_one_item_is_a_negative_line_with_its_reason(school, bursar, fees):
    _discount(school, bursar, item=fees[1], kind="percent", value=D("10"))
    _generate(school, bursar)
    invoice = Invoice.objects.get(student=school.child)
    assert _lines(invoice) == [
        ("Tuition — Term 1", D("500.00")),
        ("Discount 10% on Tuition: Staff child", D("-50.00")),
    ]
    assert invoice.total == D("450.00")


def test_a_fixed_discount_on_everything_and_a_full_waiver(school, bursar, fees):
    _discount(school, bursar, kind="fixed", value=D("120"), reason="Scholarship")
    _discount(school, bursar, student=school.other_child, kind="percent", value=D("100"), reason="Hardship")
    _generate(school, bursar)
    invoice = Invoice.objects.get(student=school.child)
    assert _lines(invoice)[-1] == ("Discount: Scholarship", D("-120.00"))
    assert invoice.total == D("380.00")
    waived = Invoice.objects.get(student=school.other_child)
    assert _lines(waived)[-1] == ("Waiver: Hardship", D("-500.00"))
    assert (waived.total, waived.status) == (D("0.00"), InvoiceStatus.PAID)


def test_discounts_never_take_an_invoice_below_zero(school, bursar, fees):
    _discount(school, bursar, item=fees[1], kind="fixed", value=D("450"), reason="Bursary")
    _discount(school, bursar, kind="fixed", value=D("200"), reason="Prize")
    _generate(school, bursar)
    invoice = Invoice.objects.get(student=school.child)
    assert [amount for _text, amount in _lines(invoice)] == [D("500.00"), D("-450.00"), D("-50.00")]
    assert invoice.total == D("0.00")


def test_a_revoked_discount_or_one_for_another_year_is_not_applied(school, bursar, fees):
    other_year = f.AcademicYearFactory(
        name="Next",
        start_date=datetime.date(2090, 8, 1),
        end_date=datetime.date(2091, 7, 1),
        is_current=False,
    )
    _discount(school, bursar, kind="fixed", value=D("10"), is_active=False)
    _discount(school, bursar, kind="fixed", value=D("20"), year=other_year)
    _generate(school, bursar)
    assert Invoice.objects.get(student=school.child).total == D("500.00")


def test_the_sibling_rule_discounts_every_child_after_the_eldest(school, bursar, guardian, fees):
    FeePolicy.objects.update_or_create(pk=FeePolicy.load().pk, defaults={"sibling_discount_percent": D("25")})
    school.child.date_of_birth = datetime.date(2012, 1, 1)
    school.child.save()
    younger = f.StudentFactory(first_name="Yan", date_of_birth=datetime.date(2015, 3, 3))
    f.EnrollmentFactory(student=younger, section=school.other_section)
    f.GuardianLinkFactory(student=younger, guardian=guardian.guardian_profile, is_primary=False)
    _generate(school, bursar)
    assert Invoice.objects.get(student=school.child).total == D("500.00")
    assert _lines(Invoice.objects.get(student=younger))[-1] == (
        "Sibling discount 25% on Tuition",
        D("-125.00"),
    )
    assert Invoice.objects.get(student=school.other_child).total == D("500.00")


def test_students_already_billed_are_skipped_and_numbers_have_no_gaps(school, bursar, fees):
    first = _generate(school, bursar, grade_level_ids=[school.section.grade_level_id])
    late = f.StudentFactory()
    f.EnrollmentFactory(student=late, section=school.section)
    second = _generate(school, bursar)
    assert (first.created, second.created, second.skipped) == (2, 1, 2)
    assert _generate(school, bursar).created == 0
    start = school.year.start_date.year
    assert sorted(Invoice.objects.values_list("number", flat=True)) == [
        f"INV-{start}-00001",
        f"INV-{start}-00002",
        f"INV-{start}-00003",
    ]


def test_withdrawn_students_and_other_grades_are_not_billed(school, bursar, fees):
    school.other_child.enrollments.update(status=EnrollmentStatus.WITHDRAWN)
    grade8 = f.SectionFactory(year=school.year, grade_level=f.GradeLevelFactory(name="Grade 8"), name="8A")
    f.EnrollmentFactory(section=grade8)  # no structure for grade 8
    assert _generate(school, bursar).created == 1


def test_existing_credit_pays_the_new_invoice(school, bursar, fees):
    ledger.record_payment(student_id=school.child.pk, amount=D("120"), method="cash", key="k", by=bursar)
    _generate(school, bursar)
    invoice = Invoice.objects.get(student=school.child)
    assert (invoice.amount_paid, invoice.balance) == (D("120.00"), D("380.00"))


def test_the_queries_do_not_grow_with_the_number_of_students(school, bursar, fees):
    def count():
        Invoice.objects.all().delete()
        AuditEvent.objects.filter(action="fees.invoice").delete()
        with CaptureQueriesContext(connection) as queries:
            assert _generate(school, bursar).created == Invoice.objects.count()
        return len(queries)

    count()  # the first run also creates the fee rules and the number sequence
    few = count()
    for _ in range(30):
        f.EnrollmentFactory(section=school.section)
    assert count() == few


def test_the_preview_writes_nothing(school, bursar, fees):
    plan = billing.plan_invoices(year=school.year, number=1)
    assert (len(plan.drafts), plan.amount) == (2, D("1000.00"))
    assert not Invoice.objects.exists()


def test_the_database_refuses_a_second_invoice_for_the_same_instalment(school, bursar, fees):
    from django.db import IntegrityError, transaction

    _generate(school, bursar)
    with pytest.raises(IntegrityError), transaction.atomic():
        f.InvoiceFactory(year=school.year, student=school.child, instalment=fees[0])


def test_each_invoice_has_its_audit_event(school, bursar, fees):
    result = _generate(school, bursar)
    events = AuditEvent.objects.filter(action="fees.invoice")
    assert events.count() == result.created == 2
    assert set(events.values_list("object_repr", flat=True)) == set(
        Invoice.objects.values_list("number", flat=True)
    )
