"""The timetable requirements pages (modules/timetable/views_requirements.py): the office only. Objects of
another year are 404 (tests/timetable/test_requirements*.py)."""

from modules.academics.models import Period, Room, RoomType
from modules.timetable.models import JointLesson, Pin, Requirement
from tests.access.matrix import ADMIN_ONLY, ADMIN_ONLY_POST, Rule


def _section(school) -> dict:
    return {"pk": school.section.pk}


def _offering(school) -> dict:
    return {"pk": school.offering.pk}


def _with_requirement(school) -> dict:
    Requirement.objects.get_or_create(offering=school.offering, defaults={"periods_per_week": 4})
    return {"pk": school.offering.pk}


def _teacher(school) -> dict:
    return {"pk": school.teacher_staff.pk}


def _room(school) -> dict:
    return {"pk": Room.objects.create(name="Access room").pk}


def _room_type(school) -> dict:
    return {"pk": RoomType.objects.create(name="Access lab").pk}


def _joint(school) -> dict:
    return {"pk": JointLesson.objects.create(year=school.year, name="Access joint").pk}


def _pin(school) -> dict:
    requirement, _ = Requirement.objects.get_or_create(
        offering=school.offering, defaults={"periods_per_week": 4}
    )
    period = Period.objects.create(name="Access period", order=90, start_time="08:00", end_time="08:45")
    return {"pk": Pin.objects.create(requirement=requirement, weekday=0, period=period).pk}


RULES = [
    Rule("timetable:requirements", expect=ADMIN_ONLY),
    Rule("timetable:requirements_section", kwargs=_section, expect=ADMIN_ONLY),
    Rule("timetable:requirement_edit", kwargs=_offering, expect=ADMIN_ONLY),
    # No counts posted: the admin is sent back to the section with the form's message.
    Rule("timetable:requirement_quick", method="post", kwargs=_offering, expect=ADMIN_ONLY_POST),
    Rule("timetable:requirement_delete", method="post", kwargs=_with_requirement, expect=ADMIN_ONLY_POST),
    Rule("timetable:teachers", expect=ADMIN_ONLY),
    Rule("timetable:teacher_edit", kwargs=_teacher, expect=ADMIN_ONLY),
    Rule("timetable:rooms", expect=ADMIN_ONLY),
    Rule("timetable:room_edit", kwargs=_room, expect=ADMIN_ONLY),
    Rule("timetable:room_types", expect=ADMIN_ONLY),
    Rule("timetable:room_type_edit", kwargs=_room_type, expect=ADMIN_ONLY),
    Rule("timetable:room_type_delete", method="post", kwargs=_room_type, expect=ADMIN_ONLY_POST),
    Rule("timetable:joints", expect=ADMIN_ONLY),
    Rule("timetable:joint_edit", kwargs=_joint, expect=ADMIN_ONLY),
    Rule("timetable:joint_delete", method="post", kwargs=_joint, expect=ADMIN_ONLY_POST),
    Rule("timetable:pins", expect=ADMIN_ONLY),
    Rule("timetable:pin_delete", method="post", kwargs=_pin, expect=ADMIN_ONLY_POST),
    Rule("timetable:settings", expect=ADMIN_ONLY),
    Rule("timetable:requirements_import", expect=ADMIN_ONLY),
    Rule("timetable:requirements_import_template", expect=ADMIN_ONLY),
    # A forged or expired dry run: the admin is sent back to the upload with a message.
    Rule("timetable:requirements_import_confirm", method="post", expect=ADMIN_ONLY_POST),
]
