from __future__ import annotations

import pytest
from django.urls import reverse

from modules.attendance.models import AttendancePolicy
from modules.core.models import AuditEvent

pytestmark = pytest.mark.django_db
URL = reverse("attendance:office_policy")


def test_it_switches_the_school_to_per_lesson_registers_and_audits_it(as_user, admin, school):
    client = as_user(admin)
    assert "Daily: one register per section per day" in client.get(URL).content.decode()
    response = client.post(
        URL,
        {
            "mode": "lesson",
            "teacher_edit_days": "2",
            "chronic_absence_percent": "12.5",
            "notify_absences": "on",
        },
        follow=True,
    )
    assert "The attendance rules were saved." in response.content.decode()
    policy = AttendancePolicy.load()
    assert (policy.mode, policy.teacher_edit_days, str(policy.chronic_absence_percent)) == (
        "lesson",
        2,
        "12.5",
    )
    event = AuditEvent.objects.get(action="attendance.policy")
    assert event.before["mode"] == "daily"
    assert event.after["mode"] == "lesson"


def test_it_refuses_an_absurd_threshold_and_keeps_the_rules(as_user, admin, school):
    response = as_user(admin).post(
        URL, {"mode": "daily", "teacher_edit_days": "90", "chronic_absence_percent": "75"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 30." in page
    assert "Ensure this value is less than or equal to 50." in page
    assert AttendancePolicy.load().teacher_edit_days == 0


@pytest.mark.parametrize("persona", ["teacher", "guardian", "student", "bursar"])
def test_it_is_for_the_office_only(persona, request, as_user, school):
    client = as_user(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"mode": "lesson"}).status_code == 403
    assert AttendancePolicy.load().mode == "daily"
