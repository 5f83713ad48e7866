"""What assignments announce (see modules/core/events.py for how events work, and docs/events.md for the list
of every module's events)."""

from __future__ import annotations

from modules.core.events import DomainEvent

assignment_published = DomainEvent(
    "assignments.assignment_published",
    arguments={
        "assignment_id": "id of the Assignment that became visible to its class",
        "by": "the User who published it (None: the queue, at its publish time)",
    },
    doc="""An assignment became visible to its students and their guardians, the first time only
    (`setting.assignment_publish`, or `setting.assignments_publish_due` for one set to publish later).
    Receivers: tasks/assignments.py queues the students' notice (`notices.assignment_published_notify`).""",
)

work_returned = DomainEvent(
    "assignments.work_returned",
    arguments={
        "submission_ids": "ids of the Submissions whose mark and feedback were returned",
        "by": "the User who returned them",
    },
    doc="""Marked work was returned to students (`marking.submissions_return`: one, or all of an assignment at
    once); the mark is in the gradebook. Receivers: tasks/assignments.py queues the students' and guardians'
    notice (`notices.work_returned_notify`).""",
)

work_handed_in = DomainEvent(
    "assignments.work_handed_in",
    arguments={
        "submission_id": "id of the Submission handed in (first time or replaced)",
        "by": "the User who handed it in",
    },
    doc="""A student handed in work or replaced it (`submissions.submission_hand_in`). Receivers: none (the
    teacher's inbox reads the rows; the similarity sweep, tasks/assignments_similarity.py, checks again an
    assignment past its due time with a hand-in newer than its last check, so a late hand-in is compared
    too).""",
)
