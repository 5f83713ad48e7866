"""`python -m bench.load`: a load test of the portal served by gunicorn, as a school's morning looks.

Uses the benchmark database (portal.settings.bench: var/bench.sqlite3, or DATABASE_URL) with the large demo
school, starts gunicorn on a free loopback port with production-like settings (DEBUG off, cached
templates), signs in the demo parent and the bench register's teacher, and then keeps `--connections`
HTTP/1.1 keep-alive connections busy for `--seconds`, each alternating between the guardian's home page and
the 40-student register page. Every answer must be a 200 carrying the page's own content: anything else (a
redirect to the login, a 5xx, a reset connection, a time-out) counts as an error.

Writes bench/load-results.json and bench/load-results.md (p50/p95/p99 latency and requests per second,
per page and overall) and exits 1 when any request failed. The client is asyncio on raw sockets, so one
Python process can drive 32 connections without being the bottleneck it would be with threads.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.runner import BENCH_DIR, SETTINGS_MODULE, percentile, prepare_database

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


def _session_cookie(email: str) -> str:
    from django.conf import settings
    from django.test import Client

    from modules.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(email=email), backend="modules.accounts.backends.PortalBackend")
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def prepare_targets() -> list[Target]:
    from django.urls import reverse

    from bench.measures.attendance_register import BENCH_TEACHER_EMAIL, bench_register
    from modules.accounts import demo

    register = bench_register()
    return [
        Target("guardian home", "/", _session_cookie(demo.PARENT_EMAIL), b'id="main"'),
        Target(
            "register page, 40 students",
            reverse("attendance:register_detail", args=[register.pk]),
            _session_cookie(BENCH_TEACHER_EMAIL),
            b"Pupil01",
        ),
    ]


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


def start_gunicorn(port: int, workers: int, threads: int) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE}
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "portal.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--keep-alive",
        "5",
        "--timeout",
        "60",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, env=env, start_new_session=True)
    _wait_until_up(port, process)
    return process


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--out", type=Path, default=BENCH_DIR)
    parser.add_argument(
        "--skip-unreachable", action="store_true", help="exit 0 when PostgreSQL does not answer"
    )
    args = parser.parse_args(argv)
    if not ensure_database(args.skip_unreachable):
        return 0

    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    import django

    django.setup()
    from django.db import connection

    prepare_database(sys.stdout)
    targets = prepare_targets()
    database = connection.vendor
    connection.close()

    port = _free_port()
    process = start_gunicorn(port, args.workers, args.threads)
    try:
        # One request per target first, so that a broken setup fails fast instead of as 60 s of errors.
        asyncio.run(drive(port, targets, len(targets), 0.001))
        for target in targets:
            if target.errors:
                raise SystemExit(f"{target.name}: {target.errors} before the load started.")
            target.latencies_ms.clear()
        print(
            f"Loading {database} through gunicorn ({args.workers} workers × {args.threads} threads): "
            f"{args.connections} connections for {args.seconds:g} s …",
            flush=True,
        )
        wall_s = asyncio.run(drive(port, targets, args.connections, args.seconds))
    finally:
        stop(process)

    rows = summarise(targets, wall_s)
    errors = {t.name: t.errors for t in targets if t.errors}
    env = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "database": database,
        "server": f"gunicorn gthread, {args.workers} workers × {args.threads} threads",
        "load": f"{args.connections} keep-alive connections for {wall_s:.1f} s, pages taken in turn",
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, the client on it too",
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"load-results-{database}"
    (args.out / f"{stem}.json").write_text(
        json.dumps({"environment": env, "results": rows, "errors": errors}, indent=2) + "\n", encoding="utf-8"
    )
    table = markdown(rows)
    (args.out / f"{stem}.md").write_text(
        "\n".join(
            [
                f"# Load test ({database})",
                "",
                "Generated by `make load` (`python -m bench.load`); do not edit by hand.",
                "",
                *(f"- {k}: {v}" for k, v in env.items()),
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
    if errors:
        print(f"!! {sum(sum(e.values()) for e in errors.values())} failed requests: {errors}")
        return 1
    print(f"0 errors. Results written to {args.out / stem}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
