from django.core.files.base import ContentFile
from django.utils import timezone

from modules.accounts.models import User
from modules.communications.models import Announcement, Attachment, AudienceKind
from tests.access.matrix import Rule, expect

DELETE_TARGET_PK = 9_001


def _announcement(s, author_email: str, **fields) -> Announcement:
    return Announcement.objects.create(
        title="Museum trip",
        body="We leave at 9.",
        author=User.objects.get(email=author_email),
        audience=AudienceKind.SECTION,
        section=s.section,
        publish_at=timezone.now() - timezone.timedelta(hours=1),
        **fields,
    )


def _for_7a(s) -> dict:
    return {"pk": _announcement(s, "admin@school.test").pk}


def _teachers(s) -> dict:
    return {"pk": _announcement(s, "teacher@school.test").pk}


def _delete_target(s) -> dict:
    # Each persona tries to delete the same announcement: put it back after a successful delete.
    if not Announcement.objects.filter(pk=DELETE_TARGET_PK).exists():
        _announcement(s, "teacher@school.test", pk=DELETE_TARGET_PK)
    return {"pk": DELETE_TARGET_PK}


def _file_for_7a(s) -> dict:
    announcement = _announcement(s, "admin@school.test")
    attachment = Attachment(
        announcement=announcement, filename="form.pdf", content_type="application/pdf", size=9
    )
    attachment.file.save("form.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    return {"pk": attachment.pk}


# Who may post: administrators and teachers.
POSTERS = expect(403, admin=200, teacher=200, other_teacher=200)
# An announcement to 7A: the office, 7A's teacher, its student and their guardian.
SECTION_7A = expect(200, other_teacher=404, other_guardian=404, bursar=404)
# A teacher's announcement: its author and the office may change it; for anyone else it does not exist.
AUTHOR_AND_OFFICE = expect(404, admin=200, teacher=200)

RULES = [
    Rule("communications:announcement_list", expect=expect(200)),
    Rule("communications:announcement_manage", expect=POSTERS),
    Rule("communications:announcement_create", expect=POSTERS),
    Rule("communications:announcement_detail", kwargs=_for_7a, expect=SECTION_7A),
    Rule("communications:announcement_edit", kwargs=_teachers, expect=AUTHOR_AND_OFFICE),
    Rule(
        "communications:announcement_delete",
        method="post",
        kwargs=_delete_target,
        data=lambda s: (_delete_target(s), {})[1],
        expect=expect(404, admin=302, teacher=302),
    ),
    Rule("communications:attachment_download", kwargs=_file_for_7a, expect=SECTION_7A),
]
