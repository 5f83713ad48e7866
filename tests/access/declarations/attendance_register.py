"""Taking the register: teachers and the office list the day's registers; one register (its page, its live
mark fragment, its plain-form save) belongs to its teacher and the office, everyone else gets a 404."""

from django.utils import timezone

from tests.access.matrix import Rule, expect


def _register(s) -> dict:
    from modules.attendance.models import Register

    register, _created = Register.objects.get_or_create(
        kind="daily", section=s.section, date=timezone.localdate()
    )
    return {"pk": register.pk}


def _mark(s) -> dict:
    return {"student": s.child.pk, f"s{s.child.pk}-status": "absent"}


# Teachers and the office take registers; families and the bursar have no register list.
TAKERS = expect(403, admin=200, teacher=200, other_teacher=200)
# 7A's register: its homeroom teacher and the office.
SEVEN_A = expect(404, admin=200, teacher=200)

RULES = [
    Rule("attendance:register_list", expect=TAKERS),
    Rule("attendance:register_detail", kwargs=_register, expect=SEVEN_A),
    Rule(
        "attendance:register_mark",
        method="post",
        kwargs=_register,
        data=_mark,
        headers={"HX-Request": "true"},
        expect=SEVEN_A,
    ),
    Rule(
        "attendance:register_save",
        method="post",
        kwargs=_register,
        data={"action": "save"},
        expect=expect(404, admin=302, teacher=302),
    ),
]
