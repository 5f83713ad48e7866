"""Every way the office enrols a student bills a late enrolment exactly once: the section page, the student
form, the import and the Django admin all announce academics' `enrollments_created` after commit, and fees
bills on it. A repeated event bills nothing more, a rolled-back enrolment announces nothing, and a
subscriber that fails does not undo the enrolment."""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal

import pytest
from allauth.mfa.totp.internal import auth as totp
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from modules.academics import services as academics
from modules.academics.events import enrollments_created
from modules.academics.models import Enrollment, EnrollmentStatus
from modules.core.models import AuditEvent
from modules.fees import billing
from modules.fees.models import Invoice
from modules.people.models import Student
from tests import factories as f
from tests.accounts.conftest import sign_in
from tests.people.test_import_files import confirm, page_text, student_row, upload, xlsx_upload

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def billed_year(school, bursar):
    """Grade 7 owes 500 for instalment 1, already generated for everyone enrolled: a newcomer is late."""
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
    billing.generate_invoices(year=school.year, number=1, by=bursar)
    assert Invoice.objects.count() == 2  # child and other_child
    return instalment


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """What the request's transaction queued for its commit runs, as it does in production."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _bills(student: Student) -> list[tuple[Decimal, int]]:
    return list(Invoice.objects.filter(student=student).values_list("total", "instalment__number"))


def test_the_section_page_bills_a_student_it_enrols_once(
    as_user, admin, bursar, school, billed_year, committed
):
    newcomer = f.StudentFactory(first_name="Nia", last_name="New")
    office = as_user(admin)
    with committed():
        response = office.post(
            reverse("academics:section_roster", args=[school.section.pk]), {"students": [newcomer.pk]}
        )
    assert response.status_code == 302
    assert _bills(newcomer) == [(D("500.00"), 1)]
    invoice = Invoice.objects.get(student=newcomer)
    assert invoice.created_by == admin
    assert invoice.section == school.section
    page = as_user(bursar).get(reverse("fees:student_account", args=[newcomer.pk])).content.decode()
    assert invoice.number in page
    assert "500.00" in page


def test_the_student_form_bills_a_student_it_enrols_once(as_user, admin, school, billed_year, committed):
    from tests.people.test_student_form import CREATE, form

    with committed():
        response = as_user(admin).post(CREATE, form(section=school.other_section.pk))
    assert response.status_code == 302
    newcomer = Student.objects.get(admission_number="A-2026-77")
    assert _bills(newcomer) == [(D("500.00"), 1)]
    # Saving the form again (same section) is not a new enrolment and bills nothing more.
    with committed():
        as_user(admin).post(
            reverse("people:student_edit", args=[newcomer.pk]),
            form(section=school.other_section.pk, first_name="Nina"),
        )
    assert _bills(newcomer) == [(D("500.00"), 1)]


def test_the_import_bills_every_student_it_enrols_once(as_user, admin, school, billed_year):
    from modules.core.models import Job

    office = as_user(admin)
    upload(office, xlsx_upload([student_row(1), student_row(2, section="7B"), student_row(3, section="")]))
    response = confirm(office, Job.objects.get())
    assert "3 students imported" in page_text(response)
    totals = dict(
        Invoice.objects.filter(student__admission_number__startswith="N").values_list(
            "student__admission_number", "total"
        )
    )
    assert totals == {"N0001": D("500.00"), "N0002": D("500.00")}  # N0003 has no section: not enrolled


@pytest.fixture
def root(db, password):
    return get_user_model().objects.create_superuser(email="root@school.test", password=password)


def test_the_django_admin_bills_a_student_it_enrols_once(
    client, root, password, settings, school, billed_year, committed
):
    settings.STUDENTFLOW_REQUIRE_STAFF_MFA = True
    secret = totp.generate_totp_secret()
    totp.TOTP.activate(root, secret)
    response = sign_in(client, root.email, password, secret, next_url="/admin/")
    assert response.status_code == 302
    assert response.url == "/admin/"
    add = reverse("admin:academics_enrollment_add")
    assert client.get(add).status_code == 200
    newcomer = f.StudentFactory(first_name="Adam", last_name="Admin")
    with committed():
        response = client.post(
            add,
            {
                "student": newcomer.pk,
                "section": school.section.pk,
                "year": school.year.pk,
                "status": EnrollmentStatus.ACTIVE,
                "enrolled_on": timezone.localdate().isoformat(),
                "_save": "Save",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    enrollment = Enrollment.objects.get(student=newcomer)
    assert _bills(newcomer) == [(D("500.00"), 1)]
    assert AuditEvent.objects.filter(
        action="enrollment.create", actor=root, object_id=str(enrollment.pk)
    ).exists()

    # Withdrawn and made active again in the admin: announced again, still one bill.
    change = reverse("admin:academics_enrollment_change", args=[enrollment.pk])
    values = {
        "student": newcomer.pk,
        "section": school.section.pk,
        "year": school.year.pk,
        "enrolled_on": enrollment.enrolled_on.isoformat(),
        "_save": "Save",
    }
    for status in [EnrollmentStatus.WITHDRAWN, EnrollmentStatus.ACTIVE]:
        with committed():
            assert client.post(change, {**values, "status": status}).status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE
    assert _bills(newcomer) == [(D("500.00"), 1)]


def test_an_event_delivered_twice_bills_once(school, admin, billed_year, committed):
    newcomer = f.StudentFactory()
    with committed():
        enrollments = academics.enrollments_create(section=school.section, students=[newcomer], by=admin)
        # A second delivery of the same news (a retried request, a sweeper), in the same and a later commit.
        enrollments_created.send_on_commit(enrollment_ids=[e.pk for e in enrollments], by=admin)
    with committed():
        enrollments_created.send_on_commit(enrollment_ids=[e.pk for e in enrollments], by=admin)
    assert _bills(newcomer) == [(D("500.00"), 1)]


def test_a_rolled_back_enrolment_bills_nothing(school, admin, billed_year, committed):
    newcomer = f.StudentFactory()
    with committed():
        try:
            with transaction.atomic():
                academics.enrollments_create(section=school.section, students=[newcomer], by=admin)
                raise RuntimeError("something later in the same request failed")
        except RuntimeError:
            pass
    assert not Enrollment.objects.filter(student=newcomer).exists()
    assert _bills(newcomer) == []


def test_a_withdrawn_enrolment_is_not_billed_when_the_news_arrives_late(
    school, admin, billed_year, committed
):
    newcomer = f.StudentFactory()
    enrollment = academics.enrollments_create(section=school.section, students=[newcomer], by=admin)[0]
    academics.enrollment_withdraw(enrollment=enrollment, by=admin)
    with committed():
        enrollments_created.send_on_commit(enrollment_ids=[enrollment.pk], by=admin)
    assert _bills(newcomer) == []


@pytest.fixture
def failing_subscriber():
    def fail(sender, **kwargs):
        raise RuntimeError("the subscriber's own bug")

    enrollments_created.connect(fail, dispatch_uid="tests.failing_subscriber")
    yield
    enrollments_created.disconnect(dispatch_uid="tests.failing_subscriber")


@pytest.mark.usefixtures("failing_subscriber")
def test_a_failing_subscriber_does_not_break_the_enrolment(
    as_user, admin, school, billed_year, committed, caplog
):
    newcomer = f.StudentFactory(first_name="Fay", last_name="Fine")
    office = as_user(admin)
    with committed(), caplog.at_level(logging.ERROR):
        response = office.post(
            reverse("academics:section_roster", args=[school.section.pk]),
            {"students": [newcomer.pk]},
            follow=True,
        )
    assert "1 student added to 7A." in response.content.decode()
    assert Enrollment.objects.get(student=newcomer).section == school.section
    assert _bills(newcomer) == [(D("500.00"), 1)]  # the other subscriber, fees, still ran
    failures = [r for r in caplog.records if r.name == "modules.core.events"]
    assert len(failures) == 1
    assert "academics.enrollments_created" in failures[0].getMessage()
    assert "the subscriber's own bug" in failures[0].getMessage()
