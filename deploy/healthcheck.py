"""The image's HEALTHCHECK. `web`: GET /health/ from this container's gunicorn, as nginx would send it (one
of ALLOWED_HOSTS as the host, X-Forwarded-Proto https so that the HTTPS redirect does not answer instead).
`worker`: the queue consumer ran its heartbeat task recently (what /health/'s worker check reads).

Exit 0 healthy, 1 not (Docker's convention); the reason is printed for `docker inspect`."""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def allowed_host() -> str:
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    host = hosts[0] if hosts else "localhost"
    # ".school.example" allows school.example and its subdomains; "*" allows anything.
    return "localhost" if host == "*" else host.lstrip(".")


def check_web() -> str | None:
    port = os.environ.get("PORT", "8000")
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/health/",
        headers={"Host": allowed_host(), "X-Forwarded-Proto": "https", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=8) as response:
            return None if response.status == 200 else f"/health/ answered {response.status}"
    except urllib.error.HTTPError as error:
        return f"/health/ answered {error.code}: {error.read(500).decode('utf-8', 'replace')}"
    except OSError as error:
        return f"/health/ did not answer: {error}"


def check_worker() -> str | None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.production")
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import django

    django.setup()
    from django.conf import settings

    from modules.core.health import worker_heartbeat_age

    age = worker_heartbeat_age()
    if age is None:
        return "no worker has run its heartbeat yet"
    if age > settings.STUDENTFLOW_WORKER_HEARTBEAT_MAX_AGE:
        return f"the last heartbeat is {int(age)} s old"
    return None


def main(argv: list[str]) -> int:
    what = argv[1] if len(argv) > 1 else "web"
    if what not in {"web", "worker"}:
        print(f"usage: {argv[0]} web|worker", file=sys.stderr)
        return 2
    problem = check_web() if what == "web" else check_worker()
    if problem:
        print(problem)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
