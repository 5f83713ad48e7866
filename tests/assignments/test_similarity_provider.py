"""An external similarity service (providers.HttpProvider), faked at the socket: a real HTTP server on
loopback that answers as each test tells it (tests/assignments/similarity_service.py)."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from modules.assignments import providers
from modules.assignments.models import HomeworkPolicy, SimilarityMatch
from modules.assignments.providers import HttpProvider, LocalProvider, ProviderError, provider_for
from modules.assignments.similarity_checks import similarity_check
from tests import factories as f
from tests.assignments.similarity_service import FakeSimilarityService, similarity_service
from tests.assignments.similarity_texts import EDITED_COPY, ESSAY, INSTRUCTIONS
from tests.fakes import free_port, silent_server


@pytest.fixture
def essay(school):
    now = timezone.now()
    return f.AssignmentFactory(
        offering=school.offering,
        term=school.term,
        instructions=INSTRUCTIONS,
        opens_at=now - datetime.timedelta(days=8),
        due_at=now - datetime.timedelta(days=1),
    )


def use_service(url: str) -> None:
    HomeworkPolicy.current()
    HomeworkPolicy.objects.filter(pk=1).update(similarity_service_url=url)


def finds_first_words(request: dict) -> tuple[int, bytes]:
    """A service that says the first two documents share their first 20 characters, 75 % and 50 %."""
    first, second = request["documents"][0]["id"], request["documents"][1]["id"]
    pair = {
        "a": first,
        "b": second,
        "a_percent": 75,
        "b_percent": 50.5,
        "passages": [{"a": [0, 20], "b": [0, 20]}],
    }
    return 200, json.dumps({"pairs": [pair], "too_short": []}).encode()


def test_the_school_chooses_its_own_engine_or_a_service():
    policy = HomeworkPolicy(similarity_service_url="")
    assert isinstance(provider_for(policy), LocalProvider)
    policy.similarity_service_url = "https://similarity.example/v1/compare"
    assert isinstance(provider_for(policy), HttpProvider)


def test_it_sends_the_texts_as_json_and_writes_what_the_service_found(essay):
    mine = f.SubmissionFactory(assignment=essay, text=ESSAY)
    theirs = f.SubmissionFactory(assignment=essay, text=EDITED_COPY)
    with similarity_service(FakeSimilarityService(answer=finds_first_words)) as service:
        use_service(service.url)
        result = similarity_check(assignment=essay)

    (request,) = service.requests
    assert request["version"] == 1
    assert request["documents"] == [
        {"id": str(mine.pk), "text": ESSAY},
        {"id": str(theirs.pk), "text": EDITED_COPY},
    ]
    assert request["corpus"] == []
    assert request["ignore"] == [INSTRUCTIONS]
    assert service.headers[0]["Content-Type"] == "application/json"
    assert result.provider == "http"
    match = SimilarityMatch.objects.get()
    assert (match.submission, match.other, match.provider) == (mine, theirs, "http")
    assert (match.percent, match.other_percent) == (Decimal("75.00"), Decimal("50.50"))
    assert match.passages == [{"a": [0, 20], "b": [0, 20], "words": 5}]  # "By the spring of 178"
    mine.refresh_from_db()
    assert mine.similarity_percent == Decimal("75.00")


def refusing(request):
    return 503, b'{"error": "maintenance"}'


def not_json(request):
    return 200, b"<html>Bad gateway</html>"


def passage_too_long(request):
    first, second = request["documents"][0]["id"], request["documents"][1]["id"]
    pair = {
        "a": first,
        "b": second,
        "a_percent": 10,
        "b_percent": 10,
        "passages": [{"a": [0, 10**6], "b": [0, 5]}],
    }
    return 200, json.dumps({"pairs": [pair]}).encode()


def unknown_document(request):
    pair = {"a": "999999", "b": request["documents"][0]["id"], "a_percent": 10, "b_percent": 10}
    return 200, json.dumps({"pairs": [pair]}).encode()


def percent_out_of_range(request):
    first, second = request["documents"][0]["id"], request["documents"][1]["id"]
    return 200, json.dumps({"pairs": [{"a": first, "b": second, "a_percent": 140, "b_percent": 1}]}).encode()


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (refusing, "The similarity service (127.0.0.1) refused the check: HTTP 503."),
        (not_json, "The similarity service's answer could not be understood (not JSON)."),
        (
            passage_too_long,
            "The similarity service's answer could not be understood (a passage outside its text).",
        ),
        (
            unknown_document,
            "The similarity service's answer could not be understood "
            "(a pair naming a document that was not sent).",
        ),
        (
            percent_out_of_range,
            "The similarity service's answer could not be understood (a percentage outside 0–100).",
        ),
    ],
    ids=["refused", "not-json", "passage-outside", "unknown-document", "bad-percent"],
)
def test_a_failing_service_leaves_the_previous_result_and_says_why(essay, answer, message):
    mine = f.SubmissionFactory(assignment=essay, text=ESSAY)
    f.SubmissionFactory(assignment=essay, text=EDITED_COPY)
    similarity_check(assignment=essay)  # the portal's own engine, before the school named a service
    before = list(SimilarityMatch.objects.values_list("pk", "percent"))
    mine.refresh_from_db()
    score = mine.similarity_percent

    with similarity_service(FakeSimilarityService(answer=answer)) as service:
        use_service(service.url)
        with pytest.raises(ProviderError) as raised:
            similarity_check(assignment=essay)

    assert raised.value.message == message
    assert list(SimilarityMatch.objects.values_list("pk", "percent")) == before
    mine.refresh_from_db()
    assert mine.similarity_percent == score
    essay.refresh_from_db()
    assert essay.similarity_error == message


def test_a_service_that_never_answers_is_given_up_after_the_timeout(essay, monkeypatch):
    monkeypatch.setattr(providers, "TIMEOUT_SECONDS", 1)
    f.SubmissionFactory(assignment=essay, text=ESSAY)
    with silent_server() as (host, port):
        use_service(f"http://{host}:{port}/compare")
        with pytest.raises(ProviderError, match=r"\(127.0.0.1\) did not answer within 1 second\.$"):
            similarity_check(assignment=essay)


def test_a_service_that_cannot_be_reached_says_so(essay):
    f.SubmissionFactory(assignment=essay, text=ESSAY)
    use_service(f"http://127.0.0.1:{free_port()}/compare")
    with pytest.raises(ProviderError, match=r"^The similarity service \(127.0.0.1\) could not be reached: "):
        similarity_check(assignment=essay)


def test_hand_ins_never_travel_in_clear_text_beyond_this_machine():
    provider = HttpProvider("http://similarity.example/v1/compare")
    with pytest.raises(ProviderError, match="must start with https://"):
        provider.compare(documents={"1": ESSAY}, corpus={}, ignore=[])
