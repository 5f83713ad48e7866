from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_it_shows_a_friendly_404(as_user, guardian, school):
    response = as_user(guardian).get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert "Back to your home page" in response.content.decode()


def test_it_shows_a_friendly_403(as_user, guardian, school):
    response = as_user(guardian).get(reverse("people:student_list"))
    assert response.status_code == 403
    assert "You are not allowed to open this page" in response.content.decode()


def test_it_shows_a_500_page_that_needs_no_database(rf):
    from modules.core.views import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_it_sends_a_csp_with_a_nonce_that_every_script_carries(as_user, admin, school):
    response = as_user(admin).get(reverse("home"))
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert "script-src 'self' 'nonce-" in policy
    assert "'unsafe-inline'" not in policy
    scripts = re.findall(r"<script[^>]*>", response.content.decode())
    assert scripts
    assert all(f'nonce="{nonce}"' in tag for tag in scripts)
    assert not re.findall(r"<[^>]+\son[a-z]+=", response.content.decode())  # no inline event handlers


def test_it_refuses_framing_and_sniffing(client):
    response = client.get(reverse("account_login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_it_serves_the_vendored_bootstrap_and_htmx_without_a_cdn(client):
    page = client.get(reverse("account_login")).content.decode()
    assert "cdn" not in page.lower()
    for path in re.findall(r'(?:src|href)="(/static/[^"]+)"', page):
        response = Client().get(path)
        assert response.status_code == 200, path


def test_it_marks_up_landmarks_and_a_skip_link(as_user, teacher, school):
    page = as_user(teacher).get(reverse("home")).content.decode()
    assert '<a class="visually-hidden-focusable skip-link" href="#main">' in page
    assert '<main id="main"' in page
    assert "<header>" in page
    assert "<footer" in page
    assert 'aria-label="Main navigation"' in page
