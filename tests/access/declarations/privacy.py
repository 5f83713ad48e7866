"""Privacy (modules/privacy): the retention schedule is the office's alone; data requests — the office's
list of every request and a guardian's own page share `privacy:requests`; only a guardian asks for (their
own children's) data and downloads what they asked for."""

import datetime

from django.core.files.base import ContentFile
from django.utils import timezone

from modules.accounts.models import User
from modules.privacy.models import DataRequest, DataRequestStatus
from tests.access.matrix import ADMIN_ONLY, ADMIN_ONLY_POST, Rule, expect


def _child(s) -> dict:
    return {"pk": s.child.pk}


def _ready_request(s) -> dict:
    now = timezone.now()
    request = DataRequest(
        student=s.child,
        requested_by=User.objects.get(email="parent@school.test"),
        status=DataRequestStatus.READY,
        ready_at=now,
        expires_at=now + datetime.timedelta(days=7),
    )
    request.file.save("data.zip", ContentFile(b"PK\x05\x06" + b"\x00" * 18), save=False)
    request.save()
    return {"pk": request.pk}


# The office (every request) and guardians (their own page); nobody else.
REQUESTS = expect(403, admin=200, guardian=200, other_guardian=200)

RULES = [
    Rule("privacy:requests", expect=REQUESTS),
    # Asking: guardians only, for their own child; another family's child does not exist for them.
    Rule(
        "privacy:request_create",
        method="post",
        kwargs=_child,
        expect=expect(403, guardian=302, other_guardian=404),
    ),
    # The download: the guardian who asked, once; the office sees the request but not the family's data.
    Rule(
        "privacy:request_download",
        kwargs=_ready_request,
        expect=expect(403, guardian=200, other_guardian=404),
    ),
    Rule("privacy:retention", expect=ADMIN_ONLY),
    Rule(
        "privacy:retention_save",
        method="post",
        data={
            **{f"{kind}-period": "365" for kind in ("deliveries", "audit_events", "uploads")},
            **{f"{kind}-action": "delete" for kind in ("deliveries", "audit_events", "uploads")},
            "leavers-period": "7",
            "leavers-action": "anonymise",
        },
        expect=ADMIN_ONLY_POST,
    ),
]
