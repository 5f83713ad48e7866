"""Attendance readers' check-ins (`POST /api/v1/devices/check-ins`), with the reader's own key (made on the
office's readers page: `Authorization: Bearer sfd_…`), never a person's token. One check-in or a batch of up
to 1,000 (more: 413); each answered with what it did (modules/attendance/devices.py). Every check-in is
accepted: an unknown card or a closed register is recorded and listed for the office, never refused."""

# No `from __future__ import annotations` here: django-ninja reads the endpoints' annotations as types.

from typing import Annotated

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.security import HttpBearer
from pydantic import AfterValidator, AwareDatetime, model_validator

from modules.api.auth import Refused
from modules.api.lists import Id, in_utc
from modules.attendance.devices import MAX_BATCH, CheckIn, checkins_record, device_authenticate
from modules.attendance.models import AttendanceDevice
from modules.core.ratelimits import client_ip, rate_limit_hit


class DeviceKey(HttpBearer):
    """A reader's key; wrong keys are counted per address with wrong tokens, each reader has the API's
    rate (a batch is one call)."""

    def __call__(self, request):
        result = super().__call__(request)
        if result is None:
            self._failed(request)
        return result

    def authenticate(self, request, token: str) -> AttendanceDevice:
        device = device_authenticate(token)
        if device is None:
            self._failed(request)
        assert device is not None
        if hit := rate_limit_hit(request, action="api", who=f"device{device.pk}"):
            raise Refused(
                429, "throttled", _("Too many calls from this reader."), retry_after=hit.retry_after
            )
        return device

    @staticmethod
    def _failed(request) -> None:
        if hit := rate_limit_hit(request, action="api_sign_in", who=f"ip{client_ip(request)}"):
            raise Refused(
                429, "throttled", _("Too many calls with a wrong key."), retry_after=hit.retry_after
            )
        raise Refused(401, "unauthenticated", _("A valid reader key is needed: Authorization: Bearer …"))


router = Router(tags=["devices"], auth=DeviceKey())


class CheckInIn(Schema):
    id: str = Field(..., min_length=1, max_length=64, description="The reader's own id of the check-in")
    at: Annotated[AwareDatetime, AfterValidator(in_utc)] = Field(
        ..., description="When the card was read, with its time zone"
    )
    card: str = Field("", max_length=64, description="The number read from the card or badge")
    student: Id | None = Field(None, description="Or the student's id, for readers that know it")

    @model_validator(mode="after")
    def _someone(self):
        if not self.card and self.student is None:
            raise ValueError(_("Send the card number or the student's id."))
        return self


class CheckInsIn(Schema):
    check_ins: list[CheckInIn] = Field(..., min_length=1, description=f"At most {MAX_BATCH}")


class OutcomeOut(Schema):
    id: str
    outcome: str


class CheckInsOut(Schema):
    received: int
    results: list[OutcomeOut]


@router.post("/devices/check-ins", response=CheckInsOut, summary="Send check-ins (a reader)")
def check_ins(request, payload: CheckInsIn):
    """Outcomes: present, late, earlier (already checked in earlier that day), person_mark (a person's mark
    stands), submitted (the register is closed), unknown_card, not_enrolled, lesson_registers,
    not_school_day, too_late, future (the reader's clock is ahead). The same id sent again answers what it
    did the first time."""
    if len(payload.check_ins) > MAX_BATCH:
        raise Refused(413, "too_large", _("Send at most %(count)d check-ins at once.") % {"count": MAX_BATCH})
    checkins = [
        CheckIn(event_id=item.id, occurred_at=item.at, card=item.card, student_id=item.student)
        for item in payload.check_ins
    ]
    outcomes = checkins_record(device=request.auth, checkins=checkins)
    return {
        "received": len(checkins),
        "results": [{"id": item.id, "outcome": outcomes[item.id]} for item in payload.check_ins],
    }
