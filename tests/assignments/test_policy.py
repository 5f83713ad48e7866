"""The office's homework policy page: file limits in megabytes, the similarity flag threshold, an external
service's address; audited; two people saving at once never overwrite each other silently."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from modules.assignments.models import HomeworkPolicy
from modules.core.models import AuditEvent
from tests import factories as f

URL = "/homework/policy/"
MB = 1024 * 1024


def form_data(client, **changes) -> dict:
    """What the page's form sends as drawn (its signed base included), with `changes`."""
    form = client.get(URL).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {name: "" if value is None else value for name, value in data.items()}
    data.update(changes)
    return data


def test_it_is_the_office_s_page():
    assert reverse("assignments:policy") == URL


def test_it_shows_the_limits_in_megabytes(as_user, admin):
    response = as_user(admin).get(URL)
    assert response.status_code == 200
    text = response.content.decode()
    assert 'name="max_file_bytes" value="10"' in text
    assert "Largest file (MB)" in text
    assert 'name="similarity_flag_percent" value="40"' in text


def test_it_saves_the_policy_and_audits_the_change(as_user, admin):
    client = as_user(admin)
    data = form_data(
        client,
        max_file_bytes="2.5",
        max_submission_bytes="8",
        max_files="4",
        similarity_flag_percent="30",
        similarity_service_url="https://similarity.example/v1/compare",
    )
    response = client.post(URL, data)
    assert response.status_code == 302
    assert response["Location"] == URL
    policy = HomeworkPolicy.current()
    assert policy.max_file_bytes == int(2.5 * MB)
    assert policy.max_submission_bytes == 8 * MB
    assert (policy.max_files, policy.similarity_flag_percent) == (4, 30)
    assert policy.similarity_service_url == "https://similarity.example/v1/compare"
    event = AuditEvent.objects.get(action="assignments.policy")
    assert event.before["similarity_flag_percent"] == 40
    assert event.after["similarity_flag_percent"] == 30
    assert "The homework policy was saved." in client.get(URL).content.decode()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"similarity_service_url": "http://similarity.example/compare"},
            "similarity_service_url",
            "The address must start with https://",
        ),
        ({"max_file_bytes": "12"}, "max_file_bytes", "less than or equal to 10"),
        (
            {"max_file_bytes": "6", "max_submission_bytes": "5"},
            "max_submission_bytes",
            "at least one file of the largest size",
        ),
        ({"similarity_flag_percent": "0"}, "similarity_flag_percent", "greater than or equal to 1"),
        ({"max_files": "51"}, "max_files", "less than or equal to 50"),
    ],
    ids=["http", "over-the-request-limit", "file-over-hand-in", "threshold-zero", "too-many-files"],
)
def test_it_refuses_a_bad_value_and_keeps_what_was_typed(as_user, admin, changes, field, message):
    client = as_user(admin)
    response = client.post(URL, form_data(client, **changes))
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors[field])
    assert message in errors
    text = response.content.decode()
    assert "Please correct the errors below." in text
    for name, value in changes.items():
        assert f'name="{name}" value="{value}"' in text
    assert HomeworkPolicy.current().similarity_flag_percent == 40  # nothing written
    assert not AuditEvent.objects.filter(action="assignments.policy").exists()


def test_two_people_saving_at_once_never_overwrite_each_other(as_user, admin):
    client = as_user(admin)
    drawn = form_data(client)
    HomeworkPolicy.objects.filter(pk=1).update(similarity_flag_percent=55)  # a colleague saved meanwhile
    mine = {**drawn, "similarity_flag_percent": "25"}
    response = client.post(URL, mine)
    assert response.status_code == 200
    assert "Someone else changed this to “55”" in " ".join(
        response.context["form"].errors["similarity_flag_percent"]
    )
    assert HomeworkPolicy.current().similarity_flag_percent == 55
    # A field only one of them changed is kept from the other: saving the max files keeps the 55.
    response = client.post(URL, {**drawn, "max_files": "3"})
    assert response.status_code == 302
    policy = HomeworkPolicy.current()
    assert (policy.max_files, policy.similarity_flag_percent) == (3, 55)


def test_it_shows_the_latest_failure_of_the_external_service(as_user, admin, school):
    f.AssignmentFactory(
        offering=school.offering,
        term=school.term,
        title="Essay",
        similarity_error="The similarity service (similarity.example) refused the check: HTTP 401.",
    )
    text = as_user(admin).get(URL).content.decode()
    assert "refused the check: HTTP 401." in text


@pytest.mark.parametrize("persona", ["teacher", "student", "guardian", "bursar"])
def test_only_the_office_changes_it(as_user, persona, request):
    client = as_user(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"similarity_flag_percent": "1"}).status_code == 403
    assert HomeworkPolicy.current().similarity_flag_percent == 40


def test_it_answers_only_get_and_post(as_user, admin):
    assert as_user(admin).put(URL).status_code == 405


# ---------------------------------------------------------------------------- testing the external service


def test_the_office_tests_the_external_service_with_made_up_texts(as_user, admin, settings):
    from tests.assignments.similarity_service import FakeSimilarityService, similarity_service

    settings.STUDENTFLOW_SIMILARITY_SERVICE_TOKEN = "s3cret"

    def finds_the_shared_sentence(request):
        first, second = (document["id"] for document in request["documents"])
        pair = {"a": first, "b": second, "a_percent": 50, "b_percent": 50, "passages": []}
        return 200, json.dumps({"pairs": [pair]}).encode()

    with similarity_service(FakeSimilarityService(answer=finds_the_shared_sentence)) as service:
        HomeworkPolicy.current()
        HomeworkPolicy.objects.filter(pk=1).update(similarity_service_url=service.url)
        client = as_user(admin)
        assert "Test the service" in client.get(URL).content.decode()
        response = client.post(reverse("assignments:policy_test"), follow=True)
    assert "The similarity service answered and found the sentence the two samples share." in (
        response.content.decode()
    )
    (request,) = service.requests
    assert [document["id"] for document in request["documents"]] == ["sample-1", "sample-2"]
    assert service.headers[0]["Authorization"] == "Bearer s3cret"


def test_a_failing_service_test_says_why(as_user, admin):
    from tests.fakes import free_port

    HomeworkPolicy.current()
    HomeworkPolicy.objects.filter(pk=1).update(similarity_service_url=f"http://127.0.0.1:{free_port()}/x")
    response = as_user(admin).post(reverse("assignments:policy_test"), follow=True)
    assert "The similarity service (127.0.0.1) could not be reached" in response.content.decode()


def test_without_a_service_there_is_nothing_to_test(as_user, admin):
    client = as_user(admin)
    assert "Test the service" not in client.get(URL).content.decode()
    response = client.post(reverse("assignments:policy_test"), follow=True)
    assert "the portal&#x27;s own check is used." in response.content.decode()
