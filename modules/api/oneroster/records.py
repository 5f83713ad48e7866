"""The school's roster in OneRoster 1.2's data model, read once for the package and the REST service.

What goes in (one academic year: the current one unless asked otherwise):
- **orgs**: the school (`org-<profile>`), type `school`.
- **academicSessions**: the year (`year-<id>`, type `schoolYear`) and its terms (`term-<id>`, type `term`,
  parent the year); `schoolYear` is the calendar year the school year ends in, as the standard counts it.
- **courses**: a subject taught in a grade level that year (`course-<year>-<grade>-<subject>`, "Mathematics
  · Grade 7"), and each grade level's homeroom (`course-<year>-<grade>-homeroom`).
- **classes**: each class (a subject taught to a section: `class-<offering>`, type `scheduled`) and each
  section as a homeroom class (`homeroom-<section>`, type `homeroom`), in every term of the year.
- **users**: the students actively enrolled in a section that year (`student-<id>`), their guardians
  (`guardian-<id>`, unless the office leaves families out), and the staff who teach or run the school
  (`staff-<id>`: teachers, administrators, and anyone teaching one of the classes); bursars are not in a
  learning platform's roster. Each user's roles (`roles.csv` / `roles[]`): a student `student`, a guardian
  `guardian`, an administrator `siteAdministrator` (and `teacher` besides when they teach), a teacher
  `teacher`.
- **enrollments**: each student in each class of their section and in their homeroom
  (`enr-<enrolment>-<offering>`, `enr-<enrolment>-homeroom`), the class's teacher (`enr-t<staff>-<offering>`,
  primary) and the section's homeroom teacher (`enr-t<staff>-homeroom-<section>`, primary).
- **demographics**: each student's birth date and sex (`sourcedId` = the user's), unless left out.

Ids are the records' own database ids with a prefix per kind: the same record keeps its `sourcedId` export
after export, and what a platform imported last night is matched, not duplicated. A student who moves to
another section gets a new enrolment (the old one ends), so new enrollment ids, as the standard expects.

`dateLastModified` is the record's own time of change where the portal keeps one (people); for the year's
structure and enrolments, which keep none, it is the time of the reading: a platform asking what changed
since its last call then reads them again rather than missing a change.

Records are plain dicts in the REST service's JSON shape (references as `Ref`, dates as `date`); `package.py`
writes them as the CSV files' rows."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from django.utils import timezone

from modules.academics.models import AcademicYear, CourseOffering, Enrollment, EnrollmentStatus, Section, Term
from modules.core.models import SchoolProfile
from modules.people.models import Gender, Guardian, GuardianLink, Position, Staff, Student

Record = dict


class Ref(NamedTuple):
    """A reference to another record (OneRoster's GUIDRef): its kind and its `sourcedId`. (A tuple: a large
    school's roster holds some 60,000 of them, and a frozen dataclass is slow to make.)"""

    type: str  # academicSession, class, course, org, user
    sourced_id: str


SEX = {Gender.FEMALE: "female", Gender.MALE: "male", Gender.OTHER: "unspecified"}
STAFF_ROLE = {Position.ADMINISTRATOR: "siteAdministrator", Position.TEACHER: "teacher"}


@dataclass
class Options:
    year: AcademicYear | None  # None: the school has no year yet (the roster holds the school alone)
    guardians: bool = True
    demographics: bool = True


@dataclass
class Roster:
    """Every record of one reading, per kind, in a stable order (by `sourcedId`'s kind, then id)."""

    orgs: list[Record] = field(default_factory=list)
    academic_sessions: list[Record] = field(default_factory=list)
    courses: list[Record] = field(default_factory=list)
    classes: list[Record] = field(default_factory=list)
    users: list[Record] = field(default_factory=list)
    enrollments: list[Record] = field(default_factory=list)
    demographics: list[Record] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "orgs": len(self.orgs),
            "academicSessions": len(self.academic_sessions),
            "courses": len(self.courses),
            "classes": len(self.classes),
            "users": len(self.users),
            "enrollments": len(self.enrollments),
            "demographics": len(self.demographics),
        }


def _base(sourced_id: str, modified: datetime.datetime) -> Record:
    return {"sourcedId": sourced_id, "status": "active", "dateLastModified": modified}


