"""Settings pages that two office staff may have open at once keep each other's changes
(core.concurrency.StaleEditCheckMixin): the attendance rules, the fee rules and a grading scale."""

from __future__ import annotations

import pytest
from django.urls import reverse

from modules.attendance.models import AttendancePolicy
from modules.exams.models import GradingScale
from modules.fees.models import FeePolicy
from modules.people.models import Position
from tests.conftest import _staff
from tests.forms import form_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_admin(db):
    return _staff("second.office@school.test", Position.ADMINISTRATOR, "Otto", "Office")


def _both_open(as_user, admin, other_admin, url):
    first, second = as_user(admin), as_user(other_admin)
    pages = []
    for client in (first, second):
        page = client.get(url)
        assert page.status_code == 200
        pages.append(form_fields(page.text, form_id=None))
    return first, second, pages[0], pages[1]


def test_it_keeps_both_offices_changes_to_the_attendance_rules(as_user, admin, other_admin):
    url = reverse("attendance:office_policy")
    first, second, drawn_first, drawn_second = _both_open(as_user, admin, other_admin, url)
    assert first.post(url, {**drawn_first, "teacher_edit_days": "9"}).status_code == 302
    assert second.post(url, {**drawn_second, "chronic_absence_percent": "12"}).status_code == 302
    policy = AttendancePolicy.objects.get()
    assert (policy.teacher_edit_days, policy.chronic_absence_percent) == (9, 12)

    # Both change the same rule: the second is refused with the first one's value, nothing is written.
    first, second, drawn_first, drawn_second = _both_open(as_user, admin, other_admin, url)
    assert first.post(url, {**drawn_first, "teacher_edit_days": "3"}).status_code == 302
    response = second.post(url, {**drawn_second, "teacher_edit_days": "5"})
    assert response.status_code == 200
    assert "Someone else changed this to “3” since you opened the page" in response.text
    assert AttendancePolicy.objects.get().teacher_edit_days == 3
    assert second.post(url, form_fields(response.text)).status_code == 302  # saved again: on purpose
    assert AttendancePolicy.objects.get().teacher_edit_days == 5


def test_it_refuses_a_stale_change_to_the_fee_rules(as_user, admin, other_admin):
    url = reverse("fees:policy")
    first, second, drawn_first, drawn_second = _both_open(as_user, admin, other_admin, url)
    assert first.post(url, {**drawn_first, "sibling_discount_percent": "15"}).status_code == 302
    response = second.post(url, {**drawn_second, "sibling_discount_percent": "20"})
    assert "Someone else changed this to “15" in response.text
    assert FeePolicy.objects.get().sibling_discount_percent == 15
    # An untouched decimal drawn as "15.00" and posted back as such is not a change.
    first, second, drawn_first, drawn_second = _both_open(as_user, admin, other_admin, url)
    assert first.post(url, {**drawn_first, "students_see_balance": "on"}).status_code == 302
    assert second.post(url, drawn_second).status_code == 302
    policy = FeePolicy.objects.get()
    assert (policy.sibling_discount_percent, policy.students_see_balance) == (15, True)


def test_it_refuses_a_grading_scale_saved_by_a_colleague_since_the_page_was_drawn(
    as_user, admin, other_admin
):
    """A scale's bands are saved as a whole: a stale page cannot merge them, so it is refused in words."""
    scale = GradingScale.objects.create(name="Letters", pass_mark=50)
    scale.bands.create(letter="F", min_percent=0)
    scale.bands.create(letter="A", min_percent=50)
    url = reverse("exams:scale_edit", args=[scale.pk])
    first, second, drawn_first, drawn_second = _both_open(as_user, admin, other_admin, url)
    assert first.post(url, {**drawn_first, "name": "Letters A–F"}).status_code == 302
    response = second.post(url, {**drawn_second, "pass_mark": "40"})
    assert response.status_code == 400
    assert "Someone else saved this grading scale since you opened the page" in response.text
    scale.refresh_from_db()
    assert (scale.name, scale.pass_mark, scale.bands.count()) == ("Letters A–F", 50, 2)


def test_it_keeps_both_editors_changes_to_an_announcement(as_user, admin, other_admin, school):
    import datetime

    from django.utils import timezone

    from modules.communications.models import Announcement

    item = Announcement.objects.create(
        title="Sports day",
        body="On Friday.",
        author=admin,
        publish_at=timezone.now() + datetime.timedelta(days=1),
    )
    url = reverse("communications:announcement_edit", kwargs={"pk": item.pk})
    first, second, drawn_first, drawn_second = _both_open(as_user, admin, other_admin, url)
    assert "edit_base" in drawn_first
    assert first.post(url, {**drawn_first, "title": "Sports day moved"}).status_code == 302
    assert second.post(url, {**drawn_second, "body": "On Friday, bring water."}).status_code == 302
    item.refresh_from_db()
    assert (item.title, item.body) == ("Sports day moved", "On Friday, bring water.")
