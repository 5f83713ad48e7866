"""The enrolment census on a date: who was on roll by grade level and sex, their age on that date, and the
new enrolments and leavers of a period.

Enrolments are academics' (`Enrollment`: a student's section for a school year, `enrolled_on`, a status that
stops being active when they leave, and `ended_on`, the day it did, which the services set with the change:
withdrawn from the section page, or edited from active to withdrawn or transferred).
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from modules.academics.models import Enrollment, EnrollmentStatus, GradeLevel
from modules.people.models import Gender, Student
from modules.reports.returns import ReturnDocument, Table, columns, date_words, period_words, total_row

ENDED = [EnrollmentStatus.WITHDRAWN, EnrollmentStatus.TRANSFERRED]


def age_on(born: datetime.date, day: datetime.date) -> int:
    """Age in whole years on `day` (someone born on 29 February turns a year older on 1 March)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def on_roll(day: datetime.date) -> list[tuple[int, str, datetime.date]]:
    """(grade level id, sex, date of birth) of every student on roll on `day`: enrolled in a section of the
    school year that day falls in, from `enrolled_on` on, and either still active or ended after that day.
    One query."""
    return list(
        Enrollment.objects.filter(
            Q(status=EnrollmentStatus.ACTIVE) | Q(ended_on__gt=day),
            section__year__start_date__lte=day,
            section__year__end_date__gte=day,
            enrolled_on__lte=day,
        ).values_list("section__grade_level_id", "student__gender", "student__date_of_birth")
    )


def movements(start: datetime.date, end: datetime.date) -> tuple[Counter, Counter]:
    """New enrolments (a student's first enrolment at the school, dated in the period) and leavers (an
    enrolment that ended in the period and is still ended), each counted by grade level id. Two queries."""
    earlier = Enrollment.objects.filter(
        student_id=OuterRef("student_id"), enrolled_on__lt=OuterRef("enrolled_on")
    )
    new = Counter(
        Enrollment.objects.filter(enrolled_on__range=(start, end))
        .filter(~Exists(earlier))
        .values_list("section__grade_level_id", flat=True)
    )
    leavers = Counter(
        Enrollment.objects.filter(status__in=ENDED, ended_on__range=(start, end)).values_list(
            "section__grade_level_id", flat=True
        )
    )
    return new, leavers


def census(*, values: dict, user) -> ReturnDocument:
    day: datetime.date = values["on"]
    start, end = values["start"], values["end"]
    pupils = on_roll(day)
    new, leavers = movements(start, end)
    grades = list(GradeLevel.objects.order_by("order", "name").values_list("pk", "name"))
    sexes = [
        (Gender.FEMALE, Gender.FEMALE.label),
        (Gender.MALE, Gender.MALE.label),
        (Gender.OTHER, Gender.OTHER.label),
    ]
    by_sex: dict[int, Counter] = defaultdict(Counter)
    by_age: dict[int, Counter] = defaultdict(Counter)
    for grade, sex, born in pupils:
        by_sex[grade][sex] += 1
        by_age[grade][age_on(born, day)] += 1
    ages = sorted({age for counts in by_age.values() for age in counts})
    on_roll_rows = [
        [name, *(by_sex[pk][code] for code, _label in sexes), sum(by_sex[pk].values())]
        for pk, name in grades
        if by_sex[pk]
    ]
    age_rows = [
        [name, *(by_age[pk][age] for age in ages), sum(by_age[pk].values())]
        for pk, name in grades
        if by_age[pk]
    ]
    movement_rows = [[name, new[pk], leavers[pk]] for pk, name in grades if new[pk] or leavers[pk]]
    total = _("Total")
    tables = [
        Table(
            caption=_("On roll on %(date)s by grade level and sex") % {"date": date_words(day)},
            sheet=_("On roll"),
            headers=columns(_("Grade level"), *(str(label) for _code, label in sexes), _("Total")),
            rows=on_roll_rows,
            totals=total_row(total, on_roll_rows),
        ),
        Table(
            caption=_("Age on %(date)s by grade level") % {"date": date_words(day)},
            sheet=_("Ages"),
            headers=columns(_("Grade level"), *(_("Age %(age)s") % {"age": age} for age in ages), _("Total")),
            rows=age_rows,
            totals=total_row(total, age_rows),
        ),
        Table(
            caption=_("New enrolments and leavers, %(period)s") % {"period": period_words(start, end)},
            sheet=_("Movements"),
            headers=columns(_("Grade level"), _("New enrolments"), _("Leavers")),
            rows=movement_rows,
            totals=total_row(total, movement_rows),
        ),
    ]
    return ReturnDocument(
        slug="census",
        title=_("Enrolment census"),
        covers=_("On %(date)s; movements %(period)s")
        % {"date": date_words(day), "period": period_words(start, end)},
        tables=tables,
        rules=[
            _(
                "On roll: enrolled in a section of the school year the census date falls in, enrolled on or "
                "before that date, and either still active or withdrawn or transferred after it."
            ),
            _("Sex as recorded on the student's record (female, male, or other / not stated)."),
            _("Age: whole years on the census date, from the date of birth."),
            _(
                "New enrolment: a student's first enrolment at the school, with an enrolment date in the "
                "period (a student moving up a year is not new)."
            ),
            _(
                "Leaver: an enrolment withdrawn or transferred within the period, on the day the office "
                "recorded it; an enrolment ended with no day recorded is neither on roll nor counted as a "
                "leaver. Shown in the grade level of the section left."
            ),
        ],
        facts=[
            (_("Students on roll"), len(pupils)),
            (_("New enrolments"), sum(new.values())),
            (_("Leavers"), sum(leavers.values())),
        ],
        notice="" if pupils else _("No student was on roll on this date."),
        filename=f"enrolment-census-{day:%Y-%m-%d}",
        model=Student,
    )
