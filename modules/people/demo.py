"""The demo school's people: staff (administrators, bursars, teachers) with their logins; families of
students and guardians, most guardians with a login; a generated photo per child (see modules/core/demo.py
for how the seeds run, modules/demo/seed.py for their order).
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.utils.text import slugify

from modules.accounts.demo import (
    ADMIN_EMAIL,
    BURSAR_EMAIL,
    PARENT_EMAIL,
    STUDENT_EMAIL,
    TEACHER_EMAIL,
    demo_user,
)
from modules.accounts.groups import group_for
from modules.accounts.models import User
from modules.core.demo import LANGUAGE_OF_LOCALE, DemoContext
from modules.people.models import Gender, Guardian, GuardianLink, Position, Relationship, Staff, Student
from modules.people.thumbnails import thumbnail_refresh

# --- staff -------------------------------------------------------------------------------------------------

ADMIN_TITLES = ["Principal", "Deputy principal", "Registrar", "Office manager"]
BURSAR_TITLES = ["Bursar", "Finance assistant", "Accounts clerk"]


def seed_people_staff(ctx: DemoContext) -> None:
    """Administrators, bursars and teachers, each with a login in their position's group."""
    size = ctx.size
    plan = (
        [(Position.ADMINISTRATOR, ADMIN_TITLES[i % len(ADMIN_TITLES)]) for i in range(size.administrators)]
        + [(Position.BURSAR, BURSAR_TITLES[i % len(BURSAR_TITLES)]) for i in range(size.bursars)]
        + [(Position.TEACHER, "Teacher") for _i in range(size.teachers)]
    )
    demo_emails = {
        Position.ADMINISTRATOR: ADMIN_EMAIL,
        Position.BURSAR: BURSAR_EMAIL,
        Position.TEACHER: TEACHER_EMAIL,
    }
    users, staff, genders = [], [], []
    for number, (position, title) in enumerate(plan, start=1):
        fake = ctx.fake(ctx.pick_locale())
        gender = ctx.rng.choice([Gender.FEMALE, Gender.MALE])
        first = fake.first_name_female() if gender == Gender.FEMALE else fake.first_name_male()
        last = fake.last_name()
        email = demo_emails.pop(position, None) or ctx.unique_email(first, last, "demo.school")
        users.append(
            demo_user(
                ctx,
                email=email,
                first_name=first,
                last_name=last,
                is_staff=position == Position.ADMINISTRATOR,
            )
        )
        staff.append(
            Staff(
                first_name=first,
                last_name=last,
                email=email,
                phone=ctx.fake().phone_number(),
                staff_number=f"ST{number:04d}",
                position=position,
                job_title=title,
                hire_date=ctx.today - datetime.timedelta(days=ctx.rng.randint(60, 365 * 20)),
            )
        )
        genders.append(gender)
    User.objects.bulk_create(users)
    for member, user in zip(staff, users, strict=True):
        member.user = user
    Staff.objects.bulk_create(staff)
    groups = {position: group_for(position) for position in Position.values}
    Membership = User.groups.through
    Membership.objects.bulk_create(
        [Membership(user_id=m.user_id, group_id=groups[m.position].pk) for m in staff]
    )
    for member, gender in zip(staff, genders, strict=True):
        {
            Position.ADMINISTRATOR: ctx.administrators,
            Position.BURSAR: ctx.bursars,
            Position.TEACHER: ctx.teachers,
        }[member.position].append(member)
        ctx.teacher_genders[member.pk] = gender
    ctx.counts["staff"] = len(staff)


# --- families (students, guardians, links) ----------------------------------------------------------------


@dataclass
class Family:
    """One household: its children, and their guardians with each one's relationship to them."""

    last_name: str
    locale: str
    children: list[Student] = field(default_factory=list)
    guardians: list[tuple[Guardian, str]] = field(default_factory=list)  # (guardian, relationship)


