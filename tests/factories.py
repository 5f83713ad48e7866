from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from modules.academics.models import (
    AcademicYear,
    CalendarEvent,
    CourseOffering,
    Enrollment,
    GradeLevel,
    Period,
    Room,
    Section,
    Subject,
    Term,
)
from modules.accounts.models import User
from modules.people.models import Guardian, GuardianLink, Position, Staff, Student

PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Staff

    user = factory.SubFactory(UserFactory)
    first_name = factory.SelfAttribute("user.first_name")
    last_name = factory.SelfAttribute("user.last_name")
    email = factory.SelfAttribute("user.email")
    staff_number = factory.Sequence(lambda n: f"S{n:04d}")
    position = Position.TEACHER


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Student

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    admission_number = factory.Sequence(lambda n: f"A{n:05d}")
    date_of_birth = datetime.date(2012, 5, 17)


class GuardianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guardian

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"guardian{n}@example.test")
    phone = "+1 555 0100"


class GuardianLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GuardianLink

    student = factory.SubFactory(StudentFactory)
    guardian = factory.SubFactory(GuardianFactory)
    relationship = "mother"
    is_primary = True


def _this_year_start():
    today = timezone.localdate()
    return datetime.date(today.year if today.month >= 8 else today.year - 1, 8, 15)


class AcademicYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AcademicYear

    start_date = factory.LazyFunction(_this_year_start)
    end_date = factory.LazyAttribute(lambda o: datetime.date(o.start_date.year + 1, 7, 15))
    name = factory.LazyAttribute(lambda o: f"{o.start_date.year}/{o.start_date.year + 1}")
    is_current = True


class TermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Term

    year = factory.SubFactory(AcademicYearFactory)
    name = factory.Sequence(lambda n: f"Term {n + 1}")
    start_date = factory.LazyAttribute(lambda o: o.year.start_date)
    end_date = factory.LazyAttribute(lambda o: o.year.end_date)


class GradeLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GradeLevel
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Grade {n + 1}")
    order = factory.Sequence(lambda n: n + 1)


class SubjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subject
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Subject {n}")
    code = factory.Sequence(lambda n: f"SUB{n}")


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    name = factory.Sequence(lambda n: f"R{n + 100}")


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section

    year = factory.SubFactory(AcademicYearFactory)
    grade_level = factory.SubFactory(GradeLevelFactory)
    name = factory.Sequence(lambda n: f"S{n}")


class CourseOfferingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CourseOffering

    subject = factory.SubFactory(SubjectFactory)
    section = factory.SubFactory(SectionFactory)
    teacher = factory.SubFactory(StaffFactory)


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    student = factory.SubFactory(StudentFactory)
    section = factory.SubFactory(SectionFactory)
    year = factory.SelfAttribute("section.year")


class PeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Period

    name = factory.Sequence(lambda n: f"Period {n + 1}")
    order = factory.Sequence(lambda n: n + 1)
    start_time = datetime.time(8, 0)
    end_time = datetime.time(8, 45)


class TimetableFactory(factory.django.DjangoModelFactory):
    """A published timetable of a year, in effect from the year's first day (pass status="draft" for a
    draft)."""

    class Meta:
        model = "timetable.Timetable"

    year = factory.SubFactory(AcademicYearFactory)
    name = factory.LazyAttribute(lambda o: f"Timetable {o.year.start_date.year}–{o.year.end_date.year}")
    status = "published"
    effective_from = factory.LazyAttribute(lambda o: o.year.start_date if o.status == "published" else None)
    published_at = factory.LazyAttribute(lambda o: timezone.now() if o.status == "published" else None)


def _timetable_of(lesson) -> object:
    """The published timetable of the lesson's class's year (made when it has none yet)."""
    from modules.timetable.models import Timetable

    year = lesson.offering.section.year
    return Timetable.objects.filter(year=year, status="published").first() or TimetableFactory(year=year)


