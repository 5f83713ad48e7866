"""Who compares the hand-ins: the portal's own engine (`LocalProvider`, similarity.py) or an external
service the school names in its homework policy (`HttpProvider`). Both answer the same question:

    provider.compare(documents={id: text}, corpus={id: text}, ignore=[text, ...]) -> Comparison

`documents` are the hand-ins being checked, `corpus` the others they are compared with (earlier years,
sibling classes), `ignore` the assignment's own text (instructions, attached files).

The external service is spoken to in JSON over HTTPS, one POST to the policy's URL:

    request  {"version": 1, "documents": [{"id": "12", "text": "..."}], "corpus": [...],
              "ignore": ["..."]}
    answer   200 {"pairs": [{"a": "12", "b": "40", "a_percent": 61.5, "b_percent": 20.0,
                             "passages": [{"a": [start, end], "b": [start, end]}]}],
                  "too_short": ["17"]}

`a` is always one of `documents`; `a_percent` is the share of A's text found in B. Offsets are character
offsets into the texts sent. With STUDENTFLOW_SIMILARITY_SERVICE_TOKEN set (in the environment, never the
database), the request carries "Authorization: Bearer <token>". An answer that is late (TIMEOUT_SECONDS),
not 200, not JSON or not of that shape raises ProviderError, whose message the results page shows; nothing
is written then.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from modules.assignments import similarity
from modules.assignments.models import HomeworkPolicy
from modules.assignments.similarity import Comparison, Pair, Passage

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 60
MAX_ANSWER_BYTES = 20 * 1024 * 1024
LOOPBACK = {"localhost", "127.0.0.1", "::1"}


class ProviderError(Exception):
    """The comparison could not be made; `message` says why, for the teacher's page."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class SimilarityProvider(Protocol):
    name: str

    def compare(
        self,
        *,
        documents: Mapping[str, str],
        corpus: Mapping[str, str],
        ignore: list[str],
        progress: Callable[[int, int], None] | None = None,
    ) -> Comparison: ...


class LocalProvider:
    name = "local"

    def compare(self, *, documents, corpus, ignore, progress=None) -> Comparison:
        return similarity.compare(documents, corpus, ignore=ignore, progress=progress)


class HttpProvider:
    name = "http"

    def __init__(self, url: str, *, timeout: float = TIMEOUT_SECONDS):
        self.url = url
        self.timeout = timeout

    def _late(self, host: str) -> str:
        seconds = max(round(self.timeout), 1)
        return ngettext(
            "The similarity service (%(host)s) did not answer within %(seconds)s second.",
            "The similarity service (%(host)s) did not answer within %(seconds)s seconds.",
            seconds,
        ) % {"host": host, "seconds": seconds}

    def compare(self, *, documents, corpus, ignore, progress=None) -> Comparison:
        parts = urlsplit(self.url)
        # HTTPS only: hand-ins are children's work. Plain HTTP only to this machine (a service beside it).
        if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOOPBACK):
            raise ProviderError(_("The similarity service's address must start with https://."))
        body = json.dumps(
            {
                "version": 1,
                "documents": [{"id": key, "text": text} for key, text in documents.items()],
                "corpus": [{"id": key, "text": text} for key, text in corpus.items()],
                "ignore": list(ignore),
            }
        ).encode("utf-8")
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if settings.STUDENTFLOW_SIMILARITY_SERVICE_TOKEN:
            headers["Authorization"] = f"Bearer {settings.STUDENTFLOW_SIMILARITY_SERVICE_TOKEN}"
        request = urllib.request.Request(self.url, data=body, method="POST", headers=headers)
        host = parts.hostname or self.url
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read(MAX_ANSWER_BYTES + 1)
        except urllib.error.HTTPError as error:
            raise ProviderError(
                _("The similarity service (%(host)s) refused the check: HTTP %(status)s.")
                % {"host": host, "status": error.code}
            ) from None
        except TimeoutError:
            raise ProviderError(self._late(host)) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            if isinstance(reason, TimeoutError):
                raise ProviderError(self._late(host)) from None
            raise ProviderError(
                _("The similarity service (%(host)s) could not be reached: %(reason)s.")
                % {"host": host, "reason": reason}
            ) from None
        if len(raw) > MAX_ANSWER_BYTES:
            raise ProviderError(_("The similarity service's answer was too large."))
        comparison = _read_answer(raw, documents, corpus)
        if progress is not None:
            progress(len(documents), len(documents))
        return comparison


