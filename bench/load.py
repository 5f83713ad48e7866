"""`python -m bench.load`: the register page served as production serves it, under load.

Uses the benchmark database (var/bench.sqlite3, or DATABASE_URL) with the large demo school. gunicorn runs the
Procfile's `web` command under portal.settings.production (DEBUG off, cached templates, hashed static files
collected first, persistent database connections, staff MFA on: the teacher's session has passed it), and the
client sends what nginx adds (X-Forwarded-Proto: https). It signs in the bench register's teacher (and, with
`--pages register,home`, the demo parent) and keeps `--connections` HTTP/1.1 keep-alive connections busy for
`--seconds`, each taking the pages in turn. Every answer must be a 200 carrying the page's own content:
anything else (a redirect, a 5xx, a reset connection, a time-out) counts as an error.

The verdict (issue 15): the 40-student register page at 8 connections serves at least 75 requests a second
(1.5 times the 50 of the PHP peer measured on this machine) with 0 errors. Writes
bench/load-results-<database>.json and .md (req/s, p50/p95/p99 per page, errors, the verdict, the machine's
load) and exits 1 when a request failed. The client is asyncio on raw sockets, so one Python process drives
the connections without being the bottleneck threads would be; it shares the machine's cores with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.runner import BENCH_DIR, SETTINGS_MODULE, percentile, prepare_database

ROOT = BENCH_DIR.parent
SERVER_SETTINGS = "portal.settings.production"
REGISTER_PAGE = "register page, 40 students"
# Issue 15: 1.5 times the PHP peer's 50 req/s on this machine, at 8 connections, with 0 errors.
BUDGET_REQ_PER_S = 75.0
BUDGET_CONNECTIONS = 8
REQUEST_TIMEOUT_S = 30
CONNECTION_ERRORS = (
    TimeoutError,
    OSError,
    asyncio.IncompleteReadError,
    asyncio.LimitOverrunError,
    ValueError,
)


@dataclass
class Target:
    name: str
    path: str
    cookie: str
    must_contain: bytes
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _session_cookie(email: str, *, passed_mfa: bool = False) -> str:
    from allauth.account.internal.flows.login import record_authentication
    from django.conf import settings
    from django.test import Client

    from modules.accounts.models import User

    user = User.objects.get(email=email)
    client = Client()
    client.force_login(user, backend="modules.accounts.backends.PortalBackend")
    if passed_mfa:
        # What allauth records when a staff session types its authenticator code: production lets a staff
        # session past StaffMfaRequiredMiddleware only then.
        session = client.session
        request = type("SignIn", (), {"session": session, "user": user})()
        record_authentication(request, user, "mfa", id=0, type="totp")
        session.save()
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def prepare_targets(pages: list[str]) -> list[Target]:
    from django.urls import reverse

    from bench.measures.attendance_register import BENCH_TEACHER_EMAIL, bench_register
    from modules.accounts import demo

    register = bench_register()
    available = {
        "register": lambda: Target(
            REGISTER_PAGE,
            reverse("attendance:register_detail", args=[register.pk]),
            _session_cookie(BENCH_TEACHER_EMAIL, passed_mfa=True),
            b"Pupil01",
        ),
        "home": lambda: Target("guardian home", "/", _session_cookie(demo.PARENT_EMAIL), b'id="main"'),
    }
    unknown = [page for page in pages if page not in available]
    if unknown:
        raise SystemExit(f"Unknown page(s) {unknown}: choose from {sorted(available)}.")
    return [available[page]() for page in pages]


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body and whether the server keeps the connection open (Content-Length or chunked)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            parts.append(await reader.readexactly(size + 2))
            if size == 0:
                break
        body = b"".join(parts)
    else:
        body = await reader.read()
        return status, body, False
    return status, body, headers.get("connection", "").lower() != "close"


async def _connection(port: int, targets: list[Target], offset: int, deadline: float) -> None:
    reader = writer = None
    turn = offset
    while time.monotonic() < deadline:
        target = targets[turn % len(targets)]
        turn += 1
        request = (
            f"GET {target.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {target.cookie}\r\n"
            # What nginx adds in front of gunicorn (deploy/nginx.conf): production redirects plain HTTP.
            "X-Forwarded-Proto: https\r\nX-Forwarded-For: 127.0.0.1\r\n"
            "Accept: text/html\r\nAccept-Language: en\r\nConnection: keep-alive\r\n\r\n"
        ).encode()
        started = time.monotonic()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request)
            await writer.drain()
            status, body, keep_alive = await asyncio.wait_for(_read_response(reader), REQUEST_TIMEOUT_S)
        except CONNECTION_ERRORS as e:
            target.error(type(e).__name__)
            if writer is not None:
                writer.close()
            reader = writer = None
            continue
        elapsed_ms = (time.monotonic() - started) * 1000
        if status != 200:
            target.error(f"HTTP {status}")
        elif target.must_contain not in body:
            target.error("200 without the page's content")
        else:
            target.latencies_ms.append(elapsed_ms)
        if not keep_alive:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def drive(port: int, targets: list[Target], connections: int, seconds: float) -> float:
    started = time.monotonic()
    deadline = started + seconds
    await asyncio.gather(*(_connection(port, targets, n, deadline) for n in range(connections)))
    return time.monotonic() - started


def _wait_until_up(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with code {process.returncode} before answering.")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer on port {port} within {timeout:.0f} s.")


def procfile_command(process: str = "web") -> str:
    """The Procfile's command line for `process`: the load test serves the portal the way deployments do."""
    for line in (ROOT / "Procfile").read_text(encoding="utf-8").splitlines():
        name, _, command = line.partition(":")
        if name.strip() == process:
            return command.strip()
    raise SystemExit(f"The Procfile has no {process!r} process.")


