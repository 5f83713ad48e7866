"""Writing attendance: creating the day's registers, marking one student, submitting a register."""

from __future__ import annotations

import contextlib
import datetime

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.academics.models import CalendarEvent, Section, Term
from modules.accounts.models import User
from modules.attendance import rules
from modules.attendance.events import record_corrected, register_submitted
from modules.attendance.models import (
    MAX_LATE_MINUTES,
    POLICY_CACHE_KEY,
    AttendancePolicy,
    AttendanceRecord,
    AttendanceStatus,
    GradeRegisterMode,
    RecordSource,
    Register,
    RegisterMode,
    RegisterModes,
    RegisterState,
    RegisterTally,
    StudentTermTally,
)
from modules.attendance.selectors import (
    STATUS_FIELDS,
    attendance_summary,
    register_students,
    student_on_register,
)
from modules.core.audit import audit_log, snapshot
from modules.core.concurrency import EditConflict, Verdict, edit_verdict
from modules.people.models import Staff, Student
from modules.timetable.models import Cover, Lesson
from modules.timetable.selectors import lesson_cover, teacher_lessons_on

AUDITED_FIELDS = ["status", "late_minutes", "reason", "note"]
POLICY_FIELDS = ["mode", "teacher_edit_days", "chronic_absence_percent", "notify_absences", "late_after"]


