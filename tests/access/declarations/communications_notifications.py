from modules.accounts.models import User
from modules.communications.models import Notification
from tests.access.matrix import SIGNED_IN_OK, Rule, expect


def _guardians_notification(school) -> dict:
    item = Notification.objects.create(
        recipient=User.objects.get(email="parent@school.test"),
        kind="absence",
        title="Sam was absent",
        url="/",
        key=f"matrix:{Notification.objects.count()}",
    )
    return {"pk": item.pk}


RULES = [
    Rule("communications:notification_list", expect=SIGNED_IN_OK),
    Rule("communications:notification_bell", expect=SIGNED_IN_OK),
    Rule("communications:notification_mark_read", method="post", expect=expect(302)),
    # A notification opens only for its recipient; for everyone else it does not exist.
    Rule(
        "communications:notification_open",
        kwargs=_guardians_notification,
        expect=expect(404, guardian=302),
    ),
    Rule("communications:notification_preferences", expect=SIGNED_IN_OK),
]
