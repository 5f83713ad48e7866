"""Message threads: every signed-in person has an inbox and may write; a thread is seen only by its
participants (here the guardian and their child's teacher), everyone else gets a 404."""

from tests.access.matrix import SIGNED_IN_OK, Rule, expect


def _thread(s):
    from modules.communications.messaging import thread_start

    thread = thread_start(
        sender=s.guardian_profile.user,
        recipient=s.teacher_staff.user,
        subject="Homework",
        body="Is there homework this weekend?",
        student=s.child,
    )
    return {"pk": thread.pk}


# Participants only: not even the office reads a family's conversation.
PARTICIPANTS = expect(404, teacher=200, guardian=200)
PARTICIPANTS_POST = expect(404, teacher=302, guardian=302)

RULES = [
    Rule("communications:message_inbox", expect=SIGNED_IN_OK),
    Rule("communications:message_new", expect=SIGNED_IN_OK),
    Rule("communications:thread_detail", kwargs=_thread, expect=PARTICIPANTS),
    Rule(
        "communications:thread_reply",
        method="post",
        kwargs=_thread,
        data={"body": "Thank you."},
        expect=PARTICIPANTS_POST,
    ),
]
