from huey.contrib.djhuey import db_task

from modules.accounts.services import invitation_send


@db_task(retries=3, retry_delay=60)
def send_invitation(user_id: int) -> bool:
    return invitation_send(user_id=user_id)
