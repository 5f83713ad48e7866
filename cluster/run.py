"""`python -m cluster.run` (`make cluster`): the portal as a cluster on this machine, and a morning on it.

Topology (docs/cluster.md): a bridge in the root network namespace; two web nodes (gunicorn, production
settings) and two queue workers (run_huey), each in its own network namespace joined to the bridge by a veth
pair, so every request and every query crosses an interface. The machine's PostgreSQL and Redis keep
listening on 127.0.0.1: a forwarder (cluster/forward.py) bound to the bridge address carries the nodes'
connections to them, and an SMTP sink there takes the mail the queue sends. nginx (TLS) balances the nodes.
Sessions, cache, locks, rate limits and the Huey queue are in the one Redis; uploads and PDFs in one media
directory every node sees.

Then: the demo school is seeded (once; `--school large` by default), people are signed in, and locust
drives a morning (cluster/locustfile.py) through the one-node entrance and then the two-node one, each with
a report-card batch on the queue; during the two-node run the worker holding the batch is SIGKILLed, and
the batch must still finish with every card. Results: cluster/results.md and results.json. Exit 1 when a
request failed, a card is missing, or the register page's p95 is over its budget.

Everything started is stopped, and the namespaces and the bridge removed, on the way out (also on an error
or a signal); `python -m cluster.run --teardown` does it for a run that was itself killed.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import unicodedata
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
REGISTER_P95_BUDGET_MS = 150
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/studentflow_cluster"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"
PAGES = [
    "register page",
    "register save",
    "register live mark",
    "guardian fees",
    "guardian grades",
    "bell poll",
]


class ClusterError(Exception):
    pass


STARTED = time.monotonic()


def say(text: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f} s] {text}", flush=True)


def netns_refusal() -> str:
    """Why this machine cannot run the cluster ('' when it can): root, `ip netns` and nginx are needed."""
    if os.geteuid() != 0:
        return "the cluster creates network namespaces and veth pairs, which needs root"
    if not shutil.which("ip"):
        return "`ip` (iproute2) is not installed"
    if not shutil.which("nginx"):
        return "nginx is not installed (make system-deps)"
    probe = f"sfprobe{os.getpid()}"
    added = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if added.returncode != 0:
        reason = added.stderr.strip()
        return f"`ip netns add` is not permitted here ({reason}), e.g. in an unprivileged container"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return ""


@dataclass
class Topology:
    prefix: str
    subnet: str  # the first three octets, e.g. "10.231.0"
    state: Path
    one_port: int = 8441
    two_port: int = 8443
    smtp_port: int = 2525

    @property
    def bridge_name(self) -> str:
        return f"{self.prefix}br0"

    @property
    def bridge(self) -> str:
        return f"{self.subnet}.1"

    @property
    def nodes(self) -> dict[str, str]:
        """Namespace → address: two web nodes, two workers."""
        return {
            f"{self.prefix}-web1": f"{self.subnet}.11",
            f"{self.prefix}-web2": f"{self.subnet}.12",
            f"{self.prefix}-work1": f"{self.subnet}.21",
            f"{self.prefix}-work2": f"{self.subnet}.22",
        }


def sh(*command: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise ClusterError(f"{' '.join(command)}: {done.stderr.strip() or done.stdout.strip()}")
    return done


# --- the network --------------------------------------------------------------------------------------------


def network_up(topology: Topology) -> None:
    bridge = topology.bridge_name
    sh("ip", "link", "add", bridge, "type", "bridge")
    sh("ip", "addr", "add", f"{topology.bridge}/24", "dev", bridge)
    sh("ip", "link", "set", bridge, "up")
    for index, (namespace, address) in enumerate(topology.nodes.items()):
        host_side = f"{topology.prefix}v{index}h"
        sh("ip", "netns", "add", namespace)
        sh("ip", "link", "add", host_side, "type", "veth", "peer", "name", "eth0", "netns", namespace)
        sh("ip", "link", "set", host_side, "master", bridge)
        sh("ip", "link", "set", host_side, "up")
        sh("ip", "netns", "exec", namespace, "ip", "link", "set", "lo", "up")
        sh("ip", "netns", "exec", namespace, "ip", "addr", "add", f"{address}/24", "dev", "eth0")
        sh("ip", "netns", "exec", namespace, "ip", "link", "set", "eth0", "up")


def our_namespaces(prefix: str) -> list[str]:
    listed = sh("ip", "netns", "list", check=False).stdout.split("\n")
    return [line.split()[0] for line in listed if line.startswith(f"{prefix}-")]


def _kill_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie left by a parent that is itself gone counts as dead.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _start_time(pid: int) -> str:
    """The process's start time (clock ticks since boot, /proc/PID/stat), '' when it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def teardown(prefix: str, state: Path) -> list[str]:
    """Stop every process of the run and remove its namespaces, veths and bridge. Idempotent. Returns
    what it removed (for the log)."""
    removed: list[str] = []
    inside = [
        int(pid)
        for namespace in our_namespaces(prefix)
        for pid in sh("ip", "netns", "pids", namespace, check=False).stdout.split()
    ]
    pid_file = state / "pids"
    # Only processes that are still the ones started (same start time): a pid left in the file by a run
    # that was itself killed may belong to someone else's process by now.
    lines = pid_file.read_text().splitlines() if pid_file.exists() else []
    started = [int(pid) for pid, since in (line.split() for line in lines) if _start_time(int(pid)) == since]
    # The nodes first, then what serves them (nginx, the forwarder), so that no node logs a lost database.
    outside = [pid for pid in started if pid not in inside]
    pids = inside + outside
    for group in (inside, outside):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in group:
                _kill_group(pid, sig)
            deadline = time.monotonic() + 10
            while any(_alive(p) for p in group) and time.monotonic() < deadline:
                time.sleep(0.2)
    removed += [f"process {pid}" for pid in pids]
    for namespace in our_namespaces(prefix):
        sh("ip", "netns", "del", namespace, check=False)
        removed.append(f"namespace {namespace}")
    if sh("ip", "link", "show", f"{prefix}br0", check=False).returncode == 0:
        sh("ip", "link", "del", f"{prefix}br0", check=False)
        removed.append(f"bridge {prefix}br0")
    pid_file.unlink(missing_ok=True)
    return removed


