"""Fee setup writes: items, rules, structures and their charges, optional items, discounts and waivers.
Each is one transaction with its audit event. Issued invoices are never touched: a change here applies to
invoices generated afterwards."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from modules.academics.models import AcademicYear, Section
from modules.core.audit import audit_log, snapshot
from modules.fees.models import (
    Discount,
    FeeItem,
    FeePolicy,
    FeeStructure,
    Instalment,
    InstalmentCharge,
    Invoice,
    InvoiceLine,
    OptionalItemAssignment,
)

ITEM_FIELDS = ["name", "category", "description", "is_optional", "sibling_discount", "is_active"]
POLICY_FIELDS = [
    "late_enrolment",
    "reminder_days_before",
    "reminder_days_after",
    "sibling_discount_percent",
    "students_see_balance",
]
PAYMENT_FIELDS = [
    "payment_instructions",
    "office_phone",
    "office_hours",
    "bank_account_name",
    "bank_account_number",
    "bank_code",
    "payment_reference",
]
INSTALMENT_FIELDS = ["number", "label", "starts_on", "due_date", "ends_on"]


def item_in_use(item: FeeItem) -> bool:
    return item.charges.exists() or item.assignments.exists() or item.discounts.exists()


@transaction.atomic
def fee_item_save(*, form, by) -> FeeItem:
    before = snapshot(form.instance, ITEM_FIELDS) if form.instance.pk else None
    item = form.save()
    audit_log(actor=by, action="fees.item", obj=item, before=before, after=snapshot(item, ITEM_FIELDS))
    return item


@transaction.atomic
def fee_item_delete(*, item: FeeItem, by) -> None:
    """Delete an item nothing uses yet; one in use is taken out of use instead (the caller says so)."""
    if item_in_use(item) or InvoiceLine.objects.filter(item=item).exists():
        raise ValidationError(
            _(
                "%(name)s is used by fee structures, optional items, discounts or invoices: "
                "take it out of use instead."
            )
            % {"name": item.name}
        )
    audit_log(actor=by, action="fees.item_delete", obj=item, before=snapshot(item, ITEM_FIELDS))
    item.delete()


@transaction.atomic
def fee_policy_save(*, form, before: dict, by) -> FeePolicy:
    policy = form.save()
    audit_log(
        actor=by, action="fees.policy", obj=policy, before=before, after=snapshot(policy, POLICY_FIELDS)
    )
    return policy


@transaction.atomic
def payment_instructions_save(*, form, before: dict, by) -> FeePolicy:
    """How families pay (the payment-instructions form on the fee policy row), with its audit event."""
    policy = form.save()
    audit_log(
        actor=by,
        action="fees.payment_instructions",
        obj=policy,
        before=before,
        after=snapshot(policy, PAYMENT_FIELDS),
    )
    return policy


@transaction.atomic
def structure_save(*, form, by) -> FeeStructure:
    created = form.instance.pk is None
    structure = form.save()
    audit_log(
        actor=by,
        action="fees.structure",
        obj=structure,
        after={"year": structure.year_id, "grade_level": structure.grade_level_id, "notes": structure.notes},
        reason="" if not created else "created",
    )
    return structure


def billed_instalments(structure: FeeStructure) -> set[int]:
    """Instalments of the structure someone was invoiced for: locked (their charges and dates stay)."""
    return set(
        Invoice.objects.filter(instalment__structure=structure)
        .values_list("instalment_id", flat=True)
        .distinct()
    )


@transaction.atomic
def instalment_save(*, form, by) -> Instalment:
    instalment = form.instance
    if instalment.pk and instalment.pk in billed_instalments(instalment.structure):
        raise ValidationError(_("Invoices were issued for this instalment: it can no longer change."))
    before = snapshot(Instalment.objects.get(pk=instalment.pk), INSTALMENT_FIELDS) if instalment.pk else None
    instalment = form.save()
    audit_log(
        actor=by,
        action="fees.instalment",
        obj=instalment,
        before=before,
        after=snapshot(instalment, INSTALMENT_FIELDS),
    )
    return instalment


@transaction.atomic
def instalment_delete(*, instalment: Instalment, by) -> None:
    if instalment.invoices.exists():
        raise ValidationError(_("Invoices were issued for this instalment: it cannot be deleted."))
    audit_log(
        actor=by,
        action="fees.instalment_delete",
        obj=instalment,
        before=snapshot(instalment, INSTALMENT_FIELDS),
    )
    instalment.delete()


@transaction.atomic
def charges_save(*, structure: FeeStructure, amounts: dict[tuple[int, int], Decimal | None], by) -> int:
    """Write the grid: set, change or remove each (instalment, item) charge. Returns how many changed."""
    existing = {
        (charge.instalment_id, charge.item_id): charge
        for charge in InstalmentCharge.objects.select_for_update().filter(instalment__structure=structure)
    }
    locked = billed_instalments(structure)
    changes = {}
    create, update, delete = [], [], []
    for key, amount in amounts.items():
        if key[0] in locked:
            continue
        charge = existing.get(key)
        if charge is None and amount:
            create.append(InstalmentCharge(instalment_id=key[0], item_id=key[1], amount=amount))
        elif charge is not None and not amount:
            delete.append(charge.pk)
        elif charge is not None and charge.amount != amount:
            charge.amount = amount
            update.append(charge)
        else:
            continue
        changes[f"{key[0]}:{key[1]}"] = [
            str(charge.amount) if charge else None,
            str(amount) if amount else None,
        ]
    InstalmentCharge.objects.bulk_create(create)
    InstalmentCharge.objects.bulk_update(update, ["amount"])
    InstalmentCharge.objects.filter(pk__in=delete).delete()
    if changes:
        audit_log(actor=by, action="fees.charges", obj=structure, after={"changes": changes})
    return len(changes)


def _shift(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class CopyResult:
    copied: int
    existing: int


@transaction.atomic
def structures_copy(*, source: AcademicYear, target: AcademicYear, by) -> CopyResult:
    """Copy the source year's structures (instalments with dates moved by the years between, charges) into
    the target year, for the grade levels that have none there yet."""
    years = target.start_date.year - source.start_date.year
    have = set(FeeStructure.objects.filter(year=target).values_list("grade_level_id", flat=True))
    copied = existing = 0
    for structure in FeeStructure.objects.filter(year=source).prefetch_related("instalments__charges"):
        if structure.grade_level_id in have:
            existing += 1
            continue
        new = FeeStructure.objects.create(
            year=target, grade_level_id=structure.grade_level_id, notes=structure.notes
        )
        for instalment in structure.instalments.all():
            copy = Instalment.objects.create(
                structure=new,
                number=instalment.number,
                label=instalment.label,
                starts_on=_shift(instalment.starts_on, years),
                due_date=_shift(instalment.due_date, years),
                ends_on=_shift(instalment.ends_on, years),
            )
            InstalmentCharge.objects.bulk_create(
                InstalmentCharge(instalment=copy, item_id=charge.item_id, amount=charge.amount)
                for charge in instalment.charges.all()
            )
        copied += 1
    audit_log(
        actor=by,
        action="fees.structures_copy",
        model=FeeStructure,
        description=f"{source} → {target}",
        after={"source": source.pk, "target": target.pk, "copied": copied, "skipped": existing},
    )
    return CopyResult(copied, existing)


@dataclass(frozen=True)
class AssignmentResult:
    added: int
    removed: int


@transaction.atomic
def optional_items_set(*, section: Section, item: FeeItem, students: Iterable, by) -> AssignmentResult:
    """Make the ticked students of `section` exactly those who take `item` this year (section's year)."""
    chosen = {student.pk for student in students}
    in_section = set(section.enrollments.values_list("student_id", flat=True))
    current = dict(
        OptionalItemAssignment.objects.filter(
            item=item, year_id=section.year_id, student_id__in=in_section
        ).values_list("student_id", "pk")
    )
    add = chosen - set(current)
    remove = [pk for student_id, pk in current.items() if student_id not in chosen]
    OptionalItemAssignment.objects.bulk_create(
        OptionalItemAssignment(student_id=pk, item=item, year_id=section.year_id, assigned_by=by)
        for pk in add
    )
    OptionalItemAssignment.objects.filter(pk__in=remove).delete()
    if add or remove:
        audit_log(
            actor=by,
            action="fees.optional_items",
            obj=item,
            after={
                "section": section.pk,
                "year": section.year_id,
                "added": sorted(add),
                "removed": sorted(s for s, pk in current.items() if pk in remove),
            },
        )
    return AssignmentResult(len(add), len(remove))


DISCOUNT_FIELDS = ["student", "year", "item", "kind", "value", "reason", "approved_by", "is_active"]


@transaction.atomic
def discount_create(*, form, by) -> Discount:
    discount = form.save(commit=False)
    discount.recorded_by = by
    discount.save()
    audit_log(
        actor=by,
        action="fees.discount",
        obj=discount,
        after=snapshot(discount, DISCOUNT_FIELDS) | {"value": str(discount.value)},
        reason=discount.reason,
    )
    return discount


@transaction.atomic
def discount_revoke(*, discount: Discount, reason: str, by) -> Discount:
    discount = Discount.objects.select_for_update().get(pk=discount.pk)
    if not discount.is_active:
        raise ValidationError(_("This discount was already revoked."))
    discount.is_active = False
    discount.save(update_fields=["is_active"])
    audit_log(
        actor=by,
        action="fees.discount_revoke",
        obj=discount,
        before={"is_active": True},
        after={"is_active": False},
        reason=reason,
    )
    return discount