class AttendanceError(Exception):
    """A change refused; the message is for the person who tried it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def is_school_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and not CalendarEvent.objects.closures().on(day).exists()


def _grade_modes_by_name() -> dict[str, str]:
    return dict(
        GradeRegisterMode.objects.order_by("grade_level__order").values_list("grade_level__name", "mode")
    )


@transaction.atomic
def policy_save(
    *, policy: AttendancePolicy, grade_modes: dict[int, str], before: dict, by: User
) -> AttendancePolicy:
    """Save the school's attendance rules and the grade levels' own register modes together (a grade's ""
    = the same as the school: its row goes), with one audit event. `before`: the policy's audited fields as
    stored before the form wrote onto it."""
    before = {**before, "grade_modes": _grade_modes_by_name()}
    policy.save()
    stored = {row.grade_level_id: row for row in GradeRegisterMode.objects.select_for_update()}
    for grade_id, mode in grade_modes.items():
        row = stored.get(grade_id)
        if not mode:
            if row is not None:
                row.delete()
        elif row is None:
            GradeRegisterMode.objects.create(grade_level_id=grade_id, mode=mode)
        elif row.mode != mode:
            row.mode = mode
            row.save(update_fields=["mode"])
    audit_log(
        actor=by,
        action="attendance.policy",
        obj=policy,
        before=before,
        after={**snapshot(policy, POLICY_FIELDS), "grade_modes": _grade_modes_by_name()},
    )
    # Also after the commit: a page that read the cache meanwhile must not keep the old modes for a minute.
    transaction.on_commit(lambda: cache.delete(POLICY_CACHE_KEY))
    return policy


def registers_expected(
    *,
    day: datetime.date,
    policy: AttendancePolicy,
    teacher: User | None = None,
    closed: bool | None = None,
    lessons: list[Lesson] | None = None,
) -> list[Register]:
    """The registers that must exist on a day (for one teacher, or the whole school), created if missing:
    a daily register for each section of a grade level that takes one a day, a lesson register for each
    lesson (of the timetable in effect) of a section of a grade level that takes one per lesson
    (policy.modes: the grade's own mode, else the school's). Daily registers first, then by period.

    Holidays, closures and weekends have none (`closed` says so when the caller already looked it up).
    A teacher's daily registers are those of the sections they lead; their lesson registers those of their
    lessons that day (`lessons`: the teacher's from timetable.selectors.teacher_lessons_on, when the caller
    already has them). Creation is idempotent (unique constraints) and in bulk.
    """
    if closed if closed is not None else not is_school_day(day):
        return []
    modes = policy.modes
    kinds = modes.kinds()
    missing: list[Register] = []
    daily_sections: list[int] = []
    slots: list[tuple[int, int, int]] = []
    if RegisterMode.DAILY in kinds:
        sections = Section.objects.filter(year__start_date__lte=day, year__end_date__gte=day)
        if not modes.uniform:
            sections = sections.filter(_of_grades_q(modes, RegisterMode.DAILY))
        if teacher is not None:
            sections = sections.filter(homeroom_teacher__user=teacher)
        daily_sections = list(sections.values_list("pk", flat=True))
        have = set(
            Register.objects.filter(
                kind=RegisterMode.DAILY, date=day, section_id__in=daily_sections
            ).values_list("section_id", flat=True)
        )
        missing += [
            Register(kind=RegisterMode.DAILY, date=day, section_id=pk)
            for pk in daily_sections
            if pk not in have
        ]
    if RegisterMode.LESSON in kinds:
        slots = lesson_slots(day=day, teacher=teacher, lessons=lessons)
        if not modes.uniform:
            lesson_sections = _sections_of_mode(
                modes, RegisterMode.LESSON, {section for _o, section, _p in slots}
            )
            slots = [slot for slot in slots if slot[1] in lesson_sections]
        existing = Register.objects.filter(
            kind=RegisterMode.LESSON, date=day, offering_id__in=[offering for offering, _s, _p in slots]
        )
        have_slots = set(existing.values_list("offering_id", "period_id"))
        missing += [
            Register(
                kind=RegisterMode.LESSON, date=day, offering_id=offering, section_id=section, period_id=period
            )
            for offering, section, period in slots
            if (offering, period) not in have_slots
        ]
    if missing:
        Register.objects.bulk_create(missing, ignore_conflicts=True)
    registers = Register.objects.filter(date=day, kind__in=kinds).select_related(
        "section__grade_level", "offering__subject", "period"
    )
    taken = {(offering, period) for offering, _s, period in slots}
    wanted = Q()
    if RegisterMode.DAILY in kinds:
        wanted |= Q(kind=RegisterMode.DAILY, section_id__in=daily_sections)
    if RegisterMode.LESSON in kinds:
        if teacher is None:
            wanted |= modes.counted_q() & Q(kind=RegisterMode.LESSON)
        else:
            # Not visible_to(): a teacher who also works in the office sees every register, but takes only
            # theirs: those of the lessons they teach that day (not covered by someone else) and they cover.
            wanted |= Q(kind=RegisterMode.LESSON, offering_id__in={offering for offering, _p in taken})
    registers = registers.filter(wanted).order_by("kind", "period__order", "section__name")
    if teacher is None:
        return list(registers)
    return [
        register
        for register in registers
        if register.kind == RegisterMode.DAILY or (register.offering_id, register.period_id) in taken
    ]


def _of_grades_q(modes: RegisterModes, mode: str, prefix: str = "") -> Q:
    """Sections (through `prefix`) of the grade levels whose register mode is `mode`."""
    own = [pk for pk, grade_mode in modes.by_grade if grade_mode == mode]
    if mode == modes.default:
        others = [pk for pk, _grade_mode in modes.by_grade]
        return ~Q(**{f"{prefix}grade_level_id__in": others})
    return Q(**{f"{prefix}grade_level_id__in": own})


def _sections_of_mode(modes: RegisterModes, mode: str, section_ids: set[int]) -> set[int]:
    if not section_ids:
        return set()
    return set(
        Section.objects.filter(_of_grades_q(modes, mode), pk__in=section_ids).values_list("pk", flat=True)
    )


def lesson_slots(
    *, day: datetime.date, teacher: User | None = None, lessons: list[Lesson] | None = None
) -> list[tuple[int, int, int]]:
    """(class, section, first period) of each lesson of the timetable in effect on a day: one register per
    lesson, a double lesson's at its first period. For a teacher, the lessons whose register they take: those
    they teach that nobody else covers that day, and those they cover (a co-teacher of a class does not take
    its register)."""
    if teacher is None:
        return list(
            Lesson.objects.in_effect_on(day)
            .filter(period__isnull=False)
            .values_list("offering_id", "offering__section_id", "period_id")
        )
    staff = getattr(teacher, "staff_profile", None)
    if staff is None:
        return []
    return [
        (lesson.offering_id, lesson.offering.section_id, lesson.period_id)
        for lesson in (teacher_lessons_on(staff, day) if lessons is None else lessons)
        if lesson.period_id is not None
        and (lesson_cover(lesson) is not None or staff.pk in (lesson.teacher_id, lesson.offering.teacher_id))
    ]


def lesson_register_takers(registers: list[Register]) -> dict[int, tuple[Staff | None, bool]]:
    """Who takes each lesson register of a list, by register id: the teacher covering its lesson that day
    (True: a cover), else the lesson's teacher in the timetable in effect that day, else the class's teacher
    (a register whose lesson the timetable no longer has). Two queries a day of registers."""
    lesson_registers = [r for r in registers if r.kind == RegisterMode.LESSON and r.offering_id]
    takers: dict[int, tuple[Staff | None, bool]] = {}
    for day in {register.date for register in lesson_registers}:
        of_day = [register for register in lesson_registers if register.date == day]
        lessons: dict[tuple[int | None, int | None], Lesson] = {
            (lesson.offering_id, lesson.period_id): lesson
            for lesson in Lesson.objects.in_effect_on(day)
            .filter(offering_id__in={register.offering_id for register in of_day})
            .select_related("teacher")
        }
        covers = {
            cover.lesson_id: cover.teacher
            # A cover for an absent co-teacher leaves the register with the lesson's teacher.
            for cover in Cover.objects.taking_register()
            .filter(date=day, lesson_id__in=[lesson.pk for lesson in lessons.values()])
            .select_related("teacher")
        }
        for register in of_day:
            lesson = lessons.get((register.offering_id, register.period_id))
            if lesson is not None and lesson.pk in covers:
                takers[register.pk] = (covers[lesson.pk], True)
            elif lesson is not None and lesson.teacher is not None:
                takers[register.pk] = (lesson.teacher, False)
            else:
                takers[register.pk] = (register.offering.teacher if register.offering else None, False)
    return takers


def _clean_mark(status: str, late_minutes: int | None, reason: str, note: str) -> tuple[int | None, str, str]:
    if status not in AttendanceStatus.values:
        raise AttendanceError(_("“%(status)s” is not an attendance status.") % {"status": status})
    if status == AttendanceStatus.LATE:
        if late_minutes is None:
            late_minutes = 0
        if late_minutes < 0 or late_minutes > MAX_LATE_MINUTES:
            raise AttendanceError(
                _("Minutes late must be between 0 and %(max)s.") % {"max": MAX_LATE_MINUTES}
            )
    else:
        late_minutes = None
    reason = (reason or "").strip()[:200] if status == AttendanceStatus.EXCUSED else ""
    return late_minutes, reason, (note or "").strip()[:300]


def _row_value(status, late_minutes, reason, note) -> tuple:
    """What a register row shows, as compared for lost updates: status, minutes late, excuse, note."""
    # A tampered base is compared as sent, so it differs from anything stored.
    with contextlib.suppress(AttendanceError, TypeError):
        late_minutes, reason, note = _clean_mark(status, late_minutes, reason, note)
    return (status, late_minutes, reason, note)


def record_value(record: AttendanceRecord | None) -> tuple:
    """A stored row as compared with a page's base; no record is present (how an unmarked row is drawn)."""
    if record is None:
        return (AttendanceStatus.PRESENT, None, "", "")
    return (record.status, record.late_minutes, record.reason, record.note)


