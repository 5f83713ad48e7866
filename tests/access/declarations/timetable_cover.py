"""Cover for absent teachers: the office's pages (the board, marking a teacher away, assigning and removing
cover) are administrators' only; a teacher's own cover lessons are for teachers. (The covering teacher's
right to the lesson's register is tested in tests/timetable/test_cover_register.py.)"""

from tests.access.matrix import ADMIN_ONLY, ADMIN_ONLY_POST, Rule, expect


def _absence(s):
    import datetime

    from modules.timetable.models import TeacherAbsence

    day = s.year.start_date + datetime.timedelta(days=1)
    return TeacherAbsence.objects.get_or_create(staff=s.teacher_staff, date=day)[0]


def _absence_pk(s) -> dict:
    return {"pk": _absence(s).pk}


def _cover_pk(s) -> dict:
    import datetime

    from modules.academics.models import Period
    from modules.timetable.models import Cover, Lesson, Timetable

    absence = _absence(s)
    period = Period.objects.first() or Period.objects.create(
        name="Matrix period", order=90, start_time=datetime.time(8), end_time=datetime.time(9)
    )
    timetable = Timetable.objects.create(year=s.year, name="Matrix timetable")
    lesson = Lesson.objects.create(
        timetable=timetable,
        offering=s.offering,
        teacher=s.teacher_staff,
        weekday=absence.date.weekday(),
        period=period,
    )
    cover = Cover.objects.create(
        lesson=lesson, date=absence.date, absence=absence, teacher=s.other_teacher_staff
    )
    return {"pk": cover.pk}


RULES = [
    Rule("timetable:cover_board", expect=ADMIN_ONLY),
    Rule("timetable:cover_absence_new", expect=ADMIN_ONLY),
    Rule("timetable:cover_absence_remove", method="post", kwargs=_absence_pk, expect=ADMIN_ONLY_POST),
    # Empty: the office is told the lesson or teacher is gone and sent back to the board.
    Rule("timetable:cover_assign", method="post", expect=ADMIN_ONLY_POST),
    Rule("timetable:cover_remove", method="post", kwargs=_cover_pk, expect=ADMIN_ONLY_POST),
    Rule("timetable:my_cover", expect=expect(403, teacher=200, other_teacher=200)),
]
