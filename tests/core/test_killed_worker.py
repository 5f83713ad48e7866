"""A real Huey consumer killed with SIGKILL in the middle of a job: the job does not stay "running" for
ever. The sweeper queues it again, a new consumer finishes it, and the result has everything exactly once.

Each test enqueues through the portal as the office does, into a SQLite queue file that consumers started
as subprocesses (`manage.py run_huey`, tests/killed_worker_settings.py) read, on this run's test database
(SQLite file or PostgreSQL). The rest of the suite keeps Huey's immediate mode.
"""

from __future__ import annotations

import asyncio
import datetime
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from huey.contrib.djhuey import HUEY
from huey.storage import SqliteStorage

from modules.academics.importing import IMPORT_KIND, Phase
from modules.communications.delivery import deliveries_recover, delivery_message_id
from modules.communications.models import DeliveryStatus
from modules.core.jobs import job_children, jobs_sweep
from modules.core.models import Job, JobStatus
from modules.exams import report_cards
from modules.people.models import Student
from tasks.communications import queue_deliveries
from tests import factories as f
from tests.exams.test_report_card_fixtures import pdf_pages
from tests.fakes import queue_delivery, smtp_server
from tests.people.test_import_files import csv_upload, page_text, student_row
from tests.reauth import reauthenticate

pytestmark = pytest.mark.django_db(transaction=True)

QUEUE_NAME = "studentflow-killed-worker-test"  # as in tests/killed_worker_settings.py
LEASE_SECONDS = 2
PART_SIZE = 4  # report cards per part, so that a small batch has several
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def queue(tmp_path, monkeypatch, settings) -> Path:
    """What this test enqueues goes to a SQLite queue file that the subprocess consumers read."""
    filename = tmp_path / "huey.sqlite3"
    monkeypatch.setattr(HUEY, "_immediate", False)
    monkeypatch.setattr(HUEY, "storage", SqliteStorage(name=QUEUE_NAME, filename=str(filename)))
    settings.STUDENTFLOW_JOB_LEASE_SECONDS = LEASE_SECONDS
    return filename


class Consumer:
    """`manage.py run_huey` in a subprocess, on this run's test database and the shared queue file."""

    def __init__(self, queue: Path, log: Path, **env: str):
        self.log_path = log
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.killed_worker_settings",
            "STUDENTFLOW_TEST_DB_NAME": str(connection.settings_dict["NAME"]),
            "STUDENTFLOW_TEST_HUEY_FILE": str(queue),
            "STUDENTFLOW_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
            "STUDENTFLOW_REPORT_CARD_PART_SIZE": str(PART_SIZE),
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self._log = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "run_huey", "--no-periodic", "-w", "1", "-k", "thread"]
            + ["--delay", "0.05", "--max-delay", "0.2", "--backoff", "1.0"],
            cwd=ROOT,
            env=environment,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        """kill -9: no clean-up, no chance to say anything, as when a machine runs out of memory."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def consumers(queue, tmp_path):
    started: list[Consumer] = []

    def start(**env: str) -> Consumer:
        consumer = Consumer(queue, tmp_path / f"consumer-{len(started) + 1}.log", **env)
        started.append(consumer)
        return consumer

    yield start
    for consumer in started:
        consumer.kill()


def wait_for(condition, what: str, *, consumer: Consumer | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if consumer is not None and consumer.process.poll() is not None:
            raise AssertionError(f"the consumer exited while waiting for {what}:\n{consumer.log()}")
        time.sleep(0.02)
    log = consumer.log() if consumer is not None else ""
    raise AssertionError(f"timed out waiting for {what}\n{log}")


def lease_runs_out(job: Job) -> None:
    """Nobody extends the lease of a killed worker's job: wait until it has run out."""
    job.refresh_from_db()
    assert job.leased_until is not None
    wait = (job.leased_until - timezone.now()).total_seconds()
    assert wait <= LEASE_SECONDS + 0.5
    time.sleep(max(wait, 0) + 0.1)


