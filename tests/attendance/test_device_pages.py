"""The office's attendance readers pages through HTTP: a reader registered (its key shown once) sends a
check-in with that key, an unknown card is listed for the office, the check-ins that marked nothing are
listed, a revoked reader's key stops; the policy's late time and a student's card number are set on their
own pages; the register shows which marks came from a reader."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from modules.attendance.models import AttendanceDevice, Register

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rates():
    cache.clear()
    yield
    cache.clear()


def _send(client, key, **check_in):
    return client.post(
        "/api/v1/devices/check-ins",
        {"check_ins": [check_in]},
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )


def test_the_office_registers_a_reader_whose_check_ins_mark_and_whose_unknown_cards_are_listed(
    client, as_user, admin, teacher, school, weekday
):
    page = as_user(admin).post(
        reverse("attendance:office_devices"),
        {"name": "Main gate", "place": "Front entrance", "sections": [school.section.pk]},
    )
    assert page.status_code == 200
    key = re.search(r'id="device-key" type="text" readonly value="(sfd_[^"]+)"', page.content.decode()).group(
        1
    )
    assert key not in as_user(admin).get(reverse("attendance:office_devices")).content.decode()
    school.child.card_number = "04A1B2"
    school.child.save()
    now = timezone.localtime() - datetime.timedelta(minutes=1)
    assert _send(client, key, id="e1", card="04A1B2", at=now.isoformat()).status_code == 200
    assert _send(client, key, id="e2", card="FFFF01", at=now.isoformat()).status_code == 200
    listing = as_user(admin).get(reverse("attendance:office_devices")).content.decode()
    assert "FFFF01" in listing
    assert "04A1B2" not in listing
    events = as_user(admin).get(reverse("attendance:office_device_events")).content.decode()
    assert "FFFF01" in events
    assert "Unknown card" in events
    assert "Marked present" not in events
    every = as_user(admin).get(reverse("attendance:office_device_events") + "?all=1").content.decode()
    assert "Marked present" in every
    # The teacher's register shows the reader's mark as the reader's.
    register = Register.objects.get(section=school.section, date=weekday)
    sheet = as_user(teacher).get(reverse("attendance:register_detail", args=[register.pk])).content.decode()
    assert "Checked in at a reader:" in sheet
    # Revoked: its key stops.
    device = AttendanceDevice.objects.get()
    as_user(admin).post(reverse("attendance:office_device_revoke", args=[device.pk]))
    client.logout()
    assert _send(client, key, id="e3", card="04A1B2", at=now.isoformat()).status_code == 401


def test_a_reader_needs_a_name(as_user, admin, school):
    page = as_user(admin).post(reverse("attendance:office_devices"), {"name": "", "place": ""})
    assert page.status_code == 400
    assert "This field is required." in page.content.decode()
    assert not AttendanceDevice.objects.exists()


def test_the_late_time_is_set_with_the_attendance_rules(as_user, admin, school):
    page = as_user(admin).get(reverse("attendance:office_policy")).content.decode()
    assert 'name="late_after"' in page