def server_environment(port: int, secret_key: str, work_dir: Path) -> dict[str, str]:
    """Production settings pointed at the benchmark database, with throw-away files of their own."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{database['NAME']}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SERVER_SETTINGS,
        "PORT": str(port),
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": url,
        "STUDENTFLOW_VAR_DIR": str(work_dir / "var"),
        "STATIC_ROOT": str(work_dir / "static"),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
    }


def collect_static(env: dict[str, str]) -> None:
    """Production's static storage needs the manifest collectstatic writes (as a deployment builds it)."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def start_gunicorn(env: dict[str, str], port: int, extra: list[str]) -> tuple[subprocess.Popen, str]:
    """The Procfile's web command (its ${PORT:-8000} and ${WEB_CONCURRENCY:-2} from `env`), plus `extra`."""
    command = procfile_command("web") + "".join(f" {shlex.quote(arg)}" for arg in extra)
    process = subprocess.Popen(
        ["/bin/sh", "-c", f"exec {command}"],
        cwd=ROOT,
        env={**env, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"},
        stdout=subprocess.DEVNULL,  # the access log (one line a request), as a deployment writes it
        start_new_session=True,
    )
    _wait_until_up(port, process)
    return process, command


def server_cpu_seconds(master_pid: int) -> float | None:
    """CPU time (user + system) used so far by gunicorn's master and its workers; None off Linux.

    The machine is shared (the client, other work): requests a second move with its load, CPU time per
    request much less, so the report gives both."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # a process that ended meanwhile
        pid, ppid = int(stat.parent.name), int(fields[1])
        if master_pid in (pid, ppid):
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def summarise(targets: list[Target], wall_s: float) -> list[dict]:
    rows = []
    everything = [ms for t in targets for ms in t.latencies_ms]
    for name, samples, errors in [
        *((t.name, t.latencies_ms, sum(t.errors.values())) for t in targets),
        ("all", everything, sum(sum(t.errors.values()) for t in targets)),
    ]:
        rows.append(
            {
                "page": name,
                "requests": len(samples) + errors,
                "errors": errors,
                "req_per_s": round((len(samples) + errors) / wall_s, 1),
                "p50_ms": round(percentile(samples, 0.50), 1) if samples else None,
                "p95_ms": round(percentile(samples, 0.95), 1) if samples else None,
                "p99_ms": round(percentile(samples, 0.99), 1) if samples else None,
            }
        )
    return rows


def markdown(rows: list[dict]) -> str:
    lines = [
        "| page | requests | errors | req/s | p50 ms | p95 ms | p99 ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['page']} | {r['requests']:,} | {r['errors']} | {r['req_per_s']:,} | {r['p50_ms']} | "
            f"{r['p95_ms']} | {r['p99_ms']} |"
        )
    return "\n".join(lines)


def ensure_database(skip_unreachable: bool) -> bool:
    """PostgreSQL: create the benchmark database when the server answers and it is missing. False: skip."""
    import dj_database_url

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return True
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(url)
    try:
        server = psycopg.connect(
            dbname="postgres",
            host=config["HOST"] or None,
            port=config["PORT"] or None,
            user=config["USER"] or None,
            password=config["PASSWORD"] or None,
            autocommit=True,
            connect_timeout=3,
        )
    except psycopg.OperationalError as error:
        if skip_unreachable:
            print(f"No PostgreSQL server answers for {url}: the PostgreSQL run is skipped ({error}).")
            return False
        raise
    with server:
        if not server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone():
            server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
    return True


def verdict(rows: list[dict], connections: int, pages: list[str]) -> tuple[bool | None, str]:
    """Whether the run meets issue 15's budget; None when the run is not the one the budget is about."""
    if pages != ["register"] or connections != BUDGET_CONNECTIONS:
        return None, (
            f"no verdict: the budget is for the register page alone at {BUDGET_CONNECTIONS} connections "
            "(`--pages register --connections 8`, the defaults)"
        )
    row = next(r for r in rows if r["page"] == REGISTER_PAGE)
    passed = row["errors"] == 0 and row["req_per_s"] >= BUDGET_REQ_PER_S
    return passed, (
        f"{'PASS' if passed else 'FAIL'}: {row['req_per_s']:,} req/s (budget ≥ {BUDGET_REQ_PER_S:g}, "
        f"1.5 × the PHP peer's 50), {row['errors']} errors (budget 0), p95 {row['p95_ms']} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=BUDGET_CONNECTIONS)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument(
        "--pages", default="register", help="comma-separated, taken in turn: register, home (the guardian's)"
    )
    parser.add_argument(
        "--gunicorn",
        default="",
        help="extra gunicorn options after the Procfile's (e.g. '--workers 4'); "
        "WEB_CONCURRENCY sets the workers as in production",
    )
    parser.add_argument("--out", type=Path, default=BENCH_DIR)
    parser.add_argument(
        "--skip-unreachable", action="store_true", help="exit 0 when PostgreSQL does not answer"
    )
    args = parser.parse_args(argv)
    pages = [page.strip() for page in args.pages.split(",") if page.strip()]
    if not ensure_database(args.skip_unreachable):
        return 0

    # The same secret in this process (which writes the sessions) and in gunicorn (which reads them).
    secret_key = os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50)
    os.environ["SECRET_KEY"] = secret_key
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    import django

    django.setup()
    from django.db import connection

    prepare_database(sys.stdout)
    targets = prepare_targets(pages)
    database = connection.vendor
    connection.close()

    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="studentflow-load-") as work_dir:
        env = server_environment(port, secret_key, Path(work_dir))
        collect_static(env)
        process, command = start_gunicorn(env, port, shlex.split(args.gunicorn))
        try:
            # One request per target first, so that a broken setup fails fast instead of as a run of errors.
            asyncio.run(drive(port, targets, len(targets), 0.001))
            for target in targets:
                if target.errors:
                    raise SystemExit(f"{target.name}: {target.errors} before the load started.")
                target.latencies_ms.clear()
            print(
                f"Loading {database} through `{command}` ({SERVER_SETTINGS}): "
                f"{args.connections} connections for {args.seconds:g} s …",
                flush=True,
            )
            load_before = os.getloadavg()[0]
            server_before, client_before = server_cpu_seconds(process.pid), time.process_time()
            wall_s = asyncio.run(drive(port, targets, args.connections, args.seconds))
            server_after, client_after = server_cpu_seconds(process.pid), time.process_time()
            load_after = os.getloadavg()[0]
        finally:
            stop(process)

    rows = summarise(targets, wall_s)
    errors = {t.name: t.errors for t in targets if t.errors}
    passed, verdict_line = verdict(rows, args.connections, pages)
    served = rows[-1]["requests"]
    cpu = "not measured (no /proc)"
    if server_before is not None and server_after is not None and served:
        server_ms = (server_after - server_before) * 1000 / served
        client_ms = (client_after - client_before) * 1000 / served
        capacity = (os.cpu_count() or 1) * 1000 / (server_ms + client_ms)
        cpu = (
            f"{server_ms:.1f} ms of gunicorn's CPU (the database server's not counted) and "
            f"{client_ms:.1f} ms of the client's per request: "
            f"{capacity:,.0f} req/s if they had the machine's {os.cpu_count()} CPUs to themselves"
        )
    env_summary = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "database": database,
        "server": f"`{command}`, {SERVER_SETTINGS}",
        "load": f"{args.connections} keep-alive connections for {wall_s:.1f} s, pages taken in turn",
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, the client on it too; "
        f"load average {load_before:.2f} before, {load_after:.2f} after (other work inflates timings)",
        "CPU": cpu,
        "verdict": verdict_line,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"load-results-{database}"
    (args.out / f"{stem}.json").write_text(
        json.dumps(
            {"environment": env_summary, "results": rows, "errors": errors, "passed": passed}, indent=2
        )
        + "\n",
        encoding="utf-8",
    )
    table = markdown(rows)
    (args.out / f"{stem}.md").write_text(
        "\n".join(
            [
                f"# Load test ({database})",
                "",
                "Generated by `make load` (`python -m bench.load`); do not edit by hand.",
                "",
                *(f"- {k}: {v}" for k, v in env_summary.items()),
                "",
                table,
                "",
                *(f"- errors on {name}: {what}" for name, what in errors.items()),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    print(table)
    print(f"CPU: {cpu}")
    print(verdict_line)
    if errors:
        print(f"!! {sum(sum(e.values()) for e in errors.values())} failed requests: {errors}")
        return 1
    print(f"0 errors. Results written to {args.out / stem}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
