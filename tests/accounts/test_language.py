from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_it_saves_a_signed_in_users_language(as_user, guardian, school):
    client = as_user(guardian)
    response = client.post(reverse("set_language"), {"language": "es", "next": reverse("home")})
    assert response.status_code == 302
    assert response.url == reverse("home")
    guardian.refresh_from_db()
    assert guardian.language == "es"
    page = client.get(reverse("home"))
    assert page["Content-Language"] == "es"
    assert '<html lang="es">' in page.content.decode()
    assert "Mis hijos" in page.content.decode()


def test_it_lets_a_visitor_choose_french_for_the_login_page(client, db):
    response = client.post(reverse("set_language"), {"language": "fr", "next": reverse("account_login")})
    assert response.cookies["django_language"].value == "fr"
    page = client.get(reverse("account_login")).content.decode()
    assert '<html lang="fr">' in page
    assert "Connexion" in page


def test_it_refuses_an_unknown_language(as_user, guardian, school):
    response = as_user(guardian).post(reverse("set_language"), {"language": "xx", "next": "/"}, follow=True)
    assert "That language is not available." in response.content.decode()
    guardian.refresh_from_db()
    assert guardian.language == "en"


def test_it_never_redirects_to_another_site(client, db):
    response = client.post(reverse("set_language"), {"language": "es", "next": "https://evil.example/"})
    assert response.url == "/"


def test_it_refuses_get(client, db):
    assert client.get(reverse("set_language")).status_code == 405