# --- processes ----------------------------------------------------------------------------------------------


@dataclass
class Processes:
    state: Path
    started: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, name: str, command: list[str], env: dict[str, str], namespace: str | None = None):
        if namespace:
            command = ["ip", "netns", "exec", namespace, *command]
        log = open(self.state / "logs" / f"{name}.log", "ab")  # noqa: SIM115 (kept open for the process)
        process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.started[name] = process
        with open(self.state / "pids", "a", encoding="utf-8") as pids:
            pids.write(f"{process.pid} {_start_time(process.pid)}\n")
        return process

    def check(self) -> None:
        for name, process in self.started.items():
            if process.poll() is not None and not name.startswith("killed:"):
                tail = (self.state / "logs" / f"{name}.log").read_text(errors="replace")[-2000:]
                raise ClusterError(f"{name} exited with code {process.returncode}:\n{tail}")


def wait_for_port(host: str, port: int, processes: Processes, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        processes.check()
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise ClusterError(f"nothing answered on {host}:{port} within {timeout:.0f} s")


def make_certificate(state: Path, host: str) -> None:
    (state / "tls").mkdir(parents=True, exist_ok=True)
    sh(
        "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", f"/CN={host}", "-addext", f"subjectAltName=IP:{host}",
        "-keyout", str(state / "tls" / "key.pem"), "-out", str(state / "tls" / "cert.pem"),
    )  # fmt: skip


def nginx_config(topology: Topology, static_root: Path) -> Path:
    addresses = list(topology.nodes.values())
    text = (ROOT / "cluster" / "nginx.conf").read_text(encoding="utf-8")
    for key, value in {
        "STATE": str(topology.state),
        "STATIC_ROOT": str(static_root),
        "BRIDGE": topology.bridge,
        "WEB1": addresses[0],
        "WEB2": addresses[1],
        "ONE_PORT": str(topology.one_port),
        "TWO_PORT": str(topology.two_port),
    }.items():
        text = text.replace(f"@@{key}@@", value)
    for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (topology.state / "nginx" / temp).mkdir(parents=True, exist_ok=True)
    path = topology.state / "nginx.conf"
    path.write_text(text, encoding="utf-8")
    sh("nginx", "-t", "-q", "-c", str(path))
    return path


def node_env(base: dict[str, str], database_url: str, redis_url: str, topology: Topology) -> dict[str, str]:
    """The environment of a node: the same as the orchestrator's, but PostgreSQL and Redis reached through
    the forwarder on the bridge address, across the veth."""
    bridge = topology.bridge
    return {
        **base,
        "DATABASE_URL": database_url.replace("127.0.0.1", bridge).replace("localhost", bridge),
        "REDIS_URL": redis_url.replace("127.0.0.1", bridge).replace("localhost", bridge),
        "EMAIL_HOST": bridge,
    }


# --- the school ---------------------------------------------------------------------------------------------


def ensure_database(database_url: str) -> None:
    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(database_url)
    with psycopg.connect(
        dbname="postgres",
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        autocommit=True,
        connect_timeout=5,
    ) as server:
        if not server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone():
            server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))


