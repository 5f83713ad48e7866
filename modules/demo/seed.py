"""The demo school: a realistic, deterministic school loaded in bulk (`manage.py seed_demo`).

Each module seeds its own part in its own `demo.py` (`seed_core` in modules/core/demo.py,
`seed_academics_structure` in modules/academics/demo.py, ...), importing only its own floor and below; this
top-floor app runs them in order. The state built so far (sections, teachers, students, ...) is on the
`DemoContext` each step receives. A new module adds its step to `SEED_STEPS`, after the steps whose rows it
reads. The order is the school's too: the same random seed gives the same school only when every step draws
from the shared randomness in the same order.
"""

from __future__ import annotations

import datetime
import os
import random
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from faker import Faker

from modules.academics.demo import (
    seed_academics_enrollments,
    seed_academics_sections,
    seed_academics_structure,
)
from modules.academics.models import Section
from modules.accounts.demo import DEMO_PASSWORD
from modules.assignments.demo import seed_assignments
from modules.attendance.demo import seed_attendance
from modules.core.demo import LOCALES, SIZES, DemoContext, seed_core
from modules.exams.demo import seed_grades, seed_subject_results
from modules.fees.demo import seed_fees
from modules.people.demo import seed_people_families, seed_people_photos, seed_people_staff
from modules.people.models import Staff, Student
from modules.timetable.demo import seed_timetable

DEFAULT_SEED = 2026

# Settings modules allowed to load the demo even with DEBUG off. Anything ending in ".production" never is.
NON_PRODUCTION_SETTINGS = {"portal.settings.development", "portal.settings.testing", "portal.settings.bench"}

SeedStep = Callable[[DemoContext], None]

# People and academics take turns: staff before sections (each class gets a teacher), sections before
# families (siblings go to different sections), families before enrolments and the timetable.
SEED_STEPS: list[SeedStep] = [
    seed_core,
    seed_academics_structure,
    seed_people_staff,
    seed_academics_sections,
    seed_people_families,
    seed_academics_enrollments,
    seed_timetable,
    seed_people_photos,
    seed_attendance,
    seed_grades,
    seed_fees,
    # Last: it reads the grades step's homework, and drawing from the shared randomness after every other
    # step keeps the rest of the school as it was before homework was seeded.
    seed_assignments,
    # After every step that gives marks: the stored term averages counted from them all.
    seed_subject_results,
]


class DemoSchoolError(Exception):
    """The demo cannot be loaded here (production settings, or a database that already holds a school)."""


def demo_refusal_reason() -> str | None:
    """Why the demo must not be loaded under the current settings, or None when it may.

    Refused: any settings module ending in ".production"; and, with DEBUG off, any settings module other
    than development, testing or bench (a custom production configuration).
    """
    module = getattr(settings, "SETTINGS_MODULE", None) or os.environ.get("DJANGO_SETTINGS_MODULE", "")
    if module.endswith(".production"):
        return f"The demo school is never loaded under production settings ({module})."
    if not settings.DEBUG and module not in NON_PRODUCTION_SETTINGS:
        return (
            f"DEBUG is off and {module or 'the settings module'} is not a development, testing or bench "
            "configuration: refusing to load demo data."
        )
    return None


@transaction.atomic
def demo_school_seed(
    *,
    size: str = "small",
    today: datetime.date | None = None,
    seed: int = DEFAULT_SEED,
    report: Callable[[str], None] | None = None,
) -> DemoContext:
    """Load the demo school into an empty database. Raises DemoSchoolError when it may not."""
    reason = demo_refusal_reason()
    if reason:
        raise DemoSchoolError(reason)
    if Section.objects.exists() or Student.objects.exists() or Staff.objects.exists():
        raise DemoSchoolError(
            "This database already holds a school (sections, students or staff): "
            "the demo school is loaded into an empty database only."
        )
    faker = Faker(LOCALES)
    faker.seed_instance(seed)
    ctx = DemoContext(
        size=SIZES[size],
        today=today or timezone.localdate(),
        rng=random.Random(seed),
        faker=faker,
        # One hash for every demo login: hashing is deliberately slow, thousands of them would take minutes.
        password_hash=make_password(DEMO_PASSWORD),
    )
    for step in SEED_STEPS:
        started = time.perf_counter()
        step(ctx)
        if report is not None:
            report(f"  {step.__name__:<28} {time.perf_counter() - started:6.2f} s")
    return ctx
