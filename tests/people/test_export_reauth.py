"""Bulk exports of student data ask the person to prove who they are again (the password, or the
authenticator app's code for a login that has one) unless they did so in the last few minutes, and they
are rate-limited. Nothing is exported, nor audited as exported, before that."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal import auth as totp
from django.urls import reverse

from modules.core.models import AuditEvent
from tests.accounts.conftest import sign_in, totp_code
from tests.factories import PASSWORD
from tests.reauth import reauthenticate

pytestmark = pytest.mark.django_db
EXPORT = reverse("people:student_export")
PASSWORD_PROMPT = reverse("account_reauthenticate")
CODE_PROMPT = reverse("mfa_reauthenticate")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def exports() -> int:
    return AuditEvent.objects.filter(action__endswith="export").count()


def test_it_asks_for_the_password_before_exporting_and_comes_back(as_user, admin, school):
    client = as_user(admin)
    response = client.get(EXPORT, {"q": "Sam"})
    assert response.status_code == 302
    assert response.url == f"{PASSWORD_PROMPT}?next=%2Fpeople%2Fstudents%2Fexport.xlsx%3Fq%3DSam"
    assert exports() == 0
    prompt = client.get(response.url)
    assert prompt.status_code == 200
    assert 'name="password"' in prompt.content.decode()
    back = client.post(response.url, {"password": PASSWORD})
    assert back.status_code == 302
    assert back.url == f"{EXPORT}?q=Sam"
    download = client.get(back.url)
    assert download.status_code == 200
    assert download["Content-Type"] == XLSX
    assert AuditEvent.objects.get(action="student.export").after["filters"] == {"q": "Sam"}


def test_a_wrong_password_exports_nothing(as_user, admin, school):
    client = as_user(admin)
    response = client.post(f"{PASSWORD_PROMPT}?next={EXPORT}", {"password": "not my password"})
    assert response.status_code == 200
    assert client.get(EXPORT).status_code == 302
    assert exports() == 0


def test_a_fresh_sign_in_counts_as_recent(client, admin, school):
    sign_in(client, admin.email, PASSWORD)
    assert client.get(EXPORT).status_code == 200


def test_it_asks_again_once_the_reauthentication_is_old(as_user, admin, school, settings):
    client = reauthenticate(as_user(admin))
    assert client.get(EXPORT).status_code == 200
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 0
    response = client.get(EXPORT)
    assert response.status_code == 302
    assert response.url.startswith(PASSWORD_PROMPT)
    assert exports() == 1


def test_with_an_authenticator_only_its_code_will_do(as_user, admin, school):
    secret = totp.generate_totp_secret()
    totp.TOTP.activate(admin, secret)
    client = as_user(admin)
    response = client.get(EXPORT)
    assert response.status_code == 302
    assert response.url == f"{CODE_PROMPT}?next=%2Fpeople%2Fstudents%2Fexport.xlsx"
    # The password alone (a stolen one) is not enough for a login protected by a code.
    reauthenticate(client)
    assert client.get(EXPORT).url.startswith(CODE_PROMPT)
    assert exports() == 0
    back = client.post(response.url, {"code": totp_code(secret)})
    assert back.status_code == 302
    assert back.url == EXPORT
    assert client.get(EXPORT)["Content-Type"] == XLSX
    assert exports() == 1


def test_exports_are_rate_limited(as_user, admin, school, settings):
    settings.STUDENTFLOW_RATE_LIMITS = {**settings.STUDENTFLOW_RATE_LIMITS, "export": "2/m"}
    client = reauthenticate(as_user(admin))
    assert [client.get(EXPORT).status_code for _ in range(2)] == [200, 200]
    response = client.get(EXPORT)
    assert response.status_code == 429
    assert int(response["Retry-After"]) <= 60
    page = response.content.decode()
    assert "You have done this too many times in a short while. Please wait" in page
    assert response["Content-Type"].startswith("text/html")
    assert exports() == 2


@pytest.mark.parametrize(
    ("persona", "url", "params"),
    [
        ("bursar", "fees:invoice_list", {"format": "xlsx"}),
        ("bursar", "fees:invoice_list", {"format": "csv"}),
        ("bursar", "fees:aging", {"format": "csv"}),
        ("bursar", "fees:collections", {"format": "xlsx"}),
        ("bursar", "fees:cashup", {"format": "csv"}),
        ("admin", "attendance:reports_monthly_xlsx", {"month": "2024-03"}),
        ("admin", "attendance:reports_monthly_pdf", {"month": "2024-03"}),
        ("teacher", "exams:marksheet_export", {}),
    ],
)
def test_every_bulk_export_asks_first(request, as_user, school, persona, url, params):
    kwargs = {"pk": school.section.pk} if url.startswith("attendance:") else {}
    if url.startswith("exams:"):
        kwargs, params = {"pk": school.offering.pk}, {"term": school.term.pk}
    client = as_user(request.getfixturevalue(persona))
    response = client.get(reverse(url, kwargs=kwargs), params)
    assert response.status_code == 302
    assert response.url.startswith(PASSWORD_PROMPT)
    assert exports() == 0
    reauthenticate(client)
    response = client.get(reverse(url, kwargs=kwargs), params)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert exports() == 1


def test_the_list_pages_themselves_need_no_reauthentication(as_user, bursar, school):
    client = as_user(bursar)
    assert client.get(reverse("fees:invoice_list")).status_code == 200
    assert client.get(reverse("fees:aging")).status_code == 200
