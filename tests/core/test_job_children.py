"""Child jobs (modules/core/jobs.py): a job fanned out into parts, each its own task with its own lease, and
the end of the last child noticed exactly once, also when two children finish at the same moment."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections
from django.utils import timezone

from modules.core import jobs
from modules.core.jobs import ChildFinished, job_child_finish, job_children, job_children_enqueue, job_claim
from modules.core.models import Job, JobStatus


@pytest.fixture
def parent(admin):
    job = Job.objects.create(kind="test.parent", owner=admin, total=3)
    job_claim(job=job)
    return job


@pytest.fixture
def queued(monkeypatch) -> list[str]:
    """The child jobs handed to their kind's task (a kind registered for this test only)."""
    handed: list[str] = []
    monkeypatch.setitem(jobs._kinds, "test.child", lambda child: handed.append(str(child.pk)))
    return handed


def _running_children(parent: Job, count: int) -> list[Job]:
    children = job_children_enqueue(
        parent=parent, kind="test.child", payloads=[{"n": n} for n in range(count)]
    )
    for child in children:
        assert job_claim(job=child)
    return children


def test_children_are_queued_after_commit_with_a_lease_and_the_parents_owner(
    parent, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        children = job_children_enqueue(parent=parent, kind="test.child", payloads=[{"n": 0}, {"n": 1}])
        assert queued == []  # not before the commit: the task would not find its row
    assert queued == [str(child.pk) for child in children]
    stored = list(job_children(parent).order_by("payload__n"))
    assert [child.payload for child in stored] == [
        {"n": 0, "parent": str(parent.pk)},
        {"n": 1, "parent": str(parent.pk)},
    ]
    assert {(child.status, child.owner_id) for child in stored} == {(JobStatus.QUEUED, parent.owner_id)}
    assert all(child.leased_until > timezone.now() for child in stored)


def test_only_the_child_that_finishes_last_sees_none_left(parent, queued):
    first, second, third = _running_children(parent, 3)
    seen: list[int] = []

    def progress(locked: Job, children: list[Job]) -> None:
        seen.append(sum(child.status == JobStatus.SUCCEEDED for child in children))

    assert job_child_finish(child=second, on_parent=progress).remaining == 2
    assert job_child_finish(child=first, on_parent=progress).remaining == 1
    last = job_child_finish(child=third, on_parent=progress, result={"pdf": "part.pdf"})
    assert (last.recorded, last.remaining, last.parent.pk) == (True, 0, parent.pk)
    assert seen == [1, 2, 3]  # each saw its own end under the lock
    third.refresh_from_db()
    assert (third.status, third.result) == (JobStatus.SUCCEEDED, {"pdf": "part.pdf"})


def test_a_child_whose_run_was_taken_over_records_nothing(parent, queued):
    child, sibling = _running_children(parent, 2)
    Job.objects.filter(pk=child.pk).update(leased_until=timezone.now())
    successor = Job.objects.get(pk=child.pk)
    assert job_claim(job=successor)  # its lease ran out: the sweeper's run took it
    assert job_child_finish(child=child) == ChildFinished(recorded=False, remaining=-1, parent=parent)
    child.refresh_from_db()
    assert child.status == JobStatus.RUNNING
    assert job_child_finish(child=sibling).remaining == 1  # the successor has not finished


@pytest.mark.django_db(transaction=True)
def test_two_children_finishing_at_the_same_moment_leave_exactly_one_last(admin, queued, monkeypatch):
    if connection.vendor == "sqlite":
        # As in production (portal/settings/base.py): a transaction takes SQLite's write lock when it begins.
        monkeypatch.setitem(
            connection.settings_dict, "OPTIONS", {"transaction_mode": "IMMEDIATE", "timeout": 20}
        )
    for _round in range(3):
        parent = Job.objects.create(kind="test.parent", owner=admin, total=2)
        job_claim(job=parent)
        children = _running_children(parent, 2)
        start = threading.Barrier(2)
        ends: list[ChildFinished] = []

        def finish(child: Job, start: threading.Barrier, ends: list[ChildFinished]) -> None:
            try:
                start.wait()
                # Slow work under the lock, so that the other child's end surely comes meanwhile.
                ends.append(job_child_finish(child=child, on_parent=lambda *_args: time.sleep(0.3)))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=finish, args=(child, start, ends)) for child in children]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(end.remaining for end in ends) == [0, 1]
        assert all(end.recorded for end in ends)