def seed(size: str, env: dict[str, str]) -> None:
    """Migrate, and load the demo school unless it is there. seed_demo refuses production settings, so it
    runs under the development ones (DEBUG off, its queue inline, no Redis) with the cluster's database and
    shared media."""
    from django.core.management import call_command

    from modules.accounts.demo import demo_school_exists

    call_command("migrate", interactive=False, verbosity=0)
    if demo_school_exists():
        return
    seed_env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "portal.settings.development",
        "DEBUG": "false",
        "REDIS_URL": "",
        "HUEY_IMMEDIATE": "true",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    done = subprocess.run([PYTHON, "manage.py", "seed_demo", "--size", size], env=seed_env, cwd=ROOT)
    if done.returncode != 0:
        raise ClusterError("manage.py seed_demo failed")


def static_sources_digest() -> str:
    """What the collected static files are made from (every source file's path, size and time)."""
    import hashlib

    from django.contrib.staticfiles.finders import get_finders

    digest = hashlib.sha256()
    for finder in get_finders():
        for path, storage in sorted(finder.list(["CVS", ".*", "*~"]), key=lambda item: item[0]):
            stat = os.stat(storage.path(path))
            digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def collect_static_start(env: dict[str, str]) -> tuple[subprocess.Popen | None, str]:
    """collectstatic (hashed and compressed names, as production serves them) in the background while the
    school is seeded, or nothing when no source file changed since the last run: compressing every file
    takes half a minute here."""
    from django.conf import settings

    digest = static_sources_digest()
    stamp = Path(settings.STATIC_ROOT) / ".cluster-sources"
    if stamp.exists() and stamp.read_text() == digest:
        return None, digest
    say("Collecting the static files (in the background) …")
    command = [PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"]
    return subprocess.Popen(command, env=env, cwd=ROOT), digest


def collect_static_finish(process: subprocess.Popen | None, digest: str) -> None:
    from django.conf import settings

    if process is None:
        return
    if process.wait() != 0:
        raise ClusterError("manage.py collectstatic failed")
    (Path(settings.STATIC_ROOT) / ".cluster-sources").write_text(digest)


def _cookie(user) -> dict[str, str]:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user, backend="modules.accounts.backends.PortalBackend")
    return {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value}


def make_plan(teachers: int, guardians: int) -> dict:
    """Signed-in teachers (one section's register each, today's) and guardians (with their children)."""
    from django.utils import timezone

    from modules.academics.models import Section
    from modules.academics.selectors import current_year
    from modules.attendance.models import Register, RegisterMode
    from modules.people.models import Guardian

    sections = (
        Section.objects.filter(year=current_year(), homeroom_teacher__user__isnull=False)
        .exclude(enrollments=None)
        .select_related("homeroom_teacher__user")
        .order_by("pk")
        .distinct()[:teachers]
    )
    plan: dict = {"teachers": [], "guardians": []}
    for section in sections:
        register, _created = Register.objects.get_or_create(
            kind=RegisterMode.DAILY, section=section, date=timezone.localdate()
        )
        plan["teachers"].append({"cookie": _cookie(section.homeroom_teacher.user), "register": register.pk})
    for guardian in (
        Guardian.objects.filter(user__isnull=False, student_links__isnull=False)
        .select_related("user")
        .distinct()
        .order_by("pk")[:guardians]
    ):
        children = sorted({link.student_id for link in guardian.student_links.all()})
        plan["guardians"].append({"cookie": _cookie(guardian.user), "children": children})
    if not plan["teachers"] or not plan["guardians"]:
        raise ClusterError("the demo school has no homeroom teachers or guardians with a login")
    return plan


