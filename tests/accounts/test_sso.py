"""Single sign-on through HTTP, with the identity providers faked at their HTTP boundary: Google's token
endpoint answering an id_token and Microsoft's token endpoint and Graph (`responses`: every call the portal
makes must be answered, and is), and a SAML provider posting signed responses to the portal's ACS. The office
switches each provider on with the school's domains; a sign-in is let in only as the login with the address
the provider vouches for; an address the school does not hold, an unverified one, another domain, a Google
account outside the school's `hd`, a forged or replayed SAML response are refused; staff still give the
second factor unless the provider is marked as asking for one; refusals are throttled like wrong passwords."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import responses
from allauth.socialaccount.models import SocialAccount, SocialApp
from cryptography.hazmat.primitives.asymmetric import rsa
from django.urls import reverse

from modules.accounts import services as accounts
from modules.core.models import AuditEvent
from tests.accounts.conftest import totp_code
from tests.accounts.saml_idp import keypair, request_from_redirect, signed_response

pytestmark = pytest.mark.django_db

DOMAIN = "school.test"  # the personas' addresses: teacher@school.test, guardian@school.test…
TENANT = "11111111-2222-3333-4444-555555555555"
GOOGLE_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
HOST = "portal.school.test"
SAML_IDP = "https://idp.school.test/saml"
SAML_SSO = "https://idp.school.test/sso"
SAML_ACS = f"http://{HOST}/accounts/saml/school/acs/"
SAML_SP = f"http://{HOST}/accounts/saml/school/metadata/"
IDP_KEY, IDP_CERT = keypair()


def switch_on(browser, kind: str, **fields):
    data = {"kind": kind, f"{kind}-enabled": "on", f"{kind}-domains": DOMAIN}
    data |= {f"{kind}-{name}": value for name, value in fields.items()}
    return browser.post(reverse("sso_settings"), data)


@pytest.fixture
def google(as_user, admin, client):
    answer = switch_on(as_user(admin), "google", client_id="google-client", secret="g-s3cr3t-value")
    assert answer.status_code == 302, answer.content.decode()
    client.logout()
    return SocialApp.objects.get(provider="google")


def id_token(
    email: str, *, verified: bool = True, hd: str | None = DOMAIN, audience: str = "google-client"
) -> str:
    now = int(time.time())
    claims = {
        "iss": "https://accounts.google.com",
        "aud": audience,
        "sub": f"g-{email.lower()}",
        "email": email,
        "email_verified": verified,
        "iat": now,
        "exp": now + 300,
        "given_name": "Given",
        "family_name": "Family",
    }
    if hd:
        claims["hd"] = hd
    return jwt.encode(claims, GOOGLE_KEY, algorithm="RS256", headers={"kid": "k1"})


def google_sign_in(client, token: str):
    """Press "Sign in with Google", come back from Google with a code; Google's token endpoint answers."""
    start = client.post("/accounts/google/login/")
    assert start.status_code == 302
    where = urlsplit(start["Location"])
    assert where.netloc == "accounts.google.com"
    query = parse_qs(where.query)
    assert query["hd"] == [DOMAIN]
    assert "code_challenge" in query
    with responses.RequestsMock() as google_side:
        exchange = google_side.post(
            "https://oauth2.googleapis.com/token",
            json={"access_token": "at", "id_token": token, "expires_in": 3600, "token_type": "Bearer"},
        )
        back = client.get("/accounts/google/login/callback/", {"code": "code-1", "state": query["state"][0]})
        sent = parse_qs(exchange.calls[0].request.body)
    assert sent["client_secret"] == ["g-s3cr3t-value"]
    assert sent["code_verifier"]
    return back


def signed_in_as(client):
    from django.contrib.auth import get_user

    class Request:
        session = client.session

    return get_user(Request())


# --- Google -------------------------------------------------------------------------------------------------


def test_a_guardian_signs_in_with_google_as_their_own_login(client, google, guardian):
    page = client.get(reverse("account_login"))
    assert "Sign in with Google" in page.content.decode()
    assert "https://accounts.google.com" in page["Content-Security-Policy"]
    back = google_sign_in(client, id_token(guardian.email.upper()))
    assert back.status_code == 302
    assert back["Location"] == reverse("home")
    assert signed_in_as(client) == guardian
    link = SocialAccount.objects.get()
    assert (link.user, link.provider) == (guardian, "google")
    guardian.refresh_from_db()
    assert guardian.has_usable_password()  # signing in with Google leaves the password alone
    assert AuditEvent.objects.filter(action="login.sso_linked", object_id=str(guardian.pk)).exists()
    # Next time the link is used, and checked again.
    client.logout()
    assert google_sign_in(client, id_token(guardian.email))["Location"] == reverse("home")
    assert SocialAccount.objects.count() == 1


