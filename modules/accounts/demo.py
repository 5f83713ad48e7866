"""The demo school's logins: the five demo accounts every role signs in with, and the users the other
modules' demo seeds create (see modules/core/demo.py for how the seeds run).

Every demo user shares one password hash, made once (hashing is deliberately slow).
"""

from __future__ import annotations

from modules.accounts.models import User
from modules.core.demo import DemoContext

DEMO_PASSWORD = "studentflow-demo"
ADMIN_EMAIL = "admin@demo.school"
TEACHER_EMAIL = "teacher@demo.school"
PARENT_EMAIL = "parent@demo.school"
STUDENT_EMAIL = "student@demo.school"
BURSAR_EMAIL = "bursar@demo.school"
DEMO_LOGINS: list[tuple[str, str]] = [
    (ADMIN_EMAIL, "administrator (school office)"),
    (TEACHER_EMAIL, "teacher, homeroom of one section, also a parent (role switcher)"),
    (PARENT_EMAIL, "parent of three children in different sections"),
    (STUDENT_EMAIL, "student, one of the parent's children"),
    (BURSAR_EMAIL, "bursar (fees)"),
]


def demo_school_exists() -> bool:
    """Whether the demo school is loaded here (its administrator's login exists)."""
    return User.objects.filter(email=ADMIN_EMAIL).exists()


def demo_user(
    ctx: DemoContext, *, email: str, first_name: str, last_name: str, language: str = "en", **extra
) -> User:
    """An unsaved user with the demo password (the caller bulk-creates it); its email is taken."""
    ctx.used_emails.add(email)
    return User(
        email=email.lower(),
        first_name=first_name,
        last_name=last_name,
        language=language,
        password=ctx.password_hash,
        **extra,
    )