def test_a_report_card_batch_killed_mid_way_resumes_and_prints_every_card_once(
    school, admin, as_user, consumers
):
    names = [f"Pupil{number:03d} Class" for number in range(1, 12)]
    for name in names:
        f.EnrollmentFactory(
            student=f.StudentFactory(first_name=name.split()[0], last_name="Class"), section=school.section
        )
    names.append("Sam Parent")  # the fixture's child, in the same section
    office = reauthenticate(as_user(admin))
    response = office.post(
        reverse("exams:report_card_batch"), {"term": school.term.pk, "sections": [school.section.pk]}
    )
    job = Job.objects.get(kind=report_cards.JOB_KIND)
    page = reverse("job_progress", args=[job.pk])
    assert response["Location"] == page

    first = consumers()
    wait_for(lambda: Job.objects.get(pk=job.pk).done > 0, "the first part", consumer=first)
    first.kill()
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING, first.log()
    assert 0 < job.done < job.total == 12, first.log()
    # The batch fanned out into parts (child jobs, one task each): those finished before the kill stay.
    parts = list(job_children(job))
    assert len(parts) == 3, first.log()
    rendered_before = sorted(part.payload["index"] for part in parts if part.status == JobStatus.SUCCEEDED)
    unfinished = [part for part in parts if part.status != JobStatus.SUCCEEDED]
    assert rendered_before
    assert unfinished
    # Stuck: the page says running, and nothing moves any more.
    assert f"{job.done} of 12 done" in office.get(page).text

    for stuck in [job, *unfinished]:  # nobody extends the leases of the killed worker's batch and parts
        lease_runs_out(stuck)
    assert jobs_sweep().restarted == 1 + len(unfinished)
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    assert (
        "Interrupted: the worker running this job stopped. It restarts by itself (attempt 2 of 3)."
        in page_text(office.get(page))
    )

    second = consumers()
    wait_for(lambda: Job.objects.get(pk=job.pk).is_finished, "the batch to finish", consumer=second)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert job.attempts == 2
    text = page_text(office.get(page))
    assert "Finished after a restart" in text
    assert reverse("job_download", args=[job.pk]) in text

    download = office.get(reverse("job_download", args=[job.pk]))
    pages = pdf_pages(b"".join(download.streaming_content))
    assert len(pages) == 12  # one page per card: nothing twice, nothing missing
    printed = [name for text in pages for name in names if name in text]
    assert sorted(printed) == sorted(names)
    # It resumed: the parts finished before the kill were not rendered again.
    log = second.log()
    assert "resuming, parts " + ", ".join(str(index + 1) for index in rendered_before) in log
    for index in rendered_before:
        assert f"part {index + 1} of 3 rendered" not in log
    assert "part 3 of 3 rendered" in log
    assert not list((Path(django_settings.MEDIA_ROOT) / "jobs" / "parts" / str(job.pk)).glob("*.pdf"))


def _writing_students() -> bool:
    """Whether another connection is in the middle of writing students (its transaction not committed)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks JOIN pg_class ON pg_class.oid = pg_locks.relation "
                "WHERE pg_class.relname = 'people_student' AND pg_locks.mode = 'RowExclusiveLock' "
                "AND pg_locks.pid <> pg_backend_pid()"
            )
            return cursor.fetchone()[0] > 0
    probe = sqlite3.connect(connection.settings_dict["NAME"], timeout=0)
    try:
        probe.execute("BEGIN IMMEDIATE")  # refused while another connection holds the write lock
        probe.rollback()
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()


def test_an_import_killed_mid_write_restarts_from_its_file_and_imports_everyone_once(
    school, admin, as_user, consumers, tmp_path
):
    count = 1500
    before = Student.objects.count()
    office = as_user(admin)
    office.post(reverse("people:import_start"), {"file": csv_upload([student_row(n) for n in range(count)])})
    job = Job.objects.get(kind=IMPORT_KIND)
    detail = reverse("people:import_detail", args=[job.pk])

    # The first consumer stops once it has inserted the students, its transaction open (the write goes on
    # with guardians, links and enrollments): killed there, not wherever a race happens to catch it.
    marker = tmp_path / "students-inserted"
    first = consumers(
        STUDENTFLOW_TEST_PAUSE_AFTER_SQL='INSERT INTO "people_student"',
        STUDENTFLOW_TEST_PAUSE_MARKER=str(marker),
    )
    wait_for(
        lambda: Job.objects.get(pk=job.pk).payload["phase"] == Phase.PREVIEW, "the dry run", consumer=first
    )
    office.post(reverse("people:import_confirm", args=[job.pk]))
    wait_for(marker.exists, "the students to be inserted", consumer=first)
    assert Job.objects.get(pk=job.pk).payload["phase"] == Phase.COMMITTING
    assert _writing_students()  # inserted, not committed
    first.kill()
    job.refresh_from_db()
    assert (job.status, job.payload["phase"]) == (JobStatus.RUNNING, Phase.COMMITTING), first.log()
    assert Student.objects.count() == before  # the killed write rolled back
    assert "Importing 1500 students…" in page_text(office.get(detail))

    lease_runs_out(job)
    assert jobs_sweep().restarted == 1
    assert "It restarts by itself (attempt 2 of 3)." in page_text(office.get(detail))
    second = consumers()
    wait_for(lambda: Job.objects.get(pk=job.pk).is_finished, "the import to finish", consumer=second)
    job.refresh_from_db()
    assert (job.status, job.payload["phase"]) == (JobStatus.SUCCEEDED, Phase.IMPORTED), job.message
    assert job.result["imported"]["students"] == count
    imported = Student.objects.filter(admission_number__startswith="N")
    assert imported.count() == count == imported.values("admission_number").distinct().count()
    assert Student.objects.count() == before + count
    assert "Finished after a restart" in page_text(office.get(detail))


@dataclass
class StallingSmtpHandler:
    """An SMTP server that receives the first message whole but does not answer it until `release` (its
    sender is killed meanwhile), then drops it, as a server does whose client went away; it accepts the
    messages after that."""

    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    stalled: list[EmailMessage] = field(default_factory=list)
    accepted: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        if not self.stalled:
            self.stalled.append(message)
            self.arrived.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.4.1 The client went away before the reply"
        self.accepted.append(message)
        return "250 Message accepted for delivery"


def test_an_email_whose_worker_was_killed_while_sending_is_sent_again_once(consumers):
    handler = StallingSmtpHandler()
    delivery = queue_delivery()
    with smtp_server(handler) as (host, port):
        queue_deliveries([delivery.pk])
        first = consumers(STUDENTFLOW_TEST_SMTP=f"{host}:{port}")
        wait_for(handler.arrived.is_set, "the message to reach the server", consumer=first)
        first.kill()
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.SENDING  # the provider never confirmed it

        lease_end = delivery.next_attempt_at
        time.sleep(max((lease_end - timezone.now()).total_seconds(), 0) + 0.1)
        assert deliveries_recover() == 1
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.RETRYING
        assert "stopped before the provider confirmed it" in delivery.attempt_log.get().error
        handler.release.set()

        second = consumers(STUDENTFLOW_TEST_SMTP=f"{host}:{port}")
        wait_for(
            lambda: type(delivery).objects.get(pk=delivery.pk).status == DeliveryStatus.SENT,
            "the email to be sent again",
            consumer=second,
        )
    delivery.refresh_from_db()
    assert len(handler.accepted) == 1  # one email arrived
    # Both tries carried the same Message-ID, so a server that had kept the first sees the same message.
    message_id = delivery_message_id(delivery)
    assert handler.accepted[0]["Message-ID"] == handler.stalled[0]["Message-ID"] == message_id
    assert (delivery.provider_id, delivery.attempts) == (message_id, 2)
    assert [attempt.succeeded for attempt in delivery.attempt_log.order_by("pk")] == [False, True]
    assert timezone.now() - delivery.sent_at < datetime.timedelta(minutes=1)


def _stat(path: Path) -> list[str] | None:
    """The fields of a /proc stat file after the command's name: [0] state, [1] parent pid, [16] nice."""
    try:
        return path.read_text().rsplit(")", 1)[1].split()
    except OSError:  # gone between the listing and the read
        return None