@pytest.mark.parametrize(
    ("token", "why"),
    [
        (lambda: id_token("stranger@school.test"), "an address no login uses"),
        (lambda: id_token("guardian@school.test", verified=False), "an address Google does not vouch for"),
        (lambda: id_token("guardian@school.test", hd=None), "a personal Google account"),
        (lambda: id_token("guardian@school.test", hd="elsewhere.test"), "another organisation's account"),
    ],
)
def test_google_sign_ins_the_school_does_not_hold_are_refused(client, google, guardian, token, why):
    back = google_sign_in(client, token())
    assert back["Location"] == reverse("account_login"), why
    assert "_auth_user_id" not in client.session
    assert not SocialAccount.objects.exists()
    page = client.get(back["Location"]).content.decode()
    assert "Sign in with your school" in page or "No StudentFlow login uses this address" in page
    assert AuditEvent.objects.filter(action="login.sso_refused").exists()


def test_a_token_for_another_program_is_refused(client, google, guardian):
    back = google_sign_in(client, id_token(guardian.email, audience="someone-else"))
    assert back.status_code == 401
    assert "_auth_user_id" not in client.session


def test_a_login_whose_address_changed_no_longer_matches_its_google_account(client, google, guardian, admin):
    google_sign_in(client, id_token(guardian.email))
    client.logout()
    accounts.login_email_change(user=guardian, email="new.address@school.test", by=admin)
    assert not SocialAccount.objects.exists()
    back = google_sign_in(client, id_token("guardian@school.test"))
    assert back["Location"] == reverse("account_login")
    assert "_auth_user_id" not in client.session


def test_staff_still_give_the_second_factor(client, google, teacher, enrol, mfa_required):
    secret = enrol(teacher)
    back = google_sign_in(client, id_token(teacher.email))
    assert back["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    typed = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert typed["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_a_provider_marked_as_asking_for_mfa_counts_as_the_second_factor(
    client, as_user, admin, teacher, settings
):
    switch_on(
        as_user(admin), "google", client_id="google-client", secret="g-s3cr3t-value", idp_enforces_mfa="on"
    )
    client.logout()
    settings.STUDENTFLOW_REQUIRE_STAFF_MFA = True
    back = google_sign_in(client, id_token(teacher.email))
    assert back["Location"] == reverse("home")
    # No authenticator, yet not sent to enrol: the provider asked for the second factor.
    assert client.get(reverse("home")).status_code == 200
    methods = [record["method"] for record in client.session["account_authentication_methods"]]
    assert methods == ["socialaccount", "mfa"]


def test_refused_sign_ins_count_with_wrong_passwords(client, google, guardian, password, settings):
    # Production's shape (per address, per login), small enough for a test (tests/accounts/test_throttle.py).
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "6/m/ip,3/5m/key"}
    client.post(reverse("account_login"), {"login": guardian.email, "password": "wrong-password-x"})
    for _ in range(2):
        assert google_sign_in(client, id_token(guardian.email, verified=False)).status_code == 302
    blocked = google_sign_in(client, id_token(guardian.email))
    assert blocked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="login.sso_throttled").exists()
    # The password form counts them too.
    locked = client.post(reverse("account_login"), {"login": guardian.email, "password": password})
    assert "Too many failed login attempts" in locked.content.decode()


def test_a_switched_off_provider_offers_no_button_and_no_way_in(client, as_user, admin, google, guardian):
    as_user(admin).post(
        reverse("sso_settings"),
        {"kind": "google", "google-client_id": "google-client", "google-domains": DOMAIN},
    )
    client.logout()
    assert "Sign in with Google" not in client.get(reverse("account_login")).content.decode()
    assert client.post("/accounts/google/login/").status_code == 404


# --- Microsoft ----------------------------------------------------------------------------------------------


def microsoft_sign_in(client, me: dict):
    start = client.post("/accounts/microsoft/login/")
    where = urlsplit(start["Location"])
    assert (where.netloc, where.path) == ("login.microsoftonline.com", f"/{TENANT}/oauth2/v2.0/authorize")
    state = parse_qs(where.query)["state"][0]
    with responses.RequestsMock() as microsoft_side:
        microsoft_side.post(
            f"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token",
            json={"access_token": "at", "token_type": "Bearer", "expires_in": 3600},
        )
        microsoft_side.get("https://graph.microsoft.com/v1.0/me", json=me)
        return client.get("/accounts/microsoft/login/callback/", {"code": "code-1", "state": state})


@pytest.fixture
def microsoft(as_user, admin, client):
    answer = switch_on(as_user(admin), "microsoft", client_id="ms-client", secret="ms-secret", tenant=TENANT)
    assert answer.status_code == 302, answer.content.decode()
    client.logout()


def test_a_student_signs_in_with_microsoft(client, microsoft, student):
    back = microsoft_sign_in(
        client, {"id": "oid-1", "mail": student.email, "userPrincipalName": student.email}
    )
    assert back["Location"] == reverse("home")
    assert signed_in_as(client) == student


def test_microsoft_accounts_outside_the_schools_domains_are_refused(client, microsoft, db):
    from tests import factories as f

    f.UserFactory(email="someone@gmail.test")
    back = microsoft_sign_in(client, {"id": "oid-2", "mail": "someone@gmail.test"})
    assert back["Location"] == reverse("account_login")
    assert not SocialAccount.objects.exists()