def _family_sizes(ctx: DemoContext) -> list[int]:
    # The demo parent's family (three children) first, then the demo teacher's (one child).
    sizes, remaining = [3, 1], ctx.size.students - 4
    while remaining > 0:
        children = min(remaining, ctx.rng.choices([1, 2, 3], weights=[55, 33, 12])[0])
        sizes.append(children)
        remaining -= children
    return sizes


def _guardian_plan(ctx: DemoContext) -> list[tuple[str, str]]:
    """(gender, relationship) of each guardian: mostly two parents, sometimes one, some grandparents."""
    roll = ctx.rng.random()
    if roll < 0.58:
        plan = [(Gender.FEMALE, Relationship.MOTHER), (Gender.MALE, Relationship.FATHER)]
        if ctx.rng.random() < 0.3:
            plan.reverse()
    elif roll < 0.93:
        plan = [
            ctx.rng.choice(
                [
                    (Gender.FEMALE, Relationship.MOTHER),
                    (Gender.FEMALE, Relationship.MOTHER),
                    (Gender.MALE, Relationship.FATHER),
                    (ctx.rng.choice([Gender.FEMALE, Gender.MALE]), Relationship.GUARDIAN),
                ]
            )
        ]
    else:
        plan = [(Gender.FEMALE, Relationship.MOTHER), (Gender.MALE, Relationship.FATHER)]
        plan.append((ctx.rng.choice([Gender.FEMALE, Gender.MALE]), Relationship.GRANDPARENT))
    return plan


def _guardian_links(families: list[Family]) -> list[GuardianLink]:
    """Each child linked to each guardian of the family: the first is the primary contact, grandparents get
    no notifications."""
    links = []
    for family in families:
        for child in family.children:
            for position, (guardian, relationship) in enumerate(family.guardians):
                links.append(
                    GuardianLink(
                        student=child,
                        guardian=guardian,
                        relationship=relationship,
                        is_primary=position == 0,
                        receives_notifications=relationship != Relationship.GRANDPARENT,
                    )
                )
    return links