@transaction.atomic
def record_mark(
    *,
    register: Register,
    student_id: int,
    status: str,
    by: User,
    late_minutes: int | None = None,
    reason: str = "",
    note: str = "",
    change_reason: str = "",
    policy: AttendancePolicy | None = None,
    base: dict | None = None,
) -> AttendanceRecord:
    """Mark one student on a register. Refused (AttendanceError) with a message when not allowed or invalid.

    One record per student per register, enforced by the database: two people marking different students
    at once both land, nothing is duplicated. `base` is what the row showed when the person's page was drawn
    (status, late_minutes, reason, note): a row someone else changed since is not overwritten (EditConflict
    with the stored record, or None when it was never marked), and an unchanged row leaves theirs as it is
    (core.concurrency). Changes after submission are audited with the reason and announced after commit
    (`record_corrected`: guardians may be owed a correction).
    """
    policy = policy or AttendancePolicy.load()
    refusal = rules.edit_refusal(by, register, policy=policy)
    if refusal:
        raise AttendanceError(refusal)
    if rules.needs_reason(by, register, policy=policy) and not change_reason.strip():
        raise AttendanceError(
            _("Give a reason for changing a submitted register after the teachers' cut-off.")
        )
    late_minutes, reason, note = _clean_mark(status, late_minutes, reason, note)
    student = student_on_register(register, student_id)
    if student is None:
        raise AttendanceError(_("That student is not on this register."))
    # The register's row lock, before the record's (the order register_submit takes them in): two people
    # marking the same register at once are counted one after the other (register_tallies_recount).
    registers_lock([register.pk])
    values = {
        "status": status,
        "late_minutes": late_minutes,
        "reason": reason,
        "note": note,
        "date": register.date,
        "marked_by": by,
        "marked_at": timezone.now(),
        "source": RecordSource.PERSON,  # a person's change of a reader's mark is theirs from now on
    }
    record = AttendanceRecord.objects.select_for_update().filter(register=register, student=student).first()
    if base is not None:
        _check_base(base, (status, late_minutes, reason, note), record)
        if record is not None and _row_value(**base) == (status, late_minutes, reason, note):
            # Not this person's change (they sent what their page showed); the stored row stands.
            record.student = student
            return record
    before = snapshot(record, AUDITED_FIELDS) if record else None
    if record is not None:
        record.student = student  # the caller shows the row: no second query for the student
    if record is None:
        try:
            with transaction.atomic():
                record = AttendanceRecord.objects.create(register=register, student=student, **values)
        except IntegrityError:
            # Someone else marked this student at the same moment: apply this change on top of theirs, unless
            # the page sent a base (then theirs is a mark this person has not seen).
            record = AttendanceRecord.objects.select_for_update().get(register=register, student=student)
            if base is not None:
                _check_base(base, (status, late_minutes, reason, note), record)
            before = snapshot(record, AUDITED_FIELDS)
    if before is not None:
        for field, value in values.items():
            setattr(record, field, value)
        record.save()
    register_tallies_recount([register.pk])
    if register.state == RegisterState.SUBMITTED:
        student_tallies_recount(student_ids=[student.pk], day=register.date, kind=register.kind)
    if register.state == RegisterState.NOT_TAKEN:
        Register.objects.filter(pk=register.pk, state=RegisterState.NOT_TAKEN).update(
            state=RegisterState.IN_PROGRESS, started_at=timezone.now()
        )
        register.state = RegisterState.IN_PROGRESS
    if register.state == RegisterState.SUBMITTED and before != snapshot(record, AUDITED_FIELDS):
        audit_log(
            actor=by,
            action="attendance.change",
            obj=record,
            before=before,
            after=snapshot(record, AUDITED_FIELDS),
            reason=change_reason.strip(),
        )
        record_corrected.send_on_commit(record_id=record.pk, by=by)
    return record