# --- SAML ---------------------------------------------------------------------------------------------------


@pytest.fixture
def saml(as_user, admin, client):
    client.defaults["HTTP_HOST"] = HOST  # python3-saml reads the host the provider posts to
    answer = switch_on(
        as_user(admin),
        "saml",
        name="School account",
        entity_id=SAML_IDP,
        sso_url=SAML_SSO,
        certificate=IDP_CERT,
        want_assertion_signed="on",
    )
    assert answer.status_code == 302, answer.content.decode()
    client.logout()


def saml_start(client) -> tuple[str, str]:
    start = client.post("/accounts/saml/school/login/")
    assert start.status_code == 302
    assert start["Location"].startswith(SAML_SSO + "?")
    return request_from_redirect(start["Location"])


def saml_post(client, response: str, relay: str = ""):
    posted = client.post("/accounts/saml/school/acs/", {"SAMLResponse": response, "RelayState": relay})
    assert posted["Location"] == "/accounts/saml/school/acs/finish/"
    return client.get(posted["Location"])


def saml_response(request_id: str | None, email: str, key: str = IDP_KEY, sign: str = "assertion") -> str:
    return signed_response(
        key_pem=key,
        cert_pem=IDP_CERT,
        idp=SAML_IDP,
        sp=SAML_SP,
        acs=SAML_ACS,
        in_response_to=request_id,
        email=email,
        sign=sign,
    )


def test_a_guardian_signs_in_with_the_schools_saml_provider(client, saml, guardian):
    assert "Sign in with School account" in client.get(reverse("account_login")).content.decode()
    request_id, relay = saml_start(client)
    back = saml_post(client, saml_response(request_id, guardian.email), relay)
    assert back["Location"] == reverse("home")
    assert signed_in_as(client) == guardian


def test_saml_responses_the_school_cannot_trust_are_refused(client, saml, guardian):
    other_key, _certificate = keypair()
    request_id, _relay = saml_start(client)
    assert saml_post(client, saml_response(request_id, guardian.email, key=other_key)).status_code == 401
    request_id, _relay = saml_start(client)
    only_the_message = saml_post(client, saml_response(request_id, guardian.email, sign="response"))
    assert only_the_message.status_code == 401
    unsolicited = saml_post(client, saml_response(None, guardian.email))
    assert unsolicited.status_code == 401
    request_id, _relay = saml_start(client)
    stranger = saml_post(client, saml_response(request_id, "stranger@school.test"))
    assert stranger["Location"] == reverse("account_login")
    assert "_auth_user_id" not in client.session
    assert not SocialAccount.objects.exists()


def test_a_saml_response_cannot_be_replayed(client, saml, guardian):
    request_id, relay = saml_start(client)
    response = saml_response(request_id, guardian.email)
    assert saml_post(client, response, relay)["Location"] == reverse("home")
    client.logout()
    client.defaults["HTTP_HOST"] = HOST
    assert saml_post(client, response, relay).status_code in {401, 403}
    assert "_auth_user_id" not in client.session


# --- the office's page --------------------------------------------------------------------------------------


def test_the_office_page_says_what_is_missing_or_wrong(as_user, admin):
    browser = as_user(admin)
    page = browser.get(reverse("sso_settings")).content.decode()
    assert "/accounts/google/login/callback/" in page
    assert "/accounts/saml/school/acs/" in page
    cases = [
        ("google", {"client_id": "x"}, "Needed to switch this way of signing in on."),  # no secret yet
        ("google", {"client_id": "x", "secret": "y", "domains": "not a domain"}, "is not a domain name"),
        ("microsoft", {"client_id": "x", "secret": "y", "tenant": "common"}, "not a name such as"),
        (
            "saml",
            {"entity_id": SAML_IDP, "sso_url": "http://idp.school.test/sso", "certificate": IDP_CERT},
            "https",
        ),
        ("saml", {"entity_id": SAML_IDP, "sso_url": SAML_SSO, "certificate": "hello"}, "not a certificate"),
    ]
    for kind, fields, message in cases:
        data = {"kind": kind, f"{kind}-enabled": "on", f"{kind}-domains": DOMAIN}
        data |= {f"{kind}-{name}": value for name, value in fields.items()}
        answer = browser.post(reverse("sso_settings"), data)
        assert answer.status_code == 400, (kind, fields)
        assert message in answer.content.decode(), (kind, message)
    assert not SocialApp.objects.exists()


def test_the_secret_is_kept_when_left_empty_and_never_shown(as_user, admin):
    browser = as_user(admin)
    switch_on(browser, "google", client_id="google-client", secret="g-s3cr3t-value")
    switch_on(browser, "google", client_id="google-client-2")
    app = SocialApp.objects.get(provider="google")
    assert (app.client_id, app.secret) == ("google-client-2", "g-s3cr3t-value")
    assert "g-s3cr3t-value" not in browser.get(reverse("sso_settings")).content.decode()


def test_only_the_office_sees_the_page(as_user, teacher, guardian):
    for person in (teacher, guardian):
        assert as_user(person).get(reverse("sso_settings")).status_code == 403
