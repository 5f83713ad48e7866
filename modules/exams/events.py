"""What exams announces about publishing marks (see modules/core/events.py for how events work, and
docs/events.md for the list of every module's events)."""

from __future__ import annotations

from modules.core.events import DomainEvent

marks_published = DomainEvent(
    "exams.marks_published",
    arguments={
        "assessment_id": "id of the Assessment whose marks became visible",
        "by": "the User who published them",
    },
    doc="""One assessment's marks were published to its students and their guardians
    (`services.assessment_publish`, the first time only: publishing again changes nothing and sends
    nothing). Receivers: tasks/exams.py queues the families' notice
    (`publishing.assessment_published_notify`); webhooks posts `marks.published`
    (modules/webhooks/receivers.py).""",
)

term_results_published = DomainEvent(
    "exams.term_results_published",
    arguments={
        "term_id": "id of the Term whose results were published",
        "by": "the User who published them",
    },
    doc="""A term's results were published (`publishing.term_results_publish`): every assessment of the
    term not yet published was published with it (those owe no notice of their own). Sent each time the
    office publishes; the notice goes out once per term. Receivers: tasks/exams.py queues the families'
    notice (`publishing.term_results_notify`); tasks/report_cards.py lays the cards out ahead of the office
    (`report_cards.report_cards_prepare`).""",
)
