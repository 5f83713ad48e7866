"""Attendance readers: registered by the office (a key shown once, stored as its SHA-256), they send
check-ins one by one or in batches after being offline. Each check-in is recorded once (a reader's event id is
unique; the same batch sent again records nothing new) and, where it can, marks the student on their
section's daily register of that day:

- present, or late after the policy's `late_after` (minutes counted from it; a check-in more than
  MAX_LATE_MINUTES after it marks nothing and is listed for the office);
- the earliest check-in of the day stands, whatever order they arrive in (an earlier one sent later moves the
  reader's mark back to it; a later one is recorded as "already checked in earlier");
- a mark a person set (the teacher, the office) is never changed by a reader, nor a submitted register;
- an unknown card, a student in no section the reader feeds, a grade that takes lesson registers, a day the
  school is closed: recorded and listed for the office, never refused.

A batch takes the reader's row lock (two batches of one reader are applied one after the other), then its
registers' locks in id order (as every writer of records does: services.registers_lock), writes the records
in bulk and counts each register once. Tallies of submitted registers never move: a reader does not write
to them."""

from __future__ import annotations

import datetime
import secrets
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.academics.models import Enrollment, EnrollmentStatus
from modules.attendance.models import (
    APPLIED_OUTCOMES,
    MAX_LATE_MINUTES,
    AttendanceDevice,
    AttendancePolicy,
    AttendanceRecord,
    AttendanceStatus,
    DeviceEvent,
    EventOutcome,
    RecordSource,
    Register,
    RegisterMode,
    RegisterState,
)
from modules.attendance.services import (
    is_school_day,
    register_tallies_recount,
    registers_lock,
)
from modules.core.audit import audit_log
from modules.core.secrets import secret_hash
from modules.people.models import Student

KEY_PREFIX = "sfd_"
MAX_BATCH = 1000  # check-ins in one call (more: 413, send them in parts)
# A check-in stamped this far ahead of the server's clock is a reader with a wrong clock: listed, not marked.
CLOCK_SKEW = datetime.timedelta(minutes=5)
# What an earlier check-in changes on a reader's mark.
CHANGED_FIELDS = ["status", "late_minutes", "reason", "marked_by", "marked_at", "checked_in_at"]


class DeviceError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RegisteredDevice:
    device: AttendanceDevice
    key: str  # shown once


@dataclass(frozen=True)
class CheckIn:
    event_id: str
    occurred_at: datetime.datetime
    card: str = ""
    student_id: int | None = None


@transaction.atomic
def device_register(*, by, name: str, place: str = "", sections=()) -> RegisteredDevice:
    name = name.strip()
    if not name:
        raise DeviceError(_("Give the reader a name, so that you know it again."))
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    device = AttendanceDevice.objects.create(
        name=name[:80],
        place=place.strip()[:120],
        key_prefix=key[:10],
        key_hash=secret_hash(key),
        created_by=by,
    )
    device.sections.set(sections)
    audit_log(
        actor=by,
        action="attendance.device_register",
        obj=device,
        after={"place": device.place, "sections": sorted(section.pk for section in sections)},
    )
    return RegisteredDevice(device, key)