def _check_base(base: dict, new: tuple, record: AttendanceRecord | None) -> None:
    if edit_verdict(base=_row_value(**base), new=new, stored=record_value(record)) is Verdict.CONFLICT:
        raise EditConflict(current=record)


@transaction.atomic
def register_submit(*, register: Register, by: User, policy: AttendancePolicy | None = None) -> int:
    """Finalise a register: unmarked students are saved present. Announced once the transaction commits
    (`register_submitted`): guardians of students absent without an excuse are told on the queue. Returns
    how many were saved present."""
    policy = policy or AttendancePolicy.load()
    refusal = rules.edit_refusal(by, register, policy=policy)
    if refusal:
        raise AttendanceError(refusal)
    register = Register.objects.select_for_update().get(pk=register.pk)
    marked = set(AttendanceRecord.objects.filter(register=register).values_list("student_id", flat=True))
    now = timezone.now()
    present = [
        AttendanceRecord(
            register=register,
            student_id=student_id,
            status=AttendanceStatus.PRESENT,
            date=register.date,
            marked_by=by,
            marked_at=now,
        )
        for student_id in register_students(register).values_list("pk", flat=True)
        if student_id not in marked
    ]
    AttendanceRecord.objects.bulk_create(present, ignore_conflicts=True)
    register_tallies_recount([register.pk])
    first_submission = register.state != RegisterState.SUBMITTED
    register.state = RegisterState.SUBMITTED
    register.submitted_at = now
    register.submitted_by = by
    register.started_at = register.started_at or now
    register.save(update_fields=["state", "submitted_at", "submitted_by", "started_at"])
    # Once submitted: its marks are now possible sessions of its students' term.
    student_tallies_recount(
        student_ids=marked | {record.student_id for record in present}, day=register.date, kind=register.kind
    )
    audit_log(
        actor=by,
        action="attendance.submit" if first_submission else "attendance.resubmit",
        obj=register,
        after={"saved_present": len(present)},
    )
    register_submitted.send_on_commit(register_id=register.pk, by=by)
    return len(present)