def _bad_answer(detail: str) -> ProviderError:
    logger.warning("Similarity service answer refused: %s", detail)
    return ProviderError(
        _("The similarity service's answer could not be understood (%(detail)s).") % {"detail": detail}
    )


def _percent(value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise _bad_answer("a percentage outside 0–100")
    return round(float(value), 2)


def _range(value, length: int) -> tuple[int, int]:
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        or not 0 <= value[0] < value[1] <= length
    ):
        raise _bad_answer("a passage outside its text")
    return value[0], value[1]


def _read_answer(raw: bytes, documents: Mapping[str, str], corpus: Mapping[str, str]) -> Comparison:
    try:
        answer = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise _bad_answer("not JSON") from None
    if not isinstance(answer, dict) or not isinstance(answer.get("pairs"), list):
        raise _bad_answer("no list of pairs")
    texts = {**corpus, **documents}
    pairs: list[Pair] = []
    for item in answer["pairs"]:
        if not isinstance(item, dict):
            raise _bad_answer("a pair that is not an object")
        a, b = str(item.get("a")), str(item.get("b"))
        if a not in documents or b not in texts or a == b:
            raise _bad_answer("a pair naming a document that was not sent")
        found = []
        for passage in item.get("passages") or []:
            if not isinstance(passage, dict):
                raise _bad_answer("a passage that is not an object")
            a_start, a_end = _range(passage.get("a"), len(texts[a]))
            b_start, b_end = _range(passage.get("b"), len(texts[b]))
            words = len(similarity.WORD.findall(texts[a][a_start:a_end]))
            found.append(Passage(a_start, a_end, b_start, b_end, words))
        pairs.append(
            Pair(
                a=a,
                b=b,
                a_percent=_percent(item.get("a_percent")),
                b_percent=_percent(item.get("b_percent")),
                shared=0,
                passages=tuple(sorted(found, key=lambda p: p.a_start)),
            )
        )
    too_short = answer.get("too_short") or []
    if not isinstance(too_short, list):
        raise _bad_answer("too_short is not a list")
    return Comparison(pairs=pairs, too_short={str(key) for key in too_short if str(key) in documents})


def provider_for(policy: HomeworkPolicy) -> SimilarityProvider:
    """The school's choice: its external service when the policy names one, else the portal's engine."""
    if policy.similarity_service_url:
        return HttpProvider(policy.similarity_service_url, timeout=TIMEOUT_SECONDS)
    return LocalProvider()


# Two made-up texts sharing a sentence: what the office's "Test the service" sends (no pupil's work).
SAMPLE_TEXTS = {
    "sample-1": (
        "The water cycle moves water between the oceans, the air and the land. The sun warms the sea, and "
        "water rises into the air as vapour, where it cools and forms clouds of tiny droplets over the hills."
    ),
    "sample-2": (
        "Rain falls on the mountains and runs back to the sea through rivers. The sun warms the sea, and "
        "water rises into the air as vapour, where it cools and forms clouds of tiny droplets over the hills."
    ),
}
TEST_TIMEOUT_SECONDS = 10


def service_test(*, url: str) -> Comparison:
    """Send the external service at `url` a small check of SAMPLE_TEXTS (within TEST_TIMEOUT_SECONDS, as it
    runs while the office waits). Raises ProviderError as a real check would."""
    return HttpProvider(url, timeout=TEST_TIMEOUT_SECONDS).compare(
        documents=SAMPLE_TEXTS, corpus={}, ignore=[]
    )
