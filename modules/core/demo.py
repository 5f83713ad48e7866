"""The demo school's ground floor: what every module's demo seed shares (`manage.py seed_demo`).

The demo school is seeded module by module: each module's `demo.py` seeds its own part (`seed_core` here,
`seed_academics_structure` in modules/academics/demo.py, ...), importing only its own floor and below, and the
top-floor app modules/demo runs them in order (`modules.demo.seed.demo_school_seed`). What the steps share is
the `DemoContext`: the randomness, the date, and every row created so far (a step reads what earlier steps
put there). Core owns the context, the sizes of school, the locales and the school's profile.

Everything is written with bulk_create / bulk_update: one password hash for every login, no query per row.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from typing import Any

from django.utils.text import slugify
from faker import Faker

from modules.core.models import SchoolProfile

LOCALES = ["en_US", "es_ES", "fr_FR"]
LOCALE_WEIGHTS = [60, 25, 15]
LANGUAGE_OF_LOCALE = {"en_US": "en", "es_ES": "es", "fr_FR": "fr"}


@dataclass(frozen=True)
class DemoSize:
    name: str
    grades: tuple[int, ...]
    section_letters: str
    students: int
    staff: int
    administrators: int
    bursars: int
    guardian_login_share: float  # share of guardians who get a login
    photos_for_all: bool  # small: every child has a photo; large: only the demo families

    @property
    def teachers(self) -> int:
        return self.staff - self.administrators - self.bursars


SIZES: dict[str, DemoSize] = {
    "small": DemoSize(
        name="small",
        grades=(6, 7, 8, 9),
        section_letters="ABC",
        students=300,
        staff=25,
        administrators=2,
        bursars=2,
        guardian_login_share=1.0,
        photos_for_all=True,
    ),
    "large": DemoSize(
        name="large",
        grades=(3, 4, 5, 6, 7, 8, 9, 10, 11, 12),
        section_letters="ABCDEFGHIJ",
        students=3000,
        staff=150,
        administrators=4,
        bursars=3,
        guardian_login_share=0.85,
        photos_for_all=False,
    ),
}


@dataclass
class DemoContext:
    """What the seeding steps share: the randomness, the date, and every row created so far."""

    size: DemoSize
    today: datetime.date
    rng: random.Random
    faker: Faker
    password_hash: str
    # The rows of the floors above core, which core cannot name: each is filled by its own module's seed and
    # read by the seeds after it.
    # academics: the current year, its terms, grade levels by number, subjects by code, lessons a week by
    # subject code, rooms (one classroom per section, then the shared rooms), the bell schedule's periods.
    year: Any = None
    terms: list[Any] = field(default_factory=list)
    grade_levels: dict[int, Any] = field(default_factory=dict)
    subjects: dict[str, Any] = field(default_factory=dict)
    lessons_per_week: dict[str, int] = field(default_factory=dict)
    rooms: list[Any] = field(default_factory=list)
    periods: list[Any] = field(default_factory=list)
    # people: staff by position (and each one's gender, by staff pk).
    administrators: list[Any] = field(default_factory=list)
    bursars: list[Any] = field(default_factory=list)
    teachers: list[Any] = field(default_factory=list)
    teacher_genders: dict[int, str] = field(default_factory=dict)
    # academics: this year's sections and their course offerings.
    sections: list[Any] = field(default_factory=list)
    offerings: list[Any] = field(default_factory=list)
    # people: students, guardians, families (modules/people/demo.py Family), and the section each student was
    # placed in with their family (siblings apart), which academics enrols them in.
    students: list[Any] = field(default_factory=list)
    guardians: list[Any] = field(default_factory=list)
    families: list[Any] = field(default_factory=list)
    placements: list[tuple[Any, Any]] = field(default_factory=list)  # (student, section)
    counts: dict[str, int] = field(default_factory=dict)
    used_emails: set[str] = field(default_factory=set)

    def fake(self, locale: str = "en_US"):
        return self.faker[locale]

    def pick_locale(self) -> str:
        return self.rng.choices(LOCALES, weights=LOCALE_WEIGHTS)[0]

    def unique_email(self, first: str, last: str, domain: str) -> str:
        base = f"{slugify(first)}.{slugify(last)}".strip(".") or "person"
        email, n = f"{base}@{domain}", 1
        while email in self.used_emails:
            n += 1
            email = f"{base}{n}@{domain}"
        self.used_emails.add(email)
        return email


def seed_core(ctx: DemoContext) -> None:
    """The school's profile: its name, address, contacts and currency."""
    profile = SchoolProfile.load()
    profile.name = "Riverside International School"
    profile.short_name = "Riverside"
    profile.address = "1200 Riverside Avenue\nSpringfield, OR 97477\nUnited States"
    profile.phone = "+1 541 555 0142"
    profile.email = "office@demo.school"
    profile.website = "https://demo.school"
    profile.currency = "USD"
    profile.save()