# --- tallies: each register's marks, and each student's over a term, counted by status, for the reports ---
#
# Why a recount under row locks, and not F() increments: a recount is right whatever wrote the records (a
# mark, a submission, an accepted absence note, a deletion, a bulk load) and whatever the tally said before,
# so there is no "which status did this row have" bookkeeping to get wrong, and running it twice changes
# nothing. The locks make two writers of one register (or of one student's term) count one after the other:
# the second's count, a new statement under READ COMMITTED, sees the first's committed change. The price is
# one grouped read of at most a class's records per mark (and of one student's term on a submitted one).


def registers_lock(register_ids) -> list[int]:
    """Take the registers' row locks (in id order, so two writers never wait on each other in a circle).
    Every writer of records takes its registers' locks before the records' own (PostgreSQL; SQLite writes
    one at a time anyway). Returns the ids of those that exist."""
    registers = Register.objects.select_for_update().filter(pk__in=list(register_ids)).order_by("pk")
    return list(registers.values_list("pk", flat=True))


def register_tallies_recount(register_ids) -> None:
    """Count the registers' records by status and store the counts (RegisterTally), in two queries. The
    caller holds the registers' locks (registers_lock) in the transaction that wrote the records."""
    ids = sorted(set(register_ids))
    if not ids:
        return
    tallies = {pk: RegisterTally(register_id=pk) for pk in ids}
    rows = (
        AttendanceRecord.objects.filter(register_id__in=ids, status__in=STATUS_FIELDS)
        .order_by()
        .values_list("register_id", "status")
        .annotate(n=Count("pk"))
    )
    for register_id, status, count in rows:
        setattr(tallies[register_id], status, count)
    RegisterTally.objects.bulk_create(
        list(tallies.values()),
        update_conflicts=True,
        unique_fields=["register"],
        update_fields=list(STATUS_FIELDS),
    )


def terms_of(day: datetime.date) -> list[tuple[int, datetime.date, datetime.date]]:
    """(id, first day, last day) of the terms a day falls in."""
    return list(
        Term.objects.filter(start_date__lte=day, end_date__gte=day).values_list(
            "pk", "start_date", "end_date"
        )
    )


def student_tallies_recount(*, student_ids, day: datetime.date, kind: str) -> None:
    """Recount the students' term tallies (StudentTermTally) of the term(s) `day` falls in, for registers
    of `kind`: selectors.attendance_summary over the term, the one definition. Three queries per term, in
    the caller's transaction: the rows are made or locked first (an upsert takes the row locks, in student
    order), then counted, then written."""
    ids = sorted(set(student_ids))
    if not ids:
        return
    for term_id, start, end in terms_of(day):
        unique = ["student", "term", "kind"]
        StudentTermTally.objects.bulk_create(
            [StudentTermTally(student_id=pk, term_id=term_id, kind=kind) for pk in ids],
            update_conflicts=True,
            unique_fields=unique,
            update_fields=["kind"],
        )
        summaries = attendance_summary(ids, start, end, mode=kind)
        counted = [
            StudentTermTally(
                student_id=pk,
                term_id=term_id,
                kind=kind,
                **{status: getattr(summaries[pk], status) for status in STATUS_FIELDS},
            )
            for pk in ids
        ]
        StudentTermTally.objects.bulk_create(
            counted, update_conflicts=True, unique_fields=unique, update_fields=list(STATUS_FIELDS)
        )


def tallies_after_records_changed(*, register_ids, student_days: set[tuple[int, datetime.date, str]]) -> None:
    """After records were changed around record_mark and register_submit (an accepted absence note): the
    registers' tallies and the students' term tallies. The caller took the registers' locks first."""
    register_tallies_recount(register_ids)
    for student_id, day, kind in sorted(student_days):
        student_tallies_recount(student_ids=[student_id], day=day, kind=kind)