def batch_sections(phase: int, count: int) -> list:
    """`count` sections of the current year for the phase's batch (other sections for each phase, so that
    no batch finds a file made earlier for the same choice)."""
    from modules.academics.models import Section
    from modules.academics.selectors import current_year

    sections = list(Section.objects.filter(year=current_year()).exclude(enrollments=None).order_by("-pk"))
    return sections[phase * count : (phase + 1) * count]


def batch_start(sections: list):
    from django.conf import settings

    from modules.academics.models import Term
    from modules.accounts.demo import ADMIN_EMAIL
    from modules.accounts.models import User
    from modules.core.models import Job
    from modules.exams.models import Assessment, RenderedCard
    from modules.exams.report_cards import JOB_KIND, RENDERED_DIR, batch_key, report_card_batch_start

    year = sections[0].year
    terms = list(Term.objects.filter(year=year).order_by("start_date"))
    term = next((t for t in terms if Assessment.objects.filter(term=t).exists()), terms[0])
    admin = User.objects.get(email=ADMIN_EMAIL)
    # Printed anew each run: the job of an earlier run for the same choice (its file gone with its media, or
    # unchanged and answered at once) is the cluster database's own and is removed, and so are the cards
    # earlier runs laid out: otherwise the batch only merges (nothing to measure, no worker to kill mid-way).
    key = batch_key(term_id=term.pk, section_ids=sorted(s.pk for s in sections), duplex=False)
    Job.objects.filter(kind=JOB_KIND, payload__key=key).delete()
    RenderedCard.objects.all().delete()
    shutil.rmtree(Path(settings.MEDIA_ROOT) / RENDERED_DIR, ignore_errors=True)
    return report_card_batch_start(term=term, sections=sections, duplex=False, by=admin)