@transaction.atomic
def device_revoke(*, device: AttendanceDevice, by) -> bool:
    revoked = AttendanceDevice.objects.filter(pk=device.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        audit_log(actor=by, action="attendance.device_revoke", obj=device)
    return bool(revoked)


def device_authenticate(key: str) -> AttendanceDevice | None:
    if not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    return AttendanceDevice.objects.usable().filter(key_hash=secret_hash(key)).first()


@dataclass
class _Target:
    """Where one student's check-ins of one day go."""

    register: Register | None
    outcome: EventOutcome | None  # why nothing is marked, when nothing can be


def _late_minutes(policy: AttendancePolicy, moment: datetime.datetime) -> int | None:
    """Minutes after the policy's late time (None: on time; no late time: always on time)."""
    if policy.late_after is None:
        return None
    local = timezone.localtime(moment)
    late_from = datetime.datetime.combine(local.date(), policy.late_after, tzinfo=local.tzinfo)
    if local <= late_from:
        return None
    return int((local - late_from).total_seconds() // 60)


@transaction.atomic
def checkins_record(*, device: AttendanceDevice, checkins: list[CheckIn]) -> dict[str, str]:
    """Record a reader's check-ins and mark what they can (see the module docstring). Returns each event id's
    outcome (one already recorded, by this call or an earlier one, answers its recorded outcome)."""
    if len(checkins) > MAX_BATCH:
        raise DeviceError(_("Send at most %(count)d check-ins at once.") % {"count": MAX_BATCH})
    device = AttendanceDevice.objects.select_for_update().get(pk=device.pk)
    now = timezone.now()
    AttendanceDevice.objects.filter(pk=device.pk).update(last_seen_at=now)
    # Each event id once: the first of the batch, and none already recorded.
    unique: dict[str, CheckIn] = {}
    for checkin in checkins:
        unique.setdefault(checkin.event_id, checkin)
    recorded = DeviceEvent.objects.filter(device=device, event_id__in=list(unique))
    outcomes: dict[str, str] = dict(recorded.values_list("event_id", "outcome"))
    fresh = [checkin for event_id, checkin in unique.items() if event_id not in outcomes]
    if not fresh:
        return outcomes
    students = _students(fresh)
    # Each student's earliest check-in of each day in this batch marks; the others are "earlier".
    earliest: dict[tuple[int, datetime.date], CheckIn] = {}
    for checkin in fresh:
        if (student_id := students.get(checkin.event_id)) is not None:
            key = (student_id, _day(checkin))
            if key not in earliest or checkin.occurred_at < earliest[key].occurred_at:
                earliest[key] = checkin
    policy = AttendancePolicy.load()
    marking = _Marking(policy=policy, now=now, targets=_targets(device, policy, set(earliest)))
    marking.apply(earliest)
    events = []
    for checkin in fresh:
        student_id = students.get(checkin.event_id)
        key = (student_id, _day(checkin)) if student_id else None
        if key is None:
            outcome = EventOutcome.UNKNOWN_CARD
        else:
            outcome = marking.outcomes[key]
            if earliest[key] is not checkin and outcome in (*APPLIED_OUTCOMES, EventOutcome.EARLIER):
                # A later read of the same morning: the earlier one marked (or had marked).
                outcome = EventOutcome.EARLIER
        record = marking.records.get(key) if key and outcome in APPLIED_OUTCOMES else None
        outcomes[checkin.event_id] = outcome
        events.append(
            DeviceEvent(
                device=device,
                event_id=checkin.event_id,
                card=checkin.card[:64],
                student_id=student_id,
                occurred_at=checkin.occurred_at,
                received_at=now,
                outcome=outcome,
                record=record,
            )
        )
    DeviceEvent.objects.bulk_create(events)
    return outcomes


@dataclass
class _Marking:
    """The marks one batch makes: each (student, day)'s outcome and, where it marked, its record."""

    policy: AttendancePolicy
    now: datetime.datetime
    targets: dict[tuple[int, datetime.date], _Target]
    outcomes: dict[tuple[int, datetime.date], EventOutcome] = field(default_factory=dict)
    records: dict[tuple[int, datetime.date], AttendanceRecord] = field(default_factory=dict)

    def apply(self, earliest: dict[tuple[int, datetime.date], CheckIn]) -> None:
        registers = sorted({t.register.pk for t in self.targets.values() if t.register is not None})
        registers_lock(registers)
        stored = {
            (record.register_id, record.student_id): record
            for record in AttendanceRecord.objects.select_for_update().filter(
                register_id__in=registers, student_id__in={student for student, _day in earliest}
            )
        }
        new_records, changed_records, started = [], [], set()
        for key, checkin in earliest.items():
            target = self.targets[key]
            outcome = target.outcome or self._outcome(checkin)
            record = stored.get((target.register.pk, key[0])) if target.register is not None else None
            if outcome in APPLIED_OUTCOMES:
                assert target.register is not None
                outcome = self._kept(target.register, record, checkin) or outcome
            self.outcomes[key] = outcome
            if outcome not in APPLIED_OUTCOMES:
                continue
            register = target.register
            assert register is not None
            values = {
                "status": AttendanceStatus.LATE if outcome == EventOutcome.LATE else AttendanceStatus.PRESENT,
                "late_minutes": _late_minutes(self.policy, checkin.occurred_at),
                "reason": "",
                "date": register.date,
                "marked_by": None,
                "marked_at": self.now,
                "source": RecordSource.DEVICE,
                "checked_in_at": checkin.occurred_at,
            }
            if record is None:
                record = AttendanceRecord(register=register, student_id=key[0], **values)
                new_records.append(record)
            else:
                for name, value in values.items():
                    setattr(record, name, value)
                changed_records.append(record)
            self.records[key] = record
            if register.state == RegisterState.NOT_TAKEN:
                started.add(register.pk)
        AttendanceRecord.objects.bulk_create(new_records)
        if changed_records:
            AttendanceRecord.objects.bulk_update(
                changed_records,
                ["status", "late_minutes", "reason", "marked_by", "marked_at", "checked_in_at"],
            )
        if started:
            Register.objects.filter(pk__in=started, state=RegisterState.NOT_TAKEN).update(
                state=RegisterState.IN_PROGRESS, started_at=self.now
            )
        register_tallies_recount(registers)

    def _outcome(self, checkin: CheckIn) -> EventOutcome:
        """What the check-in's time makes of it: present, late, too late, or a clock ahead of the school's."""
        if checkin.occurred_at > self.now + CLOCK_SKEW:
            return EventOutcome.FUTURE
        late = _late_minutes(self.policy, checkin.occurred_at)
        if late is None:
            return EventOutcome.PRESENT
        return EventOutcome.TOO_LATE if late > MAX_LATE_MINUTES else EventOutcome.LATE

    @staticmethod
    def _kept(register: Register, record: AttendanceRecord | None, checkin: CheckIn) -> EventOutcome | None:
        """Why the register's mark stays as it is (None: the check-in marks)."""
        if register.state == RegisterState.SUBMITTED:
            return EventOutcome.SUBMITTED
        if record is not None and record.source != RecordSource.DEVICE:
            return EventOutcome.PERSON_MARK
        if record is not None and record.checked_in_at and record.checked_in_at <= checkin.occurred_at:
            return EventOutcome.EARLIER
        return None


def _day(checkin: CheckIn) -> datetime.date:
    return timezone.localdate(checkin.occurred_at)


def _students(checkins: list[CheckIn]) -> dict[str, int]:
    """Each check-in's student (by card number, or by id as sent), for those that name an active student."""
    cards = {checkin.card for checkin in checkins if checkin.card}
    ids = {checkin.student_id for checkin in checkins if checkin.student_id and not checkin.card}
    found = Student.objects.filter(Q(card_number__in=cards) | Q(pk__in=ids), is_active=True).values_list(
        "pk", "card_number"
    )
    by_card = {card: pk for pk, card in found if card}
    by_id = {pk for pk, _card in found}
    students = {}
    for checkin in checkins:
        student = by_card.get(checkin.card) if checkin.card else checkin.student_id
        if student is not None and (checkin.card or student in by_id):
            students[checkin.event_id] = student
    return students


def _targets(
    device: AttendanceDevice, policy: AttendancePolicy, pairs: set[tuple[int, datetime.date]]
) -> dict[tuple[int, datetime.date], _Target]:
    """Each (student, day)'s daily register (made when it does not exist yet), or why there is none."""
    if not pairs:
        return {}
    days = {day for _student, day in pairs}
    school_days = {day for day in days if is_school_day(day)}
    fed = set(device.sections.values_list("pk", flat=True))
    # Each student's section on each day: an active enrolment of the year the day falls in.
    sections: dict[tuple[int, datetime.date], tuple[int, int]] = {}
    enrolments = Enrollment.objects.filter(
        student_id__in={student for student, _day in pairs},
        status=EnrollmentStatus.ACTIVE,
        year__start_date__lte=max(days),
        year__end_date__gte=min(days),
    ).values_list("student_id", "section_id", "section__grade_level_id", "year__start_date", "year__end_date")
    for student_id, section_id, grade_id, start, end in enrolments:
        for day in days:
            if start <= day <= end and (not fed or section_id in fed):
                sections[(student_id, day)] = (section_id, grade_id)
    targets: dict[tuple[int, datetime.date], _Target] = {}
    wanted: dict[tuple[int, datetime.date], set[tuple[int, datetime.date]]] = defaultdict(set)
    for pair in pairs:
        student_id, day = pair
        if day not in school_days:
            targets[pair] = _Target(None, EventOutcome.NOT_SCHOOL_DAY)
        elif pair not in sections:
            targets[pair] = _Target(None, EventOutcome.NOT_ENROLLED)
        elif policy.modes.for_grade(sections[pair][1]) != RegisterMode.DAILY:
            targets[pair] = _Target(None, EventOutcome.LESSON_REGISTERS)
        else:
            wanted[(sections[pair][0], day)].add(pair)
    if wanted:
        _ensure_registers(set(wanted))
        condition = Q(pk__in=[])
        for section_id, day in wanted:
            condition |= Q(section_id=section_id, date=day)
        for register in Register.objects.filter(condition, kind=RegisterMode.DAILY):
            for pair in wanted[(register.section_id, register.date)]:
                targets[pair] = _Target(register, None)
    return targets


def _ensure_registers(section_days: set[tuple[int, datetime.date]]) -> None:
    """The daily registers of these sections and days, made where a teacher has not opened them yet (the
    database's one-per-section-per-day constraint keeps a register made meanwhile)."""
    Register.objects.bulk_create(
        [
            Register(kind=RegisterMode.DAILY, section_id=section_id, date=day)
            for section_id, day in sorted(section_days)
        ],
        ignore_conflicts=True,
    )