def _grades(code: str) -> list[str]:
    return [code] if code else []


class Reading:
    """One reading of the school for one year; every query is made once, whatever the school's size."""

    def __init__(self, options: Options):
        self.options = options
        self.year = options.year
        self.now = timezone.now()
        profile = SchoolProfile.load()
        self.org = Ref("org", f"org-{profile.pk}")
        self.profile = profile

    @cached_property
    def terms(self) -> list[Term]:
        return list(Term.objects.filter(year=self.year).order_by("start_date", "pk")) if self.year else []

    @cached_property
    def term_refs(self) -> list[Ref]:
        return [Ref("academicSession", f"term-{term.pk}") for term in self.terms]

    @cached_property
    def class_terms(self) -> list[Ref]:
        # A year without terms is its own only term (a class must be in at least one session).
        return self.term_refs or [Ref("academicSession", f"year-{getattr(self.year, 'pk', '')}")]

    @cached_property
    def sections(self) -> list[Section]:
        return list(
            Section.objects.filter(year=self.year)
            .select_related("grade_level", "room")
            .order_by("grade_level__order", "name", "pk")
        )

    @cached_property
    def offerings(self) -> list[CourseOffering]:
        return list(
            CourseOffering.objects.filter(section__year=self.year)
            .select_related("subject", "section__grade_level", "section__room")
            .order_by("section__grade_level__order", "section__name", "subject__name", "pk")
        )

    @cached_property
    def enrolments(self) -> list[dict]:
        return list(
            Enrollment.objects.filter(year=self.year, status=EnrollmentStatus.ACTIVE)
            .values("pk", "student_id", "section_id", "enrolled_on", "ended_on")
            .order_by("pk")
        )

    # --- the school and its year ----------------------------------------------------------------------

    @cached_property
    def orgs(self) -> list[Record]:
        return [
            {
                **_base(self.org.sourced_id, self.now),
                "name": self.profile.name,
                "type": "school",
                "identifier": self.profile.short_name or self.org.sourced_id,
                "parent": None,
                "children": [],
            }
        ]

    @cached_property
    def academic_sessions(self) -> list[Record]:
        if self.year is None:
            return []
        year_ref = Ref("academicSession", f"year-{self.year.pk}")
        school_year = str(self.year.end_date.year)
        rows = [
            {
                **_base(year_ref.sourced_id, self.now),
                "title": self.year.name,
                "type": "schoolYear",
                "startDate": self.year.start_date,
                "endDate": self.year.end_date,
                "parent": None,
                "children": self.term_refs,
                "schoolYear": school_year,
            }
        ]
        for term, ref in zip(self.terms, self.term_refs, strict=True):
            rows.append(
                {
                    **_base(ref.sourced_id, self.now),
                    "title": f"{term.name} {self.year.name}",
                    "type": "term",
                    "startDate": term.start_date,
                    "endDate": term.end_date,
                    "parent": year_ref,
                    "children": [],
                    "schoolYear": school_year,
                }
            )
        return rows

    # --- courses and classes --------------------------------------------------------------------------

    def _course_ref(self, grade_level_id: int, subject_id: int | None) -> Ref:
        what = subject_id if subject_id is not None else "homeroom"
        return Ref("course", f"course-{self.year.pk}-{grade_level_id}-{what}")

    @cached_property
    def courses(self) -> list[Record]:
        if self.year is None:
            return []
        year_ref = Ref("academicSession", f"year-{self.year.pk}")
        rows: dict[str, Record] = {}
        for section in self.sections:
            level = section.grade_level
            ref = self._course_ref(level.pk, None)
            rows.setdefault(
                ref.sourced_id,
                {
                    **_base(ref.sourced_id, self.now),
                    "title": f"{level.name} · Homeroom",
                    "schoolYear": year_ref,
                    "courseCode": f"HR-{level.name}",
                    "grades": _grades(level.ceds_code),
                    "subjects": [],
                    "org": self.org,
                    "subjectCodes": [],
                },
            )
        for offering in self.offerings:
            level, subject = offering.section.grade_level, offering.subject
            ref = self._course_ref(level.pk, subject.pk)
            rows.setdefault(
                ref.sourced_id,
                {
                    **_base(ref.sourced_id, self.now),
                    "title": f"{subject.name} · {level.name}",
                    "schoolYear": year_ref,
                    "courseCode": subject.code,
                    "grades": _grades(level.ceds_code),
                    "subjects": [subject.name],
                    "org": self.org,
                    "subjectCodes": [],
                },
            )
        return list(rows.values())

    @cached_property
    def classes(self) -> list[Record]:
        rows = []
        for section in self.sections:
            rows.append(
                {
                    **_base(f"homeroom-{section.pk}", self.now),
                    "title": section.name,
                    "classCode": section.name,
                    "classType": "homeroom",
                    "location": section.room.name if section.room else "",
                    "grades": _grades(section.grade_level.ceds_code),
                    "subjects": [],
                    "course": self._course_ref(section.grade_level_id, None),
                    "school": self.org,
                    "terms": self.class_terms,
                    "subjectCodes": [],
                    "periods": [],
                }
            )
        for offering in self.offerings:
            section, subject = offering.section, offering.subject
            rows.append(
                {
                    **_base(f"class-{offering.pk}", self.now),
                    "title": f"{subject.name} {section.name}",
                    "classCode": f"{subject.code}-{section.name}",
                    "classType": "scheduled",
                    "location": section.room.name if section.room else "",
                    "grades": _grades(section.grade_level.ceds_code),
                    "subjects": [subject.name],
                    "course": self._course_ref(section.grade_level_id, subject.pk),
                    "school": self.org,
                    "terms": self.class_terms,
                    "subjectCodes": [],
                    "periods": [],
                }
            )
        return rows

    # --- people ---------------------------------------------------------------------------------------

    def _teachers(self) -> dict[int, set[str]]:
        """Staff id → the roles the roster gives them: administrators and teachers on the staff list, and
        whoever teaches one of the year's classes or sections."""
        roles: dict[int, set[str]] = defaultdict(set)
        for staff_id, position in (
            Staff.objects.filter(is_active=True).values_list("pk", "position").order_by()
        ):
            if position in STAFF_ROLE:
                roles[staff_id].add(STAFF_ROLE[position])
        for offering in self.offerings:
            if offering.teacher_id:
                roles[offering.teacher_id].add("teacher")
        for section in self.sections:
            if section.homeroom_teacher_id:
                roles[section.homeroom_teacher_id].add("teacher")
        return roles

    def _user(self, prefix: str, person: dict, role: str, **fields) -> Record:
        ref = f"{prefix}-{person['pk']}"
        return {
            **_base(ref, person["updated_at"]),
            "userMasterIdentifier": "",
            "username": person["user__email"] or person["email"] or fields.get("identifier") or ref,
            "userIds": [],
            "enabledUser": fields.pop("enabled", True),
            "givenName": person["first_name"],
            "familyName": person["last_name"],
            "middleName": "",
            "preferredFirstName": "",
            "preferredMiddleName": "",
            "preferredLastName": "",
            "pronouns": "",
            "roles": [{"roleType": "primary", "role": role, "org": self.org}],
            "primaryOrg": self.org,
            "identifier": "",
            "email": person["email"],
            "sms": "",
            "phone": person["phone"],
            "agents": [],
            "grades": [],
            "password": None,  # never: people sign in to a platform with their own account
            **fields,
        }

    @cached_property
    def people(self) -> tuple[list[Record], list[Record]]:
        """The users, and the students' demographics."""
        person = ["pk", "first_name", "last_name", "email", "phone", "updated_at", "user__email"]
        grade_of = {section.pk: section.grade_level.ceds_code for section in self.sections}
        section_of = {row["student_id"]: row["section_id"] for row in self.enrolments}
        students = list(
            Student.objects.filter(pk__in=section_of.keys())
            .values(*person, "admission_number", "is_active", "date_of_birth", "gender")
            .order_by("pk")
        )
        agents: dict[str, list[Ref]] = defaultdict(list)
        guardians: list[dict] = []
        if self.options.guardians:
            links = list(
                GuardianLink.objects.filter(student_id__in=section_of.keys())
                .values_list("student_id", "guardian_id")
                .order_by("student_id", "-is_primary", "guardian_id")
            )
            for student_id, guardian_id in links:
                agents[f"student-{student_id}"].append(Ref("user", f"guardian-{guardian_id}"))
                agents[f"guardian-{guardian_id}"].append(Ref("user", f"student-{student_id}"))
            guardians = list(
                Guardian.objects.filter(pk__in={guardian for _student, guardian in links})
                .values(*person)
                .order_by("pk")
            )
        rows, demographics = [], []
        for student in students:
            ref = f"student-{student['pk']}"
            rows.append(
                self._user(
                    "student",
                    student,
                    "student",
                    enabled=student["is_active"],
                    identifier=student["admission_number"],
                    grades=_grades(grade_of.get(section_of[student["pk"]], "")),
                    agents=agents.get(ref, []),
                )
            )
            if self.options.demographics:
                demographics.append(
                    {
                        **_base(ref, student["updated_at"]),
                        "birthDate": student["date_of_birth"],
                        "sex": SEX.get(student["gender"], "unspecified"),
                    }
                )
        for guardian in guardians:
            ref = f"guardian-{guardian['pk']}"
            rows.append(self._user("guardian", guardian, "guardian", agents=agents.get(ref, [])))
        roles = self._teachers()
        staff = Staff.objects.filter(pk__in=roles.keys()).values(*person, "staff_number", "is_active")
        for member in staff.order_by("pk"):
            held = roles[member["pk"]]
            primary = "siteAdministrator" if "siteAdministrator" in held else "teacher"
            record = self._user(
                "staff", member, primary, enabled=member["is_active"], identifier=member["staff_number"]
            )
            if primary == "siteAdministrator" and "teacher" in held:
                record["roles"].append({"roleType": "secondary", "role": "teacher", "org": self.org})
            rows.append(record)
        return rows, demographics

    # --- enrolments -----------------------------------------------------------------------------------

    @cached_property
    def enrollments(self) -> list[Record]:
        by_section: dict[int, list[CourseOffering]] = defaultdict(list)
        for offering in self.offerings:
            by_section[offering.section_id].append(offering)
        rows = []
        for section in self.sections:
            if section.homeroom_teacher_id:
                rows.append(
                    self._enrollment(
                        f"enr-t{section.homeroom_teacher_id}-homeroom-{section.pk}",
                        Ref("class", f"homeroom-{section.pk}"),
                        Ref("user", f"staff-{section.homeroom_teacher_id}"),
                        "teacher",
                        primary=True,
                    )
                )
        for offering in self.offerings:
            if offering.teacher_id:
                rows.append(
                    self._enrollment(
                        f"enr-t{offering.teacher_id}-{offering.pk}",
                        Ref("class", f"class-{offering.pk}"),
                        Ref("user", f"staff-{offering.teacher_id}"),
                        "teacher",
                        primary=True,
                    )
                )
        for row in self.enrolments:
            student = Ref("user", f"student-{row['student_id']}")
            dates = {"beginDate": row["enrolled_on"], "endDate": row["ended_on"]}
            rows.append(
                self._enrollment(
                    f"enr-{row['pk']}-homeroom",
                    Ref("class", f"homeroom-{row['section_id']}"),
                    student,
                    "student",
                    **dates,
                )
            )
            for offering in by_section.get(row["section_id"], ()):
                rows.append(
                    self._enrollment(
                        f"enr-{row['pk']}-{offering.pk}",
                        Ref("class", f"class-{offering.pk}"),
                        student,
                        "student",
                        **dates,
                    )
                )
        return rows

    def _enrollment(
        self,
        sourced_id: str,
        klass: Ref,
        user: Ref,
        role: str,
        *,
        primary: bool = False,
        beginDate: datetime.date | None = None,
        endDate: datetime.date | None = None,
    ) -> Record:
        return {
            **_base(sourced_id, self.now),
            "class": klass,
            "user": user,
            "school": self.org,
            "role": role,
            "primary": primary,
            "beginDate": beginDate,
            "endDate": endDate,
        }


def roster_read(options: Options) -> Roster:
    """The whole roster of `options.year`: every record, read in a fixed number of queries."""
    reading = Reading(options)
    users, demographics = reading.people
    return Roster(
        orgs=reading.orgs,
        academic_sessions=reading.academic_sessions,
        courses=reading.courses,
        classes=reading.classes,
        users=users,
        enrollments=reading.enrollments,
        demographics=demographics,
    )
