"""The fee arrears summary on a date: what is owed by grade level and age band (the aging of the bursar's
page, `fees.reports.aging`, counted on that date) and how many families are in arrears."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from modules.fees import reports
from modules.fees.models import Invoice
from modules.fees.money import quantize, school_currency
from modules.people.models import GuardianLink
from modules.reports.returns import ReturnDocument, Table, columns, date_words


def families_in_arrears(day: datetime.date) -> tuple[int, int]:
    """(families, students) owing on an invoice past its due date on `day`. A family is the students who
    share a guardian, directly or through a brother's or sister's guardian; a student without a guardian
    is a family of their own. Two queries."""
    students = set(
        reports.outstanding_invoices()
        .filter(due_date__lt=day)
        .values_list("student_id", flat=True)
        .distinct()
    )
    parent: dict[object, object] = {}

    def root(node: object) -> object:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for student_id, guardian_id in GuardianLink.objects.filter(student_id__in=list(students)).values_list(
        "student_id", "guardian_id"
    ):
        parent[root(("s", student_id))] = root(("g", guardian_id))
    families = {root(("s", student_id)) for student_id in students}
    return len(families), len(students)


def arrears(*, values: dict, user) -> ReturnDocument:
    day: datetime.date = values["on"]
    aging = reports.aging(day)
    labels = [str(bucket.label) for bucket in reports.BUCKETS]

    def cells(row: reports.AgingRow) -> list:
        return [*(quantize(amount) for amount in row.amounts), quantize(row.total), row.count]

    families, students = families_in_arrears(day)
    overdue = sum(aging.total.amounts[1:], Decimal(0))
    table = Table(
        caption=_("Owed on %(date)s by grade level and days past due") % {"date": date_words(day)},
        sheet=_("Arrears by grade level"),
        headers=columns(_("Grade level"), *labels, _("Total owed"), _("Invoices")),
        rows=[[row.label, *cells(row)] for row in aging.rows],
        totals=[aging.total.label, *cells(aging.total)],
    )
    return ReturnDocument(
        slug="fee-arrears",
        title=_("Fee arrears summary"),
        covers=_("On %(date)s") % {"date": date_words(day)},
        tables=[table],
        rules=[
            _(
                "Owed: what is still due on open invoices (total, less payments allocated and credit notes), "
                "from the balances the ledger holds today, as on the bursar's aging page."
            ),
            _(
                "Days past due: the date of the return less the invoice's due date; an invoice due on that "
                "date is not yet due. Bands: 1–30, 31–60, 61–90 and over 90 days."
            ),
            _("Grade level: that of the section the invoice was billed to."),
            _(
                "In arrears: owing on at least one invoice past its due date. A family is the students "
                "who share a guardian (directly or through a brother's or sister's guardian); a student "
                "without a guardian is a family of their own."
            ),
            _("Amounts in %(currency)s.") % {"currency": school_currency()},
        ],
        facts=[
            (_("Total owed"), quantize(aging.total.total)),
            (_("Of which past due"), quantize(overdue)),
            (_("Families in arrears"), families),
            (_("Students in arrears"), students),
        ],
        notice="" if aging.rows else _("Nothing is owed."),
        filename=f"fee-arrears-{day:%Y-%m-%d}",
        model=Invoice,
    )
