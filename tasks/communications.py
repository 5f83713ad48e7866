"""Sending queued emails and SMS (placeholder until the delivery work of this session lands)."""

from huey.contrib.djhuey import db_task


@db_task()
def send_deliveries(delivery_ids: list[int]) -> None:
    from modules.communications.delivery import delivery_send

    for delivery_id in delivery_ids:
        delivery_send(delivery_id=delivery_id)
