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

A reader at a classroom's door (`AttendanceDevice.room`) marks the register of the lesson in its room at the
check-in's time instead (the published timetable in effect that day; from EARLY before the lesson's start to
its end, a double lesson's second period included): present, or late after the lesson's start, and nothing
after its end; the earliest check-in of each lesson stands. A student not in the lesson's class, a time with
no lesson in the room, a grade that takes daily registers: recorded and listed, as above. Teachers' and room
changes made for the day (covers) are not followed: the timetable's room is the one read.

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

from modules.academics.models import Enrollment, EnrollmentStatus, Period
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
from modules.timetable.models import Lesson

KEY_PREFIX = "sfd_"
MAX_BATCH = 1000  # check-ins in one call (more: 413, send them in parts)
# A check-in stamped this far ahead of the server's clock is a reader with a wrong clock: listed, not marked.
CLOCK_SKEW = datetime.timedelta(minutes=5)
# At a classroom's door, a check-in this long before a lesson's start counts for it (students wait outside).
EARLY = datetime.timedelta(minutes=10)
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
def device_register(*, by, name: str, place: str = "", sections=(), room=None) -> RegisteredDevice:
    name = name.strip()
    if not name:
        raise DeviceError(_("Give the reader a name, so that you know it again."))
    if room is not None and sections:
        raise DeviceError(
            _("A classroom's reader marks the lessons in its room: choose a classroom or sections, not both.")
        )
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    device = AttendanceDevice.objects.create(
        name=name[:80],
        place=place.strip()[:120],
        key_prefix=key[:10],
        key_hash=secret_hash(key),
        room=room,
        created_by=by,
    )
    device.sections.set(sections)
    audit_log(
        actor=by,
        action="attendance.device_register",
        obj=device,
        after={
            "place": device.place,
            "sections": sorted(section.pk for section in sections),
            "room": room.pk if room is not None else None,
        },
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
    """Where one student's check-ins of one day (a gate reader) or one lesson (a classroom's) go."""

    register: Register | None
    outcome: EventOutcome | None  # why nothing is marked, when nothing can be
    # A lesson's: late after its start, too late after its end (a daily register: the policy's late time).
    starts: datetime.datetime | None = None
    ends: datetime.datetime | None = None


@dataclass(frozen=True)
class _Lesson:
    """A lesson in a classroom on a day, with its times (a double lesson ends with its second period)."""

    pk: int
    offering_id: int
    section_id: int
    grade_id: int
    period_id: int
    starts: datetime.datetime
    ends: datetime.datetime


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
    lessons = _room_lessons(device.room_id, {_day(checkin) for checkin in fresh}) if device.room_id else {}
    slots = {checkin.event_id: _slot(checkin, lessons, device.room_id) for checkin in fresh}
    # Each student's earliest check-in of each day (a classroom: each lesson) in this batch marks; the others
    # are "earlier".
    earliest: dict[tuple[int, Slot], CheckIn] = {}
    for checkin in fresh:
        if (student_id := students.get(checkin.event_id)) is not None:
            key = (student_id, slots[checkin.event_id])
            if key not in earliest or checkin.occurred_at < earliest[key].occurred_at:
                earliest[key] = checkin
    policy = AttendancePolicy.load()
    if device.room_id:
        targets = _lesson_targets(policy, set(earliest), lessons)
    else:
        targets = _targets(device, policy, set(earliest))
    marking = _Marking(policy=policy, now=now, targets=targets)
    marking.apply(earliest)
    events = []
    for checkin in fresh:
        student_id = students.get(checkin.event_id)
        key = (student_id, slots[checkin.event_id]) if student_id else None
        if key is None:
            outcome = EventOutcome.UNKNOWN_CARD
        else:
            outcome = marking.outcomes[key]
            if earliest[key] is not checkin and outcome in (*APPLIED_OUTCOMES, EventOutcome.EARLIER):
                # A later read of the same morning (lesson): the earlier one marked (or had marked).
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
    targets: dict[tuple[int, Slot], _Target]
    outcomes: dict[tuple[int, Slot], EventOutcome] = field(default_factory=dict)
    records: dict[tuple[int, Slot], AttendanceRecord] = field(default_factory=dict)

    def apply(self, earliest: dict[tuple[int, Slot], CheckIn]) -> None:
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
            outcome = target.outcome or self._outcome(checkin, target)
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
                "late_minutes": self._late(checkin, target),
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

    def _late(self, checkin: CheckIn, target: _Target) -> int | None:
        """Minutes late (None: on time): after the lesson's start, or the policy's late time of the day."""
        if target.starts is None:
            return _late_minutes(self.policy, checkin.occurred_at)
        if checkin.occurred_at <= target.starts:
            return None
        return int((checkin.occurred_at - target.starts).total_seconds() // 60)

    def _outcome(self, checkin: CheckIn, target: _Target) -> EventOutcome:
        """What the check-in's time makes of it: present, late, too late, or a clock ahead of the school's."""
        if checkin.occurred_at > self.now + CLOCK_SKEW:
            return EventOutcome.FUTURE
        late = self._late(checkin, target)
        if late is None:
            return EventOutcome.PRESENT
        too_late = checkin.occurred_at > target.ends if target.ends is not None else late > MAX_LATE_MINUTES
        return EventOutcome.TOO_LATE if too_late else EventOutcome.LATE

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


# Where a check-in goes: its day (a gate reader), or its day and the lesson in the room then (None: none).
Slot = datetime.date | tuple[datetime.date, int | None]


def _slot(checkin: CheckIn, lessons: dict[datetime.date, list[_Lesson]], room_id: int | None) -> Slot:
    day = _day(checkin)
    if room_id is None:
        return day
    at = checkin.occurred_at
    during = [lesson for lesson in lessons.get(day, []) if lesson.starts - EARLY <= at <= lesson.ends]
    # Two lessons overlapping (one ends as the next starts): the one that starts last.
    return day, max(during, key=lambda lesson: lesson.starts).pk if during else None


def _room_lessons(room_id: int, days: set[datetime.date]) -> dict[datetime.date, list[_Lesson]]:
    """The lessons of the timetable in effect in the room on each day (one query a day of the batch)."""
    periods = list(Period.objects.order_by("order").values_list("pk", "start_time", "end_time"))
    times = {pk: (starts, ends) for pk, starts, ends in periods}
    following = {pk: periods[index + 1][0] for index, (pk, _s, _e) in enumerate(periods[:-1])}
    found: dict[datetime.date, list[_Lesson]] = {}
    for day in days:
        rows = (
            Lesson.objects.in_effect_on(day)
            .filter(room_id=room_id, period__isnull=False)
            .values_list(
                "pk",
                "offering_id",
                "offering__section_id",
                "offering__section__grade_level_id",
                "period_id",
                "length",
            )
        )
        found[day] = []
        for pk, offering_id, section_id, grade_id, period_id, length in rows:
            last = following.get(period_id, period_id) if length == 2 else period_id
            starts = timezone.make_aware(datetime.datetime.combine(day, times[period_id][0]))
            ends = timezone.make_aware(datetime.datetime.combine(day, times[last][1]))
            found[day].append(_Lesson(pk, offering_id, section_id, grade_id, period_id, starts, ends))
    return found


def _lesson_targets(
    policy: AttendancePolicy,
    pairs: set[tuple[int, Slot]],
    lessons: dict[datetime.date, list[_Lesson]],
) -> dict[tuple[int, Slot], _Target]:
    """Each (student, lesson)'s lesson register (made when it does not exist yet), or why there is none."""
    by_pk = {lesson.pk: lesson for day_lessons in lessons.values() for lesson in day_lessons}
    days = {slot[0] for _student, slot in pairs if isinstance(slot, tuple)}
    school_days = {day for day in days if is_school_day(day)}
    sections = {lesson.section_id for lesson in by_pk.values()}
    enrolled = set(
        Enrollment.objects.filter(
            student_id__in={student for student, _slot in pairs},
            section_id__in=sections,
            status=EnrollmentStatus.ACTIVE,
        ).values_list("student_id", "section_id")
    )
    targets: dict[tuple[int, Slot], _Target] = {}
    wanted: dict[tuple[int, datetime.date, int], set[tuple[int, Slot]]] = defaultdict(set)
    for pair in pairs:
        student_id, (day, lesson_pk) = pair
        lesson = by_pk.get(lesson_pk) if lesson_pk is not None else None
        if day not in school_days:
            targets[pair] = _Target(None, EventOutcome.NOT_SCHOOL_DAY)
        elif lesson is None:
            targets[pair] = _Target(None, EventOutcome.NO_LESSON)
        elif (student_id, lesson.section_id) not in enrolled:
            targets[pair] = _Target(None, EventOutcome.NOT_IN_CLASS)
        elif policy.modes.for_grade(lesson.grade_id) != RegisterMode.LESSON:
            targets[pair] = _Target(None, EventOutcome.DAILY_REGISTERS)
        else:
            wanted[(lesson.pk, day, lesson.period_id)].add(pair)
    if wanted:
        Register.objects.bulk_create(
            [
                Register(
                    kind=RegisterMode.LESSON,
                    date=day,
                    offering_id=by_pk[lesson_pk].offering_id,
                    section_id=by_pk[lesson_pk].section_id,
                    period_id=period_id,
                )
                for lesson_pk, day, period_id in sorted(wanted)
            ],
            ignore_conflicts=True,
        )
        condition = Q(pk__in=[])
        for lesson_pk, day, period_id in wanted:
            condition |= Q(offering_id=by_pk[lesson_pk].offering_id, date=day, period_id=period_id)
        registers = {
            (register.offering_id, register.date, register.period_id): register
            for register in Register.objects.filter(condition, kind=RegisterMode.LESSON)
        }
        for (lesson_pk, day, period_id), wanting in wanted.items():
            lesson = by_pk[lesson_pk]
            register = registers[(lesson.offering_id, day, period_id)]
            for pair in wanting:
                targets[pair] = _Target(register, None, starts=lesson.starts, ends=lesson.ends)
    return targets


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