def _normal(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def batch_verdict(job_id, sections: list) -> dict:
    """Whether the batch finished with every card: the job's status and count, and every pupil's name in
    the merged PDF's text (pypdf), the pages counted."""
    from pypdf import PdfReader

    from modules.academics.models import Enrollment, EnrollmentStatus
    from modules.core.models import Job, JobStatus

    job = Job.objects.get(pk=job_id)
    students = list(
        Enrollment.objects.filter(section__in=sections, status=EnrollmentStatus.ACTIVE).values_list(
            "student__first_name", "student__last_name"
        )
    )
    verdict = {
        "job": str(job.pk),
        "status": job.status,
        "message": job.message,
        "attempts": job.attempts,
        "expected_cards": len(students),
        "cards": job.result.get("cards"),
        "pages": None,
        "missing": [],
    }
    if job.status != JobStatus.SUCCEEDED or not job.result_file:
        verdict["ok"] = False
        return verdict
    try:
        with job.result_file.open("rb") as handle:
            reader = PdfReader(handle)
            verdict["pages"] = len(reader.pages)
            text = _normal(" ".join(page.extract_text() or "" for page in reader.pages))
    except FileNotFoundError:
        verdict.update(ok=False, message=f"{job.message} (its file {job.result_file.name} is missing)")
        return verdict
    verdict["missing"] = [
        f"{first} {last}"
        for first, last in students
        if _normal(first) not in text or _normal(last) not in text
    ]
    verdict["ok"] = verdict["cards"] == len(students) and not verdict["missing"] and verdict["pages"] > 0
    return verdict


def job_state(job_id) -> tuple[str, int, int, str]:
    from django.db import connection

    from modules.core.models import Job

    job = Job.objects.get(pk=job_id)
    connection.close()
    return job.status, job.done, job.total, job.worker


# --- the load -----------------------------------------------------------------------------------------------


def run_locust(
    topology: Topology, port: int, users: int, seconds: int, plan_path: Path, name: str, processes: Processes
) -> subprocess.Popen:
    out = topology.state / "locust"
    out.mkdir(exist_ok=True)
    env = {**os.environ, "CLUSTER_PLAN": str(plan_path), "PYTHONWARNINGS": "ignore"}
    command = [
        PYTHON, "-m", "locust", "-f", str(ROOT / "cluster" / "locustfile.py"), "--headless",
        "--users", str(users), "--spawn-rate", str(max(users // 2, 1)), "--run-time", f"{seconds}s",
        "--host", f"https://{topology.bridge}:{port}", "--csv", str(out / name), "--only-summary",
        "--loglevel", "WARNING", "--stop-timeout", "10",
    ]  # fmt: skip
    return processes.start(f"locust-{name}", command, env)


def read_stats(topology: Topology, name: str, seconds: float) -> dict:
    rows = {}
    with open(topology.state / "locust" / f"{name}_stats.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            label = row["Name"] if row["Name"] != "Aggregated" else "all"
            requests = int(row["Request Count"])
            rows[label] = {
                "requests": requests,
                "errors": int(row["Failure Count"]),
                "req_per_s": round(requests / seconds, 1),
                "p50_ms": _ms(row["50%"]),
                "p95_ms": _ms(row["95%"]),
                "p99_ms": _ms(row["99%"]),
            }
    failures = []
    failures_csv = topology.state / "locust" / f"{name}_failures.csv"
    if failures_csv.exists():
        with open(failures_csv, encoding="utf-8") as handle:
            failures = [
                {"page": row["Name"], "error": row["Error"], "count": int(row["Occurrences"])}
                for row in csv.DictReader(handle)
            ]
    return {"pages": rows, "failures": failures}


def _ms(value: str) -> float | None:
    return None if value in ("", "N/A") else float(value)


def warm_up(topology: Topology, plan: dict) -> None:
    """One page per kind through each entrance, so that a broken setup fails fast and the first measured
    requests do not pay the nodes' first imports."""
    context = ssl.create_default_context(cafile=str(topology.state / "tls" / "cert.pem"))
    teacher, guardian = plan["teachers"][0], plan["guardians"][0]
    pages = [
        (teacher, f"/attendance/registers/{teacher['register']}/"),
        (guardian, "/fees/family/"),
        (guardian, f"/grades/children/{guardian['children'][0]}/"),
    ]
    for port in (topology.one_port, topology.two_port):
        for person, path in pages:
            request = urllib.request.Request(
                f"https://{topology.bridge}:{port}{path}",
                headers={"Cookie": f"{person['cookie']['name']}={person['cookie']['value']}"},
            )
            try:
                with urllib.request.urlopen(request, context=context, timeout=60) as response:
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            if status != 200:
                raise ClusterError(f"warm-up: {path} through port {port} answered {status}")


def batch_worker(job_id) -> tuple[str, int, int, str]:
    """The batch's status, cards done and total, and the worker to kill: one rendering a part of it (a
    child job, when the batch fans out), else the one running the batch itself."""
    from django.db import connection

    from modules.core.models import Job, JobStatus

    job = Job.objects.get(pk=job_id)
    rendering = (
        Job.objects.filter(payload__parent=str(job.pk), status=JobStatus.RUNNING)
        .exclude(worker="")
        .values_list("worker", flat=True)
        .first()
    )
    connection.close()
    return job.status, job.done, job.total, rendering or job.worker


def kill_batch_worker(job_id, topology: Topology, processes: Processes, deadline: float) -> dict:
    """SIGKILL the worker node rendering the batch once part of it is done (a run's worker name carries its
    process id; the node is the worker namespace holding that process), with its children."""
    while time.monotonic() < deadline:
        status, done, total, worker = batch_worker(job_id)
        if status == "running" and 0 < done < total and worker:
            pid = int(worker.split(":")[1])
            for namespace in list(topology.nodes)[2:]:
                inside = sh("ip", "netns", "pids", namespace, check=False).stdout.split()
                name = f"worker {namespace}"
                if str(pid) in inside and name in processes.started:
                    process = processes.started[name]
                    _kill_group(process.pid, signal.SIGKILL)
                    process.wait()
                    processes.started[f"killed:{name}"] = processes.started.pop(name)
                    return {"killed": namespace, "pid": pid, "cards_done_then": done, "cards": total}
        if status in ("succeeded", "failed"):
            break
        time.sleep(0.2)
    return {"killed": None, "note": "the batch was not seen running mid-way on a worker of the cluster"}


def worker_warnings(logs: Path, limit: int = 40) -> list[str]:
    """The last warnings and errors of the queue workers' logs (JSON lines: level, logger, message and the
    end of the exception's traceback), oldest first."""
    found = []
    for log in sorted(logs.glob("worker *.log")):
        for raw in log.read_text(errors="replace").splitlines():
            try:
                record = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(record, dict) or record.get("level") not in ("WARNING", "ERROR", "CRITICAL"):
                continue
            # The exception's last frame and the error itself.
            error = " | ".join(line.strip() for line in (record.get("exception") or "").splitlines()[-3:])
            found.append(
                f"{record.get('time', '')} {log.stem.removeprefix('worker ')} {record.get('level')} "
                f"{record.get('logger', '')}: {record.get('message', '')} {error}".strip()
            )
    return sorted(found)[-limit:]


def wait_for_job(job_id, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, *_rest = job_state(job_id)
        if status in ("succeeded", "failed"):
            return
        time.sleep(1)


# --- results ------------------------------------------------------------------------------------------------


def markdown(results: dict) -> str:
    lines = [
        "# Cluster load test",
        "",
        "Generated by `make cluster` (`python -m cluster.run`, docs/cluster.md); do not edit by hand.",
        "",
        *(f"- {key}: {value}" for key, value in results["environment"].items()),
        "",
    ]
    for phase in results["phases"]:
        lines += [
            f"## {phase['title']}",
            "",
            "| page | requests | errors | req/s | p50 ms | p95 ms | p99 ms |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for page in [*PAGES, "all"]:
            row = phase["stats"]["pages"].get(page)
            if row:
                lines.append(
                    f"| {page} | {row['requests']:,} | {row['errors']} | {row['req_per_s']} | "
                    f"{row['p50_ms']} | {row['p95_ms']} | {row['p99_ms']} |"
                )
        lines.append("")
        for failure in phase["stats"]["failures"]:
            lines.append(f"- error on {failure['page']}: {failure['error']} ×{failure['count']}")
        batch = phase["batch"]
        lines.append(
            f"- report-card batch in the background: {batch['status']}, {batch['cards']} cards of "
            f"{batch['expected_cards']} expected, {batch['pages']} pages, run {batch['attempts']} time(s); "
            f"missing from the PDF: {', '.join(batch['missing']) or 'none'}"
        )
        if not batch["ok"]:
            lines.append(f"- the batch's message: {batch['message'] or '(none)'}")
        for line in phase.get("worker_log", []):
            lines.append(f"- worker log: {line}")
        if phase.get("kill"):
            kill = phase["kill"]
            if kill.get("killed"):
                lines.append(
                    f"- worker killed (SIGKILL) mid-batch: {kill['killed']} (pid {kill['pid']}) after "
                    f"{kill['cards_done_then']} of {kill['cards']} cards"
                )
            else:
                lines.append(f"- worker kill: {kill['note']}")
        lines.append("")
    lines += ["## Verdict", "", *(f"- {line}" for line in results["verdict"]), ""]
    return "\n".join(lines)


def verdict(results: dict) -> tuple[bool, list[str]]:
    ok, lines = True, []
    for phase in results["phases"]:
        errors = phase["stats"]["pages"].get("all", {}).get("errors", 0)
        missing = [p for p in PAGES if not phase["stats"]["pages"].get(p, {}).get("requests")]
        p95 = phase["stats"]["pages"].get("register page", {}).get("p95_ms")
        within = p95 is not None and p95 <= REGISTER_P95_BUDGET_MS
        ok &= errors == 0 and not missing and phase["batch"]["ok"]
        lines.append(
            f"{phase['title']}: {errors} errors (budget 0); register page p95 {p95} ms "
            f"({'within' if within else 'OVER'} the {REGISTER_P95_BUDGET_MS} ms budget); "
            f"batch {'complete' if phase['batch']['ok'] else 'INCOMPLETE'}"
            + (f"; pages never requested: {', '.join(missing)}" if missing else "")
        )
        if phase.get("kill") is not None and not phase["kill"].get("killed"):
            ok = False
            lines.append(f"{phase['title']}: no worker was killed mid-batch ({phase['kill']['note']})")
        results.setdefault("register_p95_within_budget", []).append(within)
    return ok, lines


# --- main ---------------------------------------------------------------------------------------------------


def run(args: argparse.Namespace, topology: Topology) -> int:
    secret = secrets.token_urlsafe(48)
    base_env = {
        key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST", "HUEY_"))
    }
    base_env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings.production",
            "SECRET_KEY": secret,
            "ALLOWED_HOSTS": f"{topology.bridge},localhost,127.0.0.1",
            "DATABASE_URL": args.database_url,
            "REDIS_URL": args.redis_url,
            "HUEY_NAME": f"studentflow-{topology.prefix}",
            # One task at a time per worker node: two nodes, two cores. With two threads each, four parts of a
            # batch laid out at once beside the web nodes each took over the PDF time limit (20 s).
            "HUEY_WORKERS": "1",
            "MEDIA_ROOT": str(topology.state / "media"),
            "STATIC_ROOT": str(args.static_root),
            "STUDENTFLOW_VAR_DIR": str(topology.state / "var"),
            "STUDENTFLOW_BASE_URL": f"https://{topology.bridge}:{topology.two_port}",
            # The sessions are made by the orchestrator (force_login), not through the MFA enrolment.
            "STUDENTFLOW_REQUIRE_STAFF_MFA": "false",
            # A killed worker's batch is taken over once its lease runs out, by the next minute's sweep.
            "STUDENTFLOW_JOB_LEASE_SECONDS": str(args.lease_seconds),
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(topology.smtp_port),
            "EMAIL_USE_TLS": "false",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    os.environ.update(base_env)
    ensure_database(args.database_url)
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection

    say(f"Database {connection.settings_dict['NAME']}: migrating and seeding the {args.school} demo school …")
    collecting = collect_static_start(base_env)
    seed(args.school, base_env)
    # Fresh statistics for the planner, as autovacuum would gather them: without them (a server with
    # autovacuum off, as on CI machines) a report card's attendance summary took minutes, not a second.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    collect_static_finish(*collecting)
    cache.clear()  # the run's Redis database: no session, lock or queue left by an earlier run
    plan = make_plan(args.teachers, args.guardians)
    plan_path = topology.state / "plan.json"
    plan_path.write_text(json.dumps(plan), encoding="utf-8")
    from modules.people.models import Student

    students = Student.objects.count()
    connection.close()

    say("Network: bridge, namespaces, veth pairs …")
    network_up(topology)
    processes = Processes(topology.state)
    processes.start(
        "forwarder",
        [
            PYTHON, "-m", "cluster.forward",
            f"{topology.bridge}:5432=127.0.0.1:{_port(args.database_url, 5432)}",
            f"{topology.bridge}:6379=127.0.0.1:{_port(args.redis_url, 6379)}",
        ],
        base_env,
    )  # fmt: skip
    processes.start(
        "smtp-sink",
        [PYTHON, "-m", "aiosmtpd", "-n", "-l", f"{topology.bridge}:{topology.smtp_port}", "-c",
         "aiosmtpd.handlers.Sink"],
        base_env,
    )  # fmt: skip
    wait_for_port(topology.bridge, 5432, processes)
    wait_for_port(topology.bridge, topology.smtp_port, processes)
    env = node_env(base_env, args.database_url, args.redis_url, topology)
    namespaces = list(topology.nodes)
    for namespace in namespaces[:2]:
        processes.start(
            f"web {namespace}",
            [
                PYTHON, "-m", "gunicorn", "portal.wsgi", "--bind", "0.0.0.0:8000",
                "--workers", str(args.web_workers), "--worker-class", "gthread", "--threads", "4",
                "--keep-alive", "75", "--timeout", "60", "--log-level", "warning", "--no-control-socket",
            ],
            env,
            namespace,
        )  # fmt: skip
    for namespace in namespaces[2:]:
        # As production runs it (the Procfile's worker): its tasks run below the web nodes' CPU priority by
        # the portal's own doing (STUDENTFLOW_QUEUE_NICENESS), so that on machines shared by web and queue
        # (all of them here) a report card waits a little longer rather than a teacher's page.
        processes.start(
            f"worker {namespace}",
            [PYTHON, "manage.py", "run_huey"],
            env,
            namespace,
        )
    make_certificate(topology.state, topology.bridge)
    config = nginx_config(topology, args.static_root)
    processes.start("nginx", ["nginx", "-c", str(config)], base_env)
    for address in list(topology.nodes.values())[:2]:
        wait_for_port(address, 8000, processes)
    wait_for_port(topology.bridge, topology.two_port, processes)
    say("Up: 2 web nodes, 2 workers, nginx. Warming up …")
    warm_up(topology, plan)

    phases = []
    chosen = [("one web node", topology.one_port, False), ("two web nodes", topology.two_port, True)]
    if args.phases == "two":
        chosen = chosen[1:]
    for number, (title, port, kill) in enumerate(chosen):
        sections = batch_sections(number, args.batch_sections)
        job = batch_start(sections)
        connection.close()
        say(f"{title}: {args.users} people for {args.seconds} s, a batch of {len(sections)} sections …")
        started = time.monotonic()
        locust = run_locust(topology, port, args.users, args.seconds, plan_path, f"phase{number}", processes)
        kill_result = None
        if kill:
            kill_result = kill_batch_worker(job.pk, topology, processes, started + args.batch_timeout)
        locust.wait(timeout=args.seconds + 60)
        wall = time.monotonic() - started
        processes.started.pop(f"locust-phase{number}")
        stats = read_stats(topology, f"phase{number}", min(wall, args.seconds))
        say("Load done; waiting for the report-card batch …")
        wait_for_job(job.pk, args.batch_timeout)
        batch = batch_verdict(job.pk, sections)
        connection.close()
        phase = {"title": title, "stats": stats, "batch": batch, "kill": kill_result}
        if not batch["ok"]:  # what the workers said about it, for whoever reads why
            phase["worker_log"] = worker_warnings(topology.state / "logs")
        phases.append(phase)
        processes.check()

    from django.conf import settings

    results = {
        "environment": {
            "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, load average "
            f"{os.getloadavg()[0]:.2f} at the end (shared with other work; locust runs on it too)",
            "school": f"{args.school} demo school, {students:,} students, on PostgreSQL "
            f"({connection.settings_dict['NAME']}), one Redis",
            "nodes": f"2 web nodes (gunicorn gthread, {args.web_workers} workers × 4 threads, production "
            f"settings) and 2 queue workers (run_huey, 1 thread at nice "
            f"{settings.STUDENTFLOW_QUEUE_NICENESS}), each in its own "
            "network namespace; nginx (TLS, least_conn) in front",
            "load": f"locust, {args.users} people (teachers : guardians = 1 : 2, 1–3 s between actions), "
            f"{args.seconds} s per phase",
        },
        "phases": phases,
    }
    ok, lines = verdict(results)
    results["verdict"] = lines
    results["ok"] = ok
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(
        json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8"
    )
    (args.out / "results.md").write_text(markdown(results), encoding="utf-8")
    print(markdown(results))
    within = all(results["register_p95_within_budget"])
    return 0 if ok and (within or args.no_latency_budget) else 1


def _port(url: str, default: int) -> int:
    from urllib.parse import urlparse

    return urlparse(url).port or default


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cluster.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--prefix", default="sfc", help="names of the namespaces (PREFIX-web1…) and bridge")
    parser.add_argument("--subnet", default="10.231.0", help="the bridge's /24, first three octets")
    parser.add_argument(
        "--database-url", default=os.environ.get("CLUSTER_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument("--redis-url", default=os.environ.get("CLUSTER_REDIS_URL", DEFAULT_REDIS_URL))
    parser.add_argument("--school", choices=["small", "large"], default="large")
    # The load this 2-core machine holds within the budget (docs/cluster.md "What one machine holds").
    parser.add_argument("--users", type=int, default=15)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--teachers", type=int, default=60)
    parser.add_argument("--guardians", type=int, default=120)
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes per web node")
    parser.add_argument("--batch-sections", type=int, default=3)
    parser.add_argument("--batch-timeout", type=int, default=240)
    parser.add_argument("--lease-seconds", type=int, default=10)
    parser.add_argument("--phases", choices=["both", "two"], default="both")
    parser.add_argument("--no-latency-budget", action="store_true", help="exit 0 whatever the p95")
    parser.add_argument("--out", type=Path, default=ROOT / "cluster")
    parser.add_argument("--state", type=Path, help="the run's directory (default var/cluster/PREFIX)")
    parser.add_argument("--static-root", type=Path, default=ROOT / "var" / "cluster" / "static")
    parser.add_argument("--teardown", action="store_true", help="only remove what a run left behind")
    args = parser.parse_args(argv)
    state = (args.state or ROOT / "var" / "cluster" / args.prefix).resolve()
    topology = Topology(prefix=args.prefix, subnet=args.subnet, state=state)
    if args.teardown:
        for line in teardown(args.prefix, state):
            print(f"removed {line}")
        return 0
    if refusal := netns_refusal():
        print(f"make cluster cannot run here: {refusal}.", file=sys.stderr)
        return 2
    teardown(args.prefix, state)  # what an earlier run that was killed left
    for directory in ("logs", "media", "var"):
        (state / directory).mkdir(parents=True, exist_ok=True)
    args.static_root.mkdir(parents=True, exist_ok=True)

    def stop(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        return run(args, topology)
    except ClusterError as error:
        print(f"make cluster failed: {error}\n(logs: {state / 'logs'})", file=sys.stderr)
        return 1
    finally:
        teardown(args.prefix, state)


if __name__ == "__main__":
    sys.exit(main())
