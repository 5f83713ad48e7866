"""The timetables pages (modules/timetable/views_drafts.py): the office only. Another timetable's lesson is
404, and so is a published timetable's publish or delete page (tests/timetable/test_edit.py,
test_publish.py, test_generate_job.py)."""

import datetime

from modules.core.models import Job
from modules.timetable.generating import JOB_KIND
from modules.timetable.models import Lesson, Timetable
from tests import factories as f
from tests.access.matrix import ADMIN_ONLY, ADMIN_ONLY_POST, Rule


def _draft(school) -> Timetable:
    timetable = Timetable.objects.filter(name="Access draft").first()
    if timetable is None:
        timetable = Timetable.objects.create(year=school.year, name="Access draft")
        period = f.PeriodFactory(
            name="Access P1", order=91, start_time=datetime.time(8), end_time=datetime.time(9)
        )
        Lesson.objects.create(
            timetable=timetable,
            offering=school.offering,
            teacher=school.teacher_staff,
            weekday=0,
            period=period,
        )
    return timetable


def _timetable(school) -> dict:
    return {"pk": _draft(school).pk}


def _lesson(school) -> dict:
    timetable = _draft(school)
    return {"pk": timetable.pk, "lesson_pk": timetable.lessons.get().pk}


def _version(school) -> dict:
    return {"version": Timetable.objects.get(name="Access draft").version}


def _job(school) -> dict:
    timetable = _draft(school)
    job = Job.objects.create(kind=JOB_KIND, owner_id=_owner(), payload={"timetable": timetable.pk})
    return {"pk": job.pk}


def _owner() -> int:
    from modules.accounts.models import User

    return User.objects.get(email="admin@school.test").pk


RULES = [
    Rule("timetable:timetables", expect=ADMIN_ONLY),
    Rule("timetable:timetable_generate", method="post", data={"name": "Access"}, expect=ADMIN_ONLY_POST),
    Rule("timetable:generation", kwargs=_job, expect=ADMIN_ONLY),
    Rule("timetable:timetable", kwargs=_timetable, expect=ADMIN_ONLY),
    Rule("timetable:timetable_diff", kwargs=_timetable, expect=ADMIN_ONLY),
    Rule("timetable:lesson_move", kwargs=_lesson, expect=ADMIN_ONLY),
    Rule("timetable:lesson_slots", kwargs=_lesson, expect=ADMIN_ONLY),
    Rule("timetable:lesson_lock", kwargs=_lesson, method="post", data=_version, expect=ADMIN_ONLY_POST),
    Rule(
        "timetable:timetable_regenerate",
        kwargs=_timetable,
        method="post",
        data=_version,
        expect=ADMIN_ONLY_POST,
    ),
    Rule("timetable:timetable_publish", kwargs=_timetable, expect=ADMIN_ONLY),
    Rule("timetable:timetable_copy", kwargs=_timetable, method="post", expect=ADMIN_ONLY_POST),
    Rule("timetable:timetable_delete", kwargs=_timetable, expect=ADMIN_ONLY),
]
