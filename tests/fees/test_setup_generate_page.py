"""The bursar's generate page: a preview first (how many, how much, who is skipped), then confirm; inline
for a small school, on the queue with a progress page for a large one; twice bills nobody twice."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from modules.core.models import Job, JobStatus
from modules.fees import billing
from modules.fees.models import Invoice
from tests import factories as f

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def instalment(school):
    structure = f.FeeStructureFactory(year=school.year, grade_level=school.section.grade_level)
    instalment = f.InstalmentFactory(structure=structure, number=1, label="Term 1")
    f.InstalmentChargeFactory(instalment=instalment, amount=D("500"))
    return instalment


def test_it_previews_then_generates(as_user, bursar, school, instalment):
    client = as_user(bursar)
    page = client.get(reverse("fees:generate"))
    assert page.status_code == 200
    assert "1 — Term 1" in page.text
    data = {"year": school.year.pk, "number": 1}
    preview = client.post(reverse("fees:generate"), data)
    assert "Students to bill" in preview.text
    assert "USD 1,000.00" in preview.text
    assert "Issue 2 invoices" in preview.text
    assert "By grade level" not in preview.text  # one grade: no breakdown
    assert not Invoice.objects.exists()
    done = client.post(reverse("fees:generate"), {**data, "confirm": "1"}, follow=True)
    assert "2 invoices generated for USD 1,000.00; 0 students were already billed." in done.text
    assert Invoice.objects.count() == 2
    again = client.post(reverse("fees:generate"), {**data, "confirm": "1"}, follow=True)
    assert "0 invoices generated" in again.text
    assert Invoice.objects.count() == 2


def test_an_instalment_the_year_does_not_have_is_explained(as_user, bursar, school, instalment):
    other = f.GradeLevelFactory(name="Grade 9")
    f.InstalmentFactory(structure=f.FeeStructureFactory(year=school.year, grade_level=other), number=2)
    response = as_user(bursar).post(
        reverse("fees:generate"), {"year": school.year.pk, "number": 1, "grade_levels": [other.pk]}
    )
    assert response.status_code == 200
    assert "No fee structure of" in response.text


def test_a_large_school_is_generated_on_the_queue(
    as_user, bursar, school, instalment, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(billing, "QUEUE_ABOVE", 1)
    client = as_user(bursar)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("fees:generate"), {"year": school.year.pk, "number": 1, "confirm": "1"}
        )
    job = Job.objects.get(kind=billing.JOB_KIND)
    assert response.url == reverse("job_progress", args=[job.pk])
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED  # the queue runs at once in tests
    assert job.result["created"] == 2
    page = client.get(response.url)
    assert "2 invoices generated" in page.text
    assert Invoice.objects.count() == 2


def test_the_preview_breaks_the_amount_down_by_grade(as_user, bursar, school, instalment):
    grade8 = f.GradeLevelFactory(name="Grade 8", order=8)
    structure = f.FeeStructureFactory(year=school.year, grade_level=grade8)
    f.InstalmentChargeFactory(instalment=f.InstalmentFactory(structure=structure, number=1), amount=D("700"))
    f.EnrollmentFactory(section=f.SectionFactory(year=school.year, grade_level=grade8, name="8A"))
    preview = as_user(bursar).post(reverse("fees:generate"), {"year": school.year.pk, "number": 1})
    assert "By grade level" in preview.text
    assert "USD 1,000.00" in preview.text
    assert "USD 700.00" in preview.text
    assert "USD 1,700.00" in preview.text
