"""A guardian's request for the data the school holds on one child (modules/privacy), on the large school:
from asking to the zip being ready, the queue's work included (the bench settings run tasks inline). The demo
parent's child with the most attendance records is the one asked for; each run first removes the request of
the run before (one open request per child), so that every run prepares the whole zip again.
"""

from __future__ import annotations

from bench.registry import measure
from modules.accounts import demo


def _child(guardian):
    from django.db.models import Count

    from modules.people.models import Student

    return (
        Student.objects.filter(guardian_links__guardian__user=guardian)
        .annotate(records=Count("attendance_records", distinct=True))
        .order_by("-records", "pk")
        .first()
    )


@measure(
    "privacy: a guardian's data request for one child, asked → zip ready (the queue's work inline)",
    budget_ms=30_000,
    runs=3,
    warmup=0,
)
def data_request_zip(bench):
    from bench.runner import BenchError
    from modules.privacy.data_requests import data_request_create
    from modules.privacy.models import DataRequest, DataRequestStatus

    guardian = bench.user(demo.PARENT_EMAIL)
    student = _child(guardian)
    if student is None:
        raise BenchError("the demo parent has no child")

    def timed():
        for old in DataRequest.objects.filter(student=student):
            if old.file:
                old.file.delete(save=False)
            old.delete()
        request = data_request_create(student=student, by=guardian)
        request.refresh_from_db()
        if request.status != DataRequestStatus.READY:
            raise BenchError(f"the request is {request.status}: {request.message}")
        timed.note = (
            f"{student.full_name}: {student.records} attendance records; "
            f"a zip of {request.size / 1000:.0f} KB (a PDF per part of the data, the same rows as JSON). "
            "It is prepared on the queue with progress: nobody waits on a page for it."
        )

    return timed