def record_tallies_after_delete(*, register_id: int, student_id: int, day: datetime.date) -> None:
    """Recount after a record was deleted (models.on_record_deleted, once the deletion committed): its
    register (unless it went too) and its student's term, in either register mode."""
    with transaction.atomic():
        register_tallies_recount(registers_lock([register_id]))
        if not Student.objects.filter(pk=student_id).exists():
            return  # deleted with the student: their tallies went with them
        for kind in RegisterMode.values:
            student_tallies_recount(student_ids=[student_id], day=day, kind=kind)


# Registers recounted per transaction by tallies_rebuild.
TALLY_BATCH = 500


def tallies_rebuild(*, start: datetime.date | None = None, end: datetime.date | None = None) -> int:
    """Recount every register's tally (between two days, when given) and the term tallies of every student
    with marks in the terms those days touch; returns how many register tallies changed. Each batch is its
    own transaction under its locks, so a school keeps marking while it runs. Safe to run again at any time:
    the backfill of registers taken before tallies existed, and the repair of any written around the
    services (`manage.py attendance_tallies`, and the nightly catch-up for the current term)."""
    registers = Register.objects.order_by("pk")
    if start is not None:
        registers = registers.filter(date__gte=start)
    if end is not None:
        registers = registers.filter(date__lte=end)
    ids = list(registers.filter(records__isnull=False).distinct().values_list("pk", flat=True))
    ids += list(registers.filter(records__isnull=True, tally__isnull=False).values_list("pk", flat=True))
    changed = 0
    for first in range(0, len(ids), TALLY_BATCH):
        with transaction.atomic():
            batch = registers_lock(ids[first : first + TALLY_BATCH])
            tallies = RegisterTally.objects.filter(register_id__in=batch).values_list(
                "register_id", *STATUS_FIELDS
            )
            before = {row[0]: row[1:] for row in tallies}
            register_tallies_recount(batch)
            changed += sum(1 for row in tallies.all() if before.get(row[0]) != row[1:])
    terms = Term.objects.all()
    if start is not None:
        terms = terms.filter(end_date__gte=start)
    if end is not None:
        terms = terms.filter(start_date__lte=end)
    for term in terms.order_by("start_date"):
        for kind in RegisterMode.values:
            term_tallies_recount(term=term, kind=kind)
    return changed


@transaction.atomic
def term_tallies_recount(*, term: Term, kind: str) -> None:
    """Recount every student's term tally of one term and register mode: the rows are made or locked first
    (so no mark's own recount runs in between), then the whole term is counted in one scan (the one
    definition, selectors.attendance_summary) and written. Students whose marks all went are set to zero."""
    records = AttendanceRecord.objects.filter(
        date__range=(term.start_date, term.end_date), register__kind=kind
    )
    student_ids = set(records.order_by().values_list("student_id", flat=True).distinct())
    student_ids |= set(
        StudentTermTally.objects.filter(term=term, kind=kind).values_list("student_id", flat=True)
    )
    if not student_ids:
        return
    ids = sorted(student_ids)
    unique = ["student", "term", "kind"]
    StudentTermTally.objects.bulk_create(
        [StudentTermTally(student_id=pk, term=term, kind=kind) for pk in ids],
        update_conflicts=True,
        unique_fields=unique,
        update_fields=["kind"],
        batch_size=TALLY_BATCH,
    )
    summaries = attendance_summary(None, term.start_date, term.end_date, mode=kind)
    counted = [
        StudentTermTally(
            student_id=pk,
            term=term,
            kind=kind,
            **{status: getattr(summaries[pk], status) for status in STATUS_FIELDS},
        )
        for pk in ids
    ]
    StudentTermTally.objects.bulk_create(
        counted,
        update_conflicts=True,
        unique_fields=unique,
        update_fields=list(STATUS_FIELDS),
        batch_size=TALLY_BATCH,
    )


def term_tallies_catch_up(*, today: datetime.date | None = None) -> int:
    """The nightly repair: recount the tallies of the current term so far (of the last 30 days when no
    term is running). Returns how many register tallies were wrong."""
    today = today or timezone.localdate()
    term = Term.objects.filter(start_date__lte=today, end_date__gte=today).order_by("start_date").first()
    start = term.start_date if term is not None else today - datetime.timedelta(days=29)
    return tallies_rebuild(start=start, end=today)
