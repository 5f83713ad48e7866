"""Grading scales (office): list, create, edit, with bands validated as a whole."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from modules.core.models import AuditEvent
from modules.exams.models import GradeBand, GradingScale
from tests import factories as f

pytestmark = pytest.mark.django_db


def _payload(bands, *, name="Default", grade_level="", pass_mark="50", initial=()):
    data = {
        "name": name,
        "grade_level": grade_level,
        "pass_mark": pass_mark,
        "bands-TOTAL_FORMS": str(len(bands)),
        "bands-INITIAL_FORMS": str(len(initial)),
        "bands-MIN_NUM_FORMS": "0",
        "bands-MAX_NUM_FORMS": "1000",
    }
    for i, (letter, low, gpa, descriptor) in enumerate(bands):
        data.update(
            {
                f"bands-{i}-letter": letter,
                f"bands-{i}-min_percent": low,
                f"bands-{i}-gpa_points": gpa,
                f"bands-{i}-descriptor": descriptor,
            }
        )
        if i < len(initial):
            data[f"bands-{i}-id"] = str(initial[i])
    return data


ABC = [("A", "80", "4", "Excellent"), ("B", "60", "3", "Good"), ("C", "0", "1", "Keep going")]


def _scale(grade_level=None, name="Default"):
    scale = GradingScale.objects.create(name=name, grade_level=grade_level, pass_mark=Decimal("50"))
    for letter, low, gpa, descriptor in ABC:
        GradeBand.objects.create(
            scale=scale,
            letter=letter,
            min_percent=Decimal(low),
            gpa_points=Decimal(gpa),
            descriptor=descriptor,
        )
    return scale


def test_it_creates_the_school_default_scale_with_its_bands_and_audits_it(as_user, admin):
    response = as_user(admin).post(reverse("exams:scale_create"), _payload(ABC), follow=True)
    assert response.status_code == 200
    assert "The grading scale “Default” was saved." in response.text
    scale = GradingScale.objects.get()
    assert scale.grade_level is None
    assert [(b.letter, b.min_percent) for b in scale.bands.all()] == [
        ("A", Decimal("80")),
        ("B", Decimal("60")),
        ("C", Decimal("0")),
    ]
    event = AuditEvent.objects.get(action="grading_scale.create")
    assert event.after["bands"][0] == ["A", "80.00", "4.00", "Excellent"]
    assert "Keep going" in response.text


def test_it_edits_a_grade_levels_scale_swapping_letters_and_removing_a_band(as_user, admin):
    grade = f.GradeLevelFactory(name="Grade 8", order=8)
    scale = _scale(grade_level=grade, name="Grade 8")
    bands = list(scale.bands.order_by("-min_percent"))
    # A and B swap thresholds' letters, C is removed and a new 0% band replaces it.
    data = _payload(
        [("B", "80", "3", ""), ("A", "60", "4", ""), ("C", "0", "1", ""), ("F", "0", "0", "Fail")],
        name="Grade 8",
        grade_level=str(grade.pk),
        pass_mark="40",
        initial=[band.pk for band in bands],
    )
    data["bands-2-DELETE"] = "on"
    response = as_user(admin).post(reverse("exams:scale_edit", args=[scale.pk]), data)
    assert response.status_code == 302
    scale.refresh_from_db()
    assert scale.pass_mark == Decimal("40")
    assert [(b.letter, b.min_percent) for b in scale.bands.order_by("-min_percent")] == [
        ("B", Decimal("80")),
        ("A", Decimal("60")),
        ("F", Decimal("0")),
    ]
    assert AuditEvent.objects.filter(action="grading_scale.change", object_id=str(scale.pk)).exists()


@pytest.mark.parametrize(
    ("bands", "message"),
    [
        ([("A", "80", "4", ""), ("A", "0", "1", "")], "The letter A is used twice."),
        ([("A", "50", "4", ""), ("B", "50", "3", ""), ("C", "0", "1", "")], "Two bands start at 50%"),
        ([("A", "80", "4", ""), ("B", "10", "3", "")], "One band must start at 0%"),
        ([("A", "120", "4", ""), ("B", "0", "3", "")], "less than or equal to 100"),
        ([], "A scale needs at least one band."),
    ],
)
def test_it_refuses_bad_bands_with_a_clear_message_and_writes_nothing(as_user, admin, bands, message):
    response = as_user(admin).post(reverse("exams:scale_create"), _payload(bands))
    assert response.status_code == 400
    assert message in response.text
    assert not GradingScale.objects.exists()
    assert not GradeBand.objects.exists()


def test_it_refuses_a_second_default_scale(as_user, admin):
    _scale()
    response = as_user(admin).post(reverse("exams:scale_create"), _payload(ABC, name="Another"))
    assert response.status_code == 400
    assert "already has a default scale" in response.text
    assert GradingScale.objects.count() == 1


def test_it_lists_scales_and_the_grade_levels_using_the_default_in_bounded_queries(
    as_user, admin, django_assert_max_num_queries
):
    client = as_user(admin)
    _scale()
    f.GradeLevelFactory(name="Grade 9", order=9)
    client.get(reverse("exams:scale_list"))  # warm the session and user caches
    with django_assert_max_num_queries(10):
        response = client.get(reverse("exams:scale_list"))
    assert "Using the school default:" in response.text
    assert "Grade 9" in response.text
    for n in range(5):
        _scale(grade_level=f.GradeLevelFactory(name=f"Level {n}", order=20 + n), name=f"Scale {n}")
    with django_assert_max_num_queries(10):
        response = client.get(reverse("exams:scale_list"))
    assert "Scale 4" in response.text


def test_it_refuses_everyone_but_the_office(as_user, teacher, guardian, client, admin):
    scale = _scale()
    assert as_user(teacher).get(reverse("exams:scale_list")).status_code == 403
    assert (
        as_user(guardian).post(reverse("exams:scale_edit", args=[scale.pk]), _payload(ABC)).status_code == 403
    )
    client.logout()
    assert client.get(reverse("exams:scale_create")).status_code == 302
    assert as_user(admin).delete(reverse("exams:scale_edit", args=[scale.pk])).status_code == 405
    assert as_user(admin).get(reverse("exams:scale_edit", args=[scale.pk + 99])).status_code == 404
