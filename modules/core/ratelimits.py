"""Per-user rate limits on the writes that reach other people (messages, announcements, absence notes,
invitations) and on bulk exports of student data: one person, or one stolen session, cannot flood families'
inboxes or the mail queue, nor walk away with the school's records in a loop.

Rates live in settings.STUDENTFLOW_RATE_LIMITS, one entry per action, in allauth's syntax without the
scope: "5/m" (five a minute), "30/h", "100/d", several separated by commas ("5/m,30/h"); "" switches an
action's limit off. Counting uses the cache with fixed windows (one counter per user, action and window,
created with `add` and bumped with `incr`, both atomic on Redis), so it holds across gunicorn workers and
nodes as soon as the cache is shared. A refused use is not counted: someone who keeps pressing the button
does not push their own next window further away.

Views call `rate_limit_hit` once the submission is valid, just before the service writes: the refusal
is shown in the form (for HTMX, in the swapped fragment) and nothing is written. Requests without a form
(downloads, see modules.core.exports) answer with `rate_limit_response`, a page saying how long to wait.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
TEMPLATE = "core/rate_limited.html"


@dataclass(frozen=True)
class Rate:
    amount: int
    seconds: int


@dataclass(frozen=True)
class RateLimitHit:
    """A refused use: which action, and how many seconds until the window that refused it ends."""

    action: str
    retry_after: int

    @property
    def message(self) -> str:
        return _(
            "You have done this too many times in a short while. Please wait %(wait)s and try again; "
            "nothing was sent or saved this time."
        ) % {"wait": _wait(self.retry_after)}


def parse_rates(text: str) -> list[Rate]:
    """ "5/m,30/h" -> [Rate(5, 60), Rate(30, 3600)]. A number before the unit multiplies it ("10/5m")."""
    rates = []
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        amount, _slash, period = part.partition("/")
        unit, count = period[-1:], period[:-1] or "1"
        if unit not in UNITS or not amount.isdigit() or not count.isdigit():
            raise ImproperlyConfigured(f"STUDENTFLOW_RATE_LIMITS: cannot read the rate {part!r}")
        rates.append(Rate(int(amount), int(count) * UNITS[unit]))
    return rates


def client_ip(request) -> str:
    """The visitor's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT reverse proxies the address the
    outermost of them saw, read from the right of X-Forwarded-For (what lies further left the client wrote
    itself, and is never believed), as allauth reads it for the sign-in throttle
    (ALLAUTH_TRUSTED_PROXY_COUNT). A request whose header is shorter than the proxy chain did not come
    through it: its REMOTE_ADDR stands."""
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if count > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        if len(hops) >= count and hops[-count]:
            return hops[-count]
    return request.META.get("REMOTE_ADDR", "")


def rate_limit_hit(
    request, *, action: str, rate: str | None = None, who: str | None = None
) -> RateLimitHit | None:
    """Count one use of `action` by the signed-in user (by address for anyone else; by `who` when given: an
    API token, an address). Returns None when it is allowed, or the refusal (not counted) when one of the
    action's windows is used up.

    `rate` overrides the configured one (for a caller with a reason to differ); otherwise the action must
    be listed in STUDENTFLOW_RATE_LIMITS, so that a misspelt action fails loudly instead of never
    limiting anything."""
    if rate is None:
        limits = settings.STUDENTFLOW_RATE_LIMITS
        if action not in limits:
            raise ImproperlyConfigured(f"STUDENTFLOW_RATE_LIMITS has no rate for {action!r}")
        rate = limits[action]
    user = getattr(request, "user", None)
    if who is None:
        who = f"u{user.pk}" if user is not None and user.is_authenticated else f"ip{client_ip(request)}"
    now = time.time()
    counted: list[str] = []
    for limit in parse_rates(rate):
        window = int(now // limit.seconds)
        key = f"studentflow:rl:{action}:{who}:{limit.seconds}:{window}"
        # A little longer than the window, so that the counter outlives a clock skew between nodes.
        cache.add(key, 0, timeout=limit.seconds + 60)
        try:
            used = cache.incr(key)
        except ValueError:
            # Evicted between add and incr (a full cache): count from here.
            cache.set(key, 1, timeout=limit.seconds + 60)
            used = 1
        counted.append(key)
        if used > limit.amount:
            for done in counted:
                with contextlib.suppress(ValueError):
                    cache.decr(done)
            retry_after = max(1, math.ceil((window + 1) * limit.seconds - now))
            return RateLimitHit(action=action, retry_after=retry_after)
    return None


def rate_limit_response(request, hit: RateLimitHit):
    """The page for a refused request that has no form to show the message in: 429, with Retry-After."""
    response = render(request, TEMPLATE, {"message": hit.message}, status=429)
    response.headers["Retry-After"] = str(hit.retry_after)
    return response


def _wait(seconds: int) -> str:
    if seconds < 60:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    if seconds < 3600:
        minutes = math.ceil(seconds / 60)
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    hours = math.ceil(seconds / 3600)
    return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
