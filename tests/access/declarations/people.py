from django.core.files.base import ContentFile

from tests import factories
from tests.access.matrix import ADMIN_ONLY, ADMIN_ONLY_POST, Rule, expect
from tests.images import png_bytes


def _with_photo(person):
    person.photo.save("photo.png", ContentFile(png_bytes()), save=True)
    return {"pk": person.pk}


# A student's own page: the office, the bursar (fees contacts), their teachers, their guardians and themself.
STUDENT_SCOPE = expect(200, other_teacher=404, other_guardian=404)
# Staff photos: colleagues only.
STAFF_SCOPE = expect(200, guardian=404, other_guardian=404, student=404)


def _spare_link(school):
    guardian = factories.GuardianFactory(first_name="Spare", last_name="Guardian", user=None)
    return factories.GuardianLinkFactory(student=school.child, guardian=guardian, is_primary=False)


RULES = [
    Rule("people:student_list", expect=ADMIN_ONLY),
    Rule("people:student_create", expect=ADMIN_ONLY),
    Rule("people:student_detail", kwargs=lambda s: {"pk": s.child.pk}, expect=STUDENT_SCOPE),
    Rule("people:student_edit", kwargs=lambda s: {"pk": s.child.pk}, expect=ADMIN_ONLY),
    Rule("people:student_photo", kwargs=lambda s: _with_photo(s.child), expect=STUDENT_SCOPE),
    Rule("people:guardian_link_add", kwargs=lambda s: {"pk": s.child.pk}, expect=ADMIN_ONLY),
    Rule(
        "people:guardian_link_remove",
        method="post",
        # Unlinking a guardian from their last child ends their login: remove a link of a guardian without
        # one, so the guardian persona keeps theirs.
        kwargs=lambda s: {"pk": s.child.pk, "link_pk": _spare_link(s).pk},
        expect=ADMIN_ONLY_POST,
    ),
    Rule("people:guardian_list", expect=ADMIN_ONLY),
    Rule("people:guardian_create", expect=ADMIN_ONLY),
    Rule("people:guardian_invite", expect=ADMIN_ONLY),
    Rule("people:guardian_detail", kwargs=lambda s: {"pk": s.guardian_profile.pk}, expect=ADMIN_ONLY),
    Rule("people:guardian_edit", kwargs=lambda s: {"pk": s.guardian_profile.pk}, expect=ADMIN_ONLY),
    Rule("people:staff_list", expect=ADMIN_ONLY),
    Rule("people:staff_create", expect=ADMIN_ONLY),
    Rule("people:staff_detail", kwargs=lambda s: {"pk": s.teacher_staff.pk}, expect=ADMIN_ONLY),
    Rule("people:staff_edit", kwargs=lambda s: {"pk": s.teacher_staff.pk}, expect=ADMIN_ONLY),
    Rule("people:staff_photo", kwargs=lambda s: _with_photo(s.teacher_staff), expect=STAFF_SCOPE),
    Rule(
        "people:person_invite",
        method="post",
        kwargs=lambda s: {"kind": "guardian", "pk": s.guardian_profile.pk},
        expect=ADMIN_ONLY_POST,
    ),
]