def _cmdline(directory: Path) -> bytes | None:
    try:
        return (directory / "cmdline").read_bytes()
    except OSError:
        return None


def _niceness(pid: int) -> tuple[set[int], set[int]]:
    """The nice values of `pid`'s threads, and of its layout children: the processes it forked that run
    its own program (not a program it started, such as the `gcc` that ctypes runs to find WeasyPrint's
    libraries while the consumer imports them, from its main thread)."""
    threads = {
        int(fields[16]) for task in Path(f"/proc/{pid}/task").glob("*/stat") if (fields := _stat(task))
    }
    program = _cmdline(Path(f"/proc/{pid}"))
    children = {
        int(fields[16])
        for stat in Path("/proc").glob("[0-9]*/stat")
        if (fields := _stat(stat)) and int(fields[1]) == pid and _cmdline(stat.parent) == program
    }
    return threads, children


def test_a_queue_worker_runs_its_tasks_and_their_layouts_at_a_lower_cpu_priority(
    school, admin, as_user, consumers
):
    """A task on the queue is background work: where the worker shares the cores with web workers, the pages
    come first (STUDENTFLOW_QUEUE_NICENESS, 10: the worker's thread and the report cards it lays out)."""
    for number in range(1, 12):
        f.EnrollmentFactory(student=f.StudentFactory(first_name=f"Pupil{number:03d}"), section=school.section)
    office = reauthenticate(as_user(admin))
    office.post(reverse("exams:report_card_batch"), {"term": school.term.pk, "sections": [school.section.pk]})
    job = Job.objects.get(kind=report_cards.JOB_KIND)
    base = os.nice(0)  # the consumer's own, inherited from this process

    consumer = consumers()
    threads: set[int] = set()
    layouts: set[int] = set()

    def finished() -> bool:
        seen_threads, seen_children = _niceness(consumer.process.pid)
        threads.update(seen_threads)
        layouts.update(seen_children)
        return Job.objects.get(pk=job.pk).is_finished

    wait_for(finished, "the batch to finish", consumer=consumer)
    assert Job.objects.get(pk=job.pk).status == JobStatus.SUCCEEDED
    lowered = max(base, 10)
    assert layouts == {lowered}, consumer.log()
    # The worker's thread is lowered; the consumer's main thread (its scheduler) keeps the priority it had.
    assert threads == {base, lowered}, consumer.log()
