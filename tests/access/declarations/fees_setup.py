from decimal import Decimal

from modules.fees.models import Discount
from tests import factories as f
from tests.access.matrix import Rule, expect

# Fee setup: the bursar and the office; anyone else signed in is refused, visitors go to log in.
FEE_STAFF = expect(403, admin=200, bursar=200)
FEE_STAFF_POST = expect(403, admin=302, bursar=302)


def _item(s) -> dict:
    return {"pk": f.FeeItemFactory(name="Tuition").pk}


def _used_item(s) -> dict:
    instalment = f.InstalmentFactory(structure=f.FeeStructureFactory(year=s.year))
    return {"pk": f.InstalmentChargeFactory(instalment=instalment).item_id}


def _structure(s) -> dict:
    return {"pk": f.FeeStructureFactory(year=s.year, grade_level=s.section.grade_level).pk}


def _instalment(s) -> dict:
    return {"pk": f.InstalmentFactory(structure=f.FeeStructureFactory(year=s.year)).pk}


def _invoiced_instalment(s) -> dict:
    """An instalment already invoiced: deleting it is refused (a redirect with a message), so every persona
    meets the same row."""
    instalment = f.InstalmentFactory(structure=f.FeeStructureFactory(year=s.year))
    f.InvoiceFactory(year=s.year, student=s.child, instalment=instalment)
    return {"pk": instalment.pk}


def _discount(s) -> dict:
    discount = Discount.objects.create(
        student=s.child, year=s.year, kind="fixed", value=Decimal("5"), reason="r", approved_by="a"
    )
    return {"pk": discount.pk}


RULES = [
    Rule("fees:setup", expect=FEE_STAFF),
    Rule("fees:item_list", expect=FEE_STAFF),
    Rule("fees:item_create", expect=FEE_STAFF),
    Rule("fees:item_edit", kwargs=_item, expect=FEE_STAFF),
    # An item in use is not deleted: a message and a redirect back to it, for every persona alike.
    Rule("fees:item_delete", method="post", kwargs=_used_item, expect=FEE_STAFF_POST),
    Rule("fees:policy", expect=FEE_STAFF),
    Rule("fees:payment_instructions", expect=FEE_STAFF),
    Rule("fees:structure_list", expect=FEE_STAFF),
    Rule("fees:structure_create", expect=FEE_STAFF),
    # An empty choice is refused with a message and a redirect back to the list.
    Rule("fees:structure_copy", method="post", expect=FEE_STAFF_POST),
    Rule("fees:structure_detail", kwargs=_structure, expect=FEE_STAFF),
    # An empty grid is valid (nothing charged): saved, then back to the structure.
    Rule("fees:structure_notes", method="post", kwargs=_structure, expect=FEE_STAFF_POST),
    Rule("fees:structure_charges", method="post", kwargs=_structure, expect=FEE_STAFF_POST),
    # An empty instalment form is re-rendered with its errors.
    Rule("fees:instalment_create", method="post", kwargs=_structure, expect=FEE_STAFF),
    Rule("fees:instalment_edit", kwargs=_instalment, expect=FEE_STAFF),
    Rule("fees:instalment_delete", method="post", kwargs=_invoiced_instalment, expect=FEE_STAFF_POST),
    Rule("fees:optional_items", expect=FEE_STAFF),
    Rule("fees:discount_list", expect=FEE_STAFF),
    Rule("fees:discount_create", expect=FEE_STAFF),
    # Without a reason nothing is revoked: a message and a redirect to the list.
    Rule("fees:discount_revoke", method="post", kwargs=_discount, expect=FEE_STAFF_POST),
    Rule("fees:generate", expect=FEE_STAFF),
]