def seed_people_families(ctx: DemoContext) -> None:
    """Students in families of one to three children, siblings in different sections; their guardians
    (most with logins) and guardian links with one primary contact. Which section each child joins is left
    on the context (`placements`): academics enrols them (seed_academics_enrollments, the next step).

    The sections are academics' (a floor above): read from the context, never imported; a child's age and
    year of joining follow the grade of the section chosen."""
    target = -(-ctx.size.students // len(ctx.sections))
    remaining = {section.pk: target for section in ctx.sections}
    year_start = ctx.year.start_date
    demo_teacher = ctx.teachers[0]

    families: list[Family] = []
    placements: list = []  # academics sections, from the context
    for index, children in enumerate(_family_sizes(ctx)):
        if index == 1:
            family = Family(last_name=demo_teacher.last_name, locale="en_US")
        else:
            family = Family(last_name="", locale=ctx.pick_locale())
            family.last_name = ctx.fake(family.locale).last_name()
        fake = ctx.fake(family.locale)
        address = ctx.fake().address()
        # Distinct sections for siblings, filling the emptiest sections first.
        ranked = sorted(ctx.sections, key=lambda s: (-remaining[s.pk], ctx.rng.random()))[:children]
        for section in ranked:
            remaining[section.pk] -= 1
            grade = section.grade_level.order
            gender = ctx.rng.choices([Gender.FEMALE, Gender.MALE, Gender.OTHER], weights=[49, 49, 2])[0]
            first = fake.first_name_male() if gender == Gender.MALE else fake.first_name_female()
            born = datetime.date(year_start.year - grade - 6, 9, 1) + datetime.timedelta(
                days=ctx.rng.randint(0, 364)
            )
            joined = year_start.year - ctx.rng.randint(0, grade - ctx.size.grades[0])
            family.children.append(
                Student(
                    first_name=first,
                    last_name=family.last_name,
                    date_of_birth=born,
                    gender=gender,
                    address=address,
                    admission_date=datetime.date(joined, 8, ctx.rng.randint(15, 31)),
                )
            )
            placements.append(section)
        families.append(family)

    students = [child for family in families for child in family.children]
    for number, student in enumerate(students, start=1):
        student.admission_number = f"ADM{year_start.year % 100:02d}{number:05d}"
    demo_student = families[0].children[0]
    demo_student.email = STUDENT_EMAIL
    student_user = demo_user(
        ctx, email=STUDENT_EMAIL, first_name=demo_student.first_name, last_name=demo_student.last_name
    )

    # Guardians: the demo parent heads family 0; the demo teacher is a parent in family 1.
    guardian_users: list[tuple[Guardian, User]] = []
    for index, family in enumerate(families):
        fake = ctx.fake(family.locale)
        language = LANGUAGE_OF_LOCALE[family.locale]
        for position, (gender, relationship) in enumerate(_guardian_plan(ctx)):
            if index == 1 and position == 0:
                gender = ctx.teacher_genders[demo_teacher.pk]
                relationship = Relationship.MOTHER if gender == Gender.FEMALE else Relationship.FATHER
                first = demo_teacher.first_name
            else:
                first = fake.first_name_female() if gender == Gender.FEMALE else fake.first_name_male()
            last = family.last_name if relationship != Relationship.GRANDPARENT else fake.last_name()
            if index == 0 and position == 0:
                email = PARENT_EMAIL
            elif index == 1 and position == 0:
                email = TEACHER_EMAIL
            else:
                email = ctx.unique_email(first, last, "example.com")
            guardian = Guardian(
                first_name=first,
                last_name=last,
                email=email,
                phone=ctx.fake().phone_number(),
                address=family.children[0].address,
                occupation=fake.job()[:100],
                preferred_language=language,
            )
            family.guardians.append((guardian, relationship))
            if email == TEACHER_EMAIL:
                guardian.user = demo_teacher.user
            elif email == PARENT_EMAIL or ctx.rng.random() < ctx.size.guardian_login_share:
                guardian_users.append(
                    (
                        guardian,
                        demo_user(ctx, email=email, first_name=first, last_name=last, language=language),
                    )
                )

    User.objects.bulk_create([student_user] + [user for _g, user in guardian_users])
    demo_student.user = student_user
    for guardian, user in guardian_users:
        guardian.user = user
    ctx.students = Student.objects.bulk_create(students)
    ctx.guardians = Guardian.objects.bulk_create([g for family in families for g, _r in family.guardians])

    links = _guardian_links(families)
    GuardianLink.objects.bulk_create(links)
    ctx.families = families
    ctx.placements = list(zip(students, placements, strict=True))
    ctx.counts.update(
        students=len(students),
        guardians=len(ctx.guardians),
        guardian_logins=len(guardian_users) + 1,
        guardian_links=len(links),
        families=len(families),
    )


# --- photos ----------------------------------------------------------------------------------------------

PHOTO_COLOURS = [
    "#1f6feb",
    "#8250df",
    "#bf3989",
    "#cf222e",
    "#bc4c00",
    "#4d2d00",
    "#1a7f37",
    "#0a3069",
    "#116329",
]


def _initials_png(initials: str, colour: str) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (160, 160), colour)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=64)
    draw.text((80, 80), initials, fill="white", font=font, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def seed_people_photos(ctx: DemoContext) -> None:
    """A generated photo (coloured square with initials) for every child in the small school; in the large
    school only for the demo families."""
    if ctx.size.photos_for_all:
        children = ctx.students
    else:
        children = ctx.families[0].children + ctx.families[1].children
    for student in children:
        content = ContentFile(_initials_png(student.initials, ctx.rng.choice(PHOTO_COLOURS)))
        student.photo.save(f"{slugify(student.initials) or 'photo'}.png", content, save=False)
        thumbnail_refresh(student)  # what Student.save() does; bulk_update does not call it
    Student.objects.bulk_update(children, ["photo", "photo_thumb"], batch_size=500)
    ctx.counts["photos"] = len(children)
