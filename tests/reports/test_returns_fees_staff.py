"""The fee arrears summary (the bursar's aging on a date, families in arrears) and the staff list by role."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from tests import factories as f


def _return(client, slug: str, **params):
    response = client.get(reverse("reports:return_detail", args=[slug]), params)
    assert response.status_code == 200
    return response.context["document"]


def _arrears(school):
    """child and their brother (the same guardian) owe past due; other_child owes 45 days past due;
    a student without a guardian owes 100 days past due; a fourth owes on an invoice not yet due."""
    today = timezone.localdate()
    grade8 = f.SectionFactory(year=school.year, grade_level=f.GradeLevelFactory(name="Grade 8", order=8))
    brother = f.StudentFactory(first_name="Bro", last_name="Parent")
    f.GuardianLinkFactory(student=brother, guardian=school.guardian_profile, is_primary=False)
    alone = f.StudentFactory(first_name="Al", last_name="Lone")
    later = f.StudentFactory(first_name="Lat", last_name="Er")

    def owe(student, section, days_past_due: int, total: str, paid: str = "0.00"):
        f.InvoiceFactory(
            year=school.year,
            student=student,
            section=section,
            due_date=today - datetime.timedelta(days=days_past_due),
            total=Decimal(total),
            amount_paid=Decimal(paid),
        )

    owe(school.child, school.section, 10, "500.00", paid="200.00")
    owe(brother, school.section, 5, "100.00")
    owe(school.other_child, school.other_section, 45, "250.00")
    owe(alone, grade8, 100, "80.00")
    owe(later, grade8, -7, "60.00")


def test_it_counts_what_is_owed_as_the_aging_page_does(school, admin, as_user):
    _arrears(school)
    client = as_user(admin)
    document = _return(client, "fee-arrears")
    aging = client.get(reverse("fees:aging")).context["report"]

    table = document.tables[0]
    assert table.headers[1:6] == ["Not yet due", "1–30 days", "31–60 days", "61–90 days", "Over 90 days"]
    # Grade 7: child's 300 left 10 days past due and the brother's 100 five days (1-30), other_child's 250
    # (31-60); Grade 8: 60 not yet due, 80 over 90 days past due.
    assert table.rows == [
        [
            "Grade 7",
            *[Decimal(a) for a in ("0.00", "400.00", "250.00", "0.00", "0.00")],
            Decimal("650.00"),
            3,
        ],
        ["Grade 8", *[Decimal(a) for a in ("60.00", "0.00", "0.00", "0.00", "80.00")], Decimal("140.00"), 2],
    ]
    assert [[row.label, *row.amounts, row.total, row.count] for row in aging.rows] == table.rows
    assert table.totals[-2:] == [aging.total.total, aging.total.count]


def test_it_counts_families_in_arrears_by_shared_guardians(school, admin, as_user):
    _arrears(school)
    facts = dict(_return(as_user(admin), "fee-arrears").facts)

    # child and brother are one family; other_child; the student without a guardian. Not the one not yet due.
    assert facts["Families in arrears"] == 3
    assert facts["Students in arrears"] == 4
    assert facts["Total owed"] == Decimal("790.00")
    assert facts["Of which past due"] == Decimal("730.00")


def test_a_later_date_counts_what_will_be_overdue_by_then(school, admin, as_user):
    _arrears(school)
    later = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    document = _return(as_user(admin), "fee-arrears", on=later)

    assert dict(document.facts)["Students in arrears"] == 5
    grade8 = document.tables[0].rows[1]
    assert grade8[:3] == ["Grade 8", Decimal("0.00"), Decimal("60.00")]


def test_the_staff_list_names_each_role_and_login(school, admin, bursar, as_user):
    f.StaffFactory(first_name="Lee", last_name="Gone", position="teacher", is_active=False)
    invited = f.StaffFactory(first_name="Ivy", last_name="New", position="teacher")
    invited.user.set_unusable_password()
    invited.user.save()
    parent_teacher = f.StaffFactory(first_name="Pam", last_name="Both", position="teacher")
    f.GuardianFactory(user=parent_teacher.user, first_name="Pam", last_name="Both")
    document = _return(as_user(admin), "staff")

    assert document.tables[0].rows == [
        ["Teacher", 5, 4, 3],
        ["Bursar", 1, 1, 1],
        ["Administrator", 1, 1, 1],
    ]
    lines = {row[0]: (row[2], row[4], row[6], row[7]) for row in document.tables[1].rows}
    assert lines["Gone, Lee"] == ("Teacher", "", "No", "No role (staff record inactive)")
    assert lines["New, Ivy"] == ("Teacher", "", "Yes", "Invited, not yet activated")
    assert lines["Both, Pam"] == ("Teacher", "Parent / guardian", "Yes", "Active")
    assert lines["Money, Bea"] == ("Bursar", "", "Yes", "Active")
