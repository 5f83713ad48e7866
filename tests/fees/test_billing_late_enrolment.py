"""A student who enrols after an instalment was generated is billed for it at once: in full, or for the
days left in the instalment (the school's choice), wherever the enrolment is written. Billing follows the
enrolment's commit (academics' enrollments_created event), so each enrolment runs its on-commit callbacks;
tests/fees/test_enrolment_billing.py drives every enrolment path through HTTP."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from modules.academics import services as academics
from modules.fees import billing
from modules.fees.models import FeeItem, FeePolicy, Invoice, LateEnrolment
from tests import factories as f

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def instalment(school):
    """Instalment 1 of grade 7 covers 100 days around today (40 gone, 60 left with today); it was billed."""
    structure = f.FeeStructureFactory(year=school.year, grade_level=school.section.grade_level)
    today = timezone.localdate()
    instalment = f.InstalmentFactory(
        structure=structure,
        number=1,
        label="Term 1",
        starts_on=today - datetime.timedelta(days=40),
        ends_on=today + datetime.timedelta(days=59),
        due_date=today + datetime.timedelta(days=10),
    )
    f.InstalmentChargeFactory(instalment=instalment, item=f.FeeItemFactory(name="Tuition"), amount=D("500"))
    return instalment


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what the enrolment's transaction queued for its commit (the billing), as production does."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _policy(late_enrolment):
    FeePolicy.objects.update_or_create(pk=FeePolicy.load().pk, defaults={"late_enrolment": late_enrolment})


def test_a_student_enrolled_in_a_section_later_is_billed_in_full(
    school, admin, bursar, instalment, committed
):
    billing.generate_invoices(year=school.year, number=1, by=bursar)
    newcomer = f.StudentFactory()
    with committed():
        academics.enrollments_create(section=school.section, students=[newcomer], by=admin)
    invoice = Invoice.objects.get(student=newcomer)
    assert (invoice.total, invoice.instalment, invoice.section) == (D("500.00"), instalment, school.section)
    assert invoice.number.endswith("00003")


def test_prorated_by_the_days_left_in_the_instalment(school, admin, bursar, instalment, committed):
    _policy(LateEnrolment.PRORATED)
    billing.generate_invoices(year=school.year, number=1, by=bursar)
    newcomer = f.StudentFactory()
    with committed():
        academics.student_save_enrolled(student=newcomer, section=school.other_section, by=admin)
    invoice = Invoice.objects.get(student=newcomer)
    assert invoice.total == D("300.00")  # 60 of 100 days
    assert invoice.lines.get().description == "Tuition — Term 1 (prorated: 60 of 100 days)"


def test_students_imported_in_bulk_are_billed_with_the_sibling_rule(
    school, admin, bursar, instalment, committed
):
    from modules.academics.importing import import_job_create, student_import_commit, student_import_validate
    from tests.people.test_import_files import student_row, xlsx_upload

    FeePolicy.objects.update_or_create(pk=FeePolicy.load().pk, defaults={"sibling_discount_percent": D("10")})
    FeeItem.objects.filter(name="Tuition").update(sibling_discount=True)
    billing.generate_invoices(year=school.year, number=1, by=bursar)
    family = {"guardian1_email": "same@family.test", "guardian1_last_name": "Same"}
    rows = [
        student_row(1, date_of_birth="2011-01-01", **family),
        student_row(2, date_of_birth="2014-01-01", section="7B", **family),
    ]
    job = import_job_create(owner=admin, upload=xlsx_upload(rows))
    student_import_validate(job=job)
    job.refresh_from_db()
    with committed():
        student_import_commit(job=job)
    totals = dict(
        Invoice.objects.filter(student__admission_number__startswith="N").values_list(
            "student__admission_number", "total"
        )
    )
    assert totals == {"N0001": D("500.00"), "N0002": D("450.00")}


def test_nothing_is_billed_before_the_instalment_is_generated(school, admin, instalment):
    newcomer = f.StudentFactory()
    academics.enrollments_create(section=school.section, students=[newcomer], by=admin)
    assert not Invoice.objects.exists()


def test_a_late_bill_past_its_due_date_gives_time_to_pay(school, admin, bursar, instalment, committed):
    instalment.due_date = timezone.localdate() - datetime.timedelta(days=5)
    instalment.save()
    billing.generate_invoices(year=school.year, number=1, by=bursar)
    newcomer = f.StudentFactory()
    with committed():
        academics.enrollments_create(section=school.section, students=[newcomer], by=admin)
    due = Invoice.objects.get(student=newcomer).due_date
    assert due == timezone.localdate() + datetime.timedelta(days=billing.LATE_BILL_DAYS_TO_PAY)


def test_moving_section_within_the_year_does_not_bill_again(school, admin, bursar, instalment):
    billing.generate_invoices(year=school.year, number=1, by=bursar)
    enrollment = school.child.enrollments.get()
    academics.enrollment_move(enrollment=enrollment, section=school.other_section, by=admin)
    assert Invoice.objects.filter(student=school.child).count() == 1
