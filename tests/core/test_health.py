from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_it_reports_database_cache_and_queue(client):
    response = client.get(reverse("health"), headers={"Accept": "application/json"})
    assert response.status_code == 200
    body = response.json()
    names = " ".join(body.keys()) if isinstance(body, dict) else str(body)
    assert "Database" in names and "Cache" in names and "QueueCheck" in names
    assert all(value == "OK" for value in body.values())


def test_it_reports_a_broken_queue(client, monkeypatch):
    from huey.contrib.djhuey import HUEY

    def broken():
        raise OSError("disk full")

    monkeypatch.setattr(HUEY, "pending_count", broken)
    response = client.get(reverse("health"), headers={"Accept": "application/json"})
    assert response.status_code == 500
    assert response.json()["QueueCheck()"] != "OK"
