import datetime

from django.core.files.base import ContentFile
from django.utils import timezone

from modules.accounts.models import User
from modules.attendance.models import AbsenceNote
from tests.access.matrix import Rule, expect


def _child(s) -> dict:
    return {"pk": s.child.pk}


def _note(s) -> dict:
    day = timezone.localdate() - datetime.timedelta(days=1)
    note = AbsenceNote(
        student=s.child,
        submitted_by=User.objects.get(email="parent@school.test"),
        date_from=day,
        date_to=day,
        reason="Flu",
        file_name="note.pdf",
    )
    note.file.save("note.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
    note.save()
    return {"pk": note.pk}


# Sam's attendance: Sam, Sam's guardian, Sam's teacher and the office; nobody else knows it exists.
SAMS = expect(404, admin=200, teacher=200, guardian=200, student=200)
# Sam's absence note and its document: the guardian, Sam's teacher and the office.
SAMS_NOTE = expect(404, admin=200, teacher=200, guardian=200)
# Who answers notes: teachers (their students' notes) and the office.
DECIDERS = expect(403, admin=200, teacher=200, other_teacher=200)

RULES = [
    Rule("attendance:family_child", kwargs=_child, expect=SAMS),
    Rule("attendance:note_create", kwargs=_child, expect=expect(404, guardian=200)),
    Rule("attendance:note_list", expect=DECIDERS),
    Rule("attendance:note_detail", kwargs=_note, expect=SAMS_NOTE),
    # The office answers first; the teacher's second answer is refused with a message (a redirect too).
    Rule(
        "attendance:note_decide",
        method="post",
        kwargs=_note,
        data={"decision": "reject"},
        expect=expect(404, admin=302, teacher=302),
    ),
    Rule("attendance:note_file", kwargs=_note, expect=SAMS_NOTE),
]