class LessonFactory(factory.django.DjangoModelFactory):
    """A lesson in the published timetable of its class's year (one is made if there is none), taught by
    the class's teacher, today's weekday by default."""

    class Meta:
        model = "timetable.Lesson"

    offering = factory.SubFactory(CourseOfferingFactory)
    timetable = factory.LazyAttribute(_timetable_of)
    teacher = factory.SelfAttribute("offering.teacher")
    weekday = factory.LazyFunction(lambda: timezone.localdate().weekday())
    period = factory.SubFactory(PeriodFactory)
    length = 1


class CalendarEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CalendarEvent

    name = "Founders' Day"
    kind = "holiday"
    start_date = factory.LazyFunction(timezone.localdate)
    end_date = factory.LazyFunction(timezone.localdate)


class RegisterFactory(factory.django.DjangoModelFactory):
    """A daily register of a section (pass kind="lesson", offering and period for a lesson register)."""

    class Meta:
        model = "attendance.Register"

    kind = "daily"
    date = factory.LazyFunction(timezone.localdate)
    section = factory.SubFactory(SectionFactory)


class AttendanceRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "attendance.AttendanceRecord"

    register = factory.SubFactory(RegisterFactory)
    student = factory.SubFactory(StudentFactory)
    status = "present"
    date = factory.SelfAttribute("register.date")


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "exams.Assessment"

    offering = factory.SubFactory(CourseOfferingFactory)
    term = factory.SubFactory(TermFactory)
    name = factory.Sequence(lambda n: f"Quiz {n + 1}")
    kind = "quiz"
    max_score = 20


class MarkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "exams.Mark"

    assessment = factory.SubFactory(AssessmentFactory)
    student = factory.SubFactory(StudentFactory)
    score = 15
    code = ""
    max_score = factory.SelfAttribute("assessment.max_score")


class FeeItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "fees.FeeItem"
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Fee item {n + 1}")
    category = "tuition"


class FeeStructureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "fees.FeeStructure"

    year = factory.SubFactory(AcademicYearFactory)
    grade_level = factory.SubFactory(GradeLevelFactory)


class InstalmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "fees.Instalment"

    structure = factory.SubFactory(FeeStructureFactory)
    number = factory.Sequence(lambda n: n + 1)
    label = factory.LazyAttribute(lambda o: f"Instalment {o.number}")
    starts_on = factory.LazyAttribute(lambda o: o.structure.year.start_date)
    due_date = factory.LazyAttribute(lambda o: o.starts_on + datetime.timedelta(days=30))
    ends_on = factory.LazyAttribute(lambda o: o.starts_on + datetime.timedelta(days=120))


class InstalmentChargeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "fees.InstalmentCharge"

    instalment = factory.SubFactory(InstalmentFactory)
    item = factory.SubFactory(FeeItemFactory, name="Tuition")
    amount = Decimal("500.00")


class InvoiceFactory(factory.django.DjangoModelFactory):
    """An issued invoice with one line for its total (numbered outside the real sequence: T-…)."""

    class Meta:
        model = "fees.Invoice"
        skip_postgeneration_save = True

    number = factory.Sequence(lambda n: f"T-{n + 1:05d}")
    year = factory.SubFactory(AcademicYearFactory)
    student = factory.SubFactory(StudentFactory)
    due_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=14))
    total = Decimal("500.00")

    @factory.post_generation
    def lines(self, create, extracted, **kwargs):
        if create:
            self.lines.create(description="Tuition", amount=self.total)


class AssignmentFactory(factory.django.DjangoModelFactory):
    """A published, ungraded assignment due in a week (pass `assessment=` for a graded one)."""

    class Meta:
        model = "assignments.Assignment"

    offering = factory.SubFactory(CourseOfferingFactory)
    term = factory.SubFactory(TermFactory)
    title = factory.Sequence(lambda n: f"Homework {n + 1}")
    instructions = "Answer the questions on page 12."
    opens_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))
    due_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=7))
    published_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))


class SubmissionFactory(factory.django.DjangoModelFactory):
    """A typed hand-in, on time."""

    class Meta:
        model = "assignments.Submission"

    assignment = factory.SubFactory(AssignmentFactory)
    student = factory.SubFactory(StudentFactory)
    text = "My answer."
    submitted_at = factory.LazyFunction(timezone.now)
    version = 1
