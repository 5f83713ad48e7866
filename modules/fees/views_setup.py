"""Fee setup pages for the bursar and the office: items, rules, structures (instalments and the charge
grid), optional items, discounts and waivers, and generating an instalment's invoices."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from modules.academics.models import AcademicYear, Section
from modules.academics.selectors import current_year
from modules.core.audit import snapshot
from modules.core.params import query_id
from modules.fees import billing, setup
from modules.fees.decorators import fee_staff_required
from modules.fees.forms_setup import (
    ChargeGridForm,
    CopyStructuresForm,
    DiscountForm,
    FeeItemForm,
    FeePolicyForm,
    FeeStructureForm,
    FeeStructureNotesForm,
    GenerateForm,
    InstalmentForm,
    OptionalItemsForm,
    PaymentInstructionsForm,
    RevokeForm,
)
from modules.fees.ledger import LedgerError
from modules.fees.models import (
    Discount,
    FeeItem,
    FeePolicy,
    FeeStructure,
    Instalment,
    Invoice,
    OptionalItemAssignment,
)

PER_PAGE = 50


@require_GET
@fee_staff_required
def setup_hub(request):
    year = current_year()
    counts = {
        "items": FeeItem.objects.filter(is_active=True).count(),
        "structures": FeeStructure.objects.filter(year=year).count() if year else 0,
        "discounts": Discount.objects.filter(year=year, is_active=True).count() if year else 0,
        "optional": OptionalItemAssignment.objects.filter(year=year).count() if year else 0,
        "invoices": Invoice.objects.filter(year=year).count() if year else 0,
    }
    return render(
        request, "fees/setup_hub.html", {"year": year, "counts": counts, "policy": FeePolicy.load()}
    )


# --- fee items ---------------------------------------------------------------------------------------


@require_GET
@fee_staff_required
def item_list(request):
    items = FeeItem.objects.annotate(used=Count("charges", distinct=True)).order_by("-is_active", "name")
    return render(request, "fees/setup_items.html", {"items": items})


@require_http_methods(["GET", "POST"])
@fee_staff_required
def item_form(request, pk=None):
    item = get_object_or_404(FeeItem, pk=pk) if pk else None
    form = FeeItemForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        saved = setup.fee_item_save(form=form, by=request.user)
        messages.success(request, _("The fee item %(name)s was saved.") % {"name": saved.name})
        return redirect("fees:item_list")
    in_use = item is not None and setup.item_in_use(item)
    return render(request, "fees/setup_item_form.html", {"form": form, "item": item, "in_use": in_use})


@require_POST
@fee_staff_required
def item_delete(request, pk):
    item = get_object_or_404(FeeItem, pk=pk)
    try:
        setup.fee_item_delete(item=item, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("fees:item_edit", item.pk)
    messages.success(request, _("The fee item %(name)s was deleted.") % {"name": item.name})
    return redirect("fees:item_list")


# --- rules -------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@fee_staff_required
def policy(request):
    instance = FeePolicy.objects.get(pk=FeePolicy.load().pk)
    before = snapshot(instance, setup.POLICY_FIELDS)  # validation writes the submitted values onto it
    before["sibling_discount_percent"] = str(before["sibling_discount_percent"])
    form = FeePolicyForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        setup.fee_policy_save(form=form, before=before, by=request.user)
        messages.success(request, _("The fee rules were saved."))
        return redirect("fees:policy")
    return render(request, "fees/setup_policy.html", {"form": form})


@require_http_methods(["GET", "POST"])
@fee_staff_required
def payment_instructions(request):
    """How families pay other than online (shown on their fees page, invoices and statements)."""
    instance = FeePolicy.objects.get(pk=FeePolicy.load().pk)
    before = snapshot(instance, setup.PAYMENT_FIELDS)  # validation writes the submitted values onto it
    form = PaymentInstructionsForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        setup.payment_instructions_save(form=form, before=before, by=request.user)
        messages.success(request, _("The payment instructions were saved."))
        return redirect("fees:payment_instructions")
    return render(request, "fees/setup_payment.html", {"form": form})


# --- structures --------------------------------------------------------------------------------------


def _year_from(request) -> AcademicYear | None:
    pk = query_id(request.GET.get("year"))
    if pk is not None:
        return AcademicYear.objects.filter(pk=pk).first() or current_year()
    return current_year()


@require_GET
@fee_staff_required
def structure_list(request):
    year = _year_from(request)
    structures = (
        FeeStructure.objects.filter(year=year)
        .select_related("grade_level", "year")
        .prefetch_related("instalments__charges")
        .order_by("grade_level__order", "grade_level__name")
    )
    rows = []
    for structure in structures:
        instalments = list(structure.instalments.all())
        total = sum((charge.amount for i in instalments for charge in i.charges.all()), start=0)
        rows.append({"structure": structure, "instalments": instalments, "total": total})
    previous = (
        AcademicYear.objects.filter(start_date__lt=year.start_date).order_by("-start_date").first()
        if year
        else None
    )
    return render(
        request,
        "fees/setup_structures.html",
        {
            "year": year,
            "years": AcademicYear.objects.order_by("-start_date"),
            "rows": rows,
            "copy_form": CopyStructuresForm(initial={"source": previous, "target": year}),
        },
    )


@require_http_methods(["GET", "POST"])
@fee_staff_required
def structure_create(request):
    form = FeeStructureForm(request.POST or None, initial={"year": current_year()})
    if request.method == "POST" and form.is_valid():
        structure = setup.structure_save(form=form, by=request.user)
        messages.success(request, _("Fee structure created: now add its instalments."))
        return redirect("fees:structure_detail", structure.pk)
    return render(request, "fees/setup_structure_form.html", {"form": form})


def _structure_page(request, structure, *, instalment_form=None, grid=None, status=200):
    instalments = list(structure.instalments.order_by("number"))
    locked = setup.billed_instalments(structure)
    items = list(
        FeeItem.objects.filter(Q(is_active=True) | Q(charges__instalment__structure=structure)).distinct()
    )
    grid = grid or ChargeGridForm(structure=structure, instalments=instalments, items=items, locked=locked)
    context = {
        "structure": structure,
        "instalments": instalments,
        "locked": locked,
        "grid": grid,
        "instalment_form": instalment_form
        or InstalmentForm(structure=structure, initial=_next_instalment(instalments)),
        "instalment_rows": list(zip(instalments, grid.totals(), strict=True)),
    }
    return render(request, "fees/setup_structure.html", context, status=status)


def _next_instalment(instalments: list[Instalment]) -> dict:
    number = max((i.number for i in instalments), default=0) + 1
    return {"number": number, "label": _("Instalment %(number)s") % {"number": number}}


@require_GET
@fee_staff_required
def structure_detail(request, pk):
    structure = get_object_or_404(FeeStructure.objects.select_related("year", "grade_level"), pk=pk)
    return _structure_page(request, structure)


@require_POST
@fee_staff_required
def structure_charges(request, pk):
    structure = get_object_or_404(FeeStructure.objects.select_related("year", "grade_level"), pk=pk)
    instalments = list(structure.instalments.order_by("number"))
    items = list(
        FeeItem.objects.filter(Q(is_active=True) | Q(charges__instalment__structure=structure)).distinct()
    )
    grid = ChargeGridForm(
        request.POST,
        structure=structure,
        instalments=instalments,
        items=items,
        locked=setup.billed_instalments(structure),
    )
    if not grid.is_valid():
        return _structure_page(request, structure, grid=grid)
    changed = setup.charges_save(structure=structure, amounts=grid.amounts(), by=request.user)
    messages.success(request, _("Charges saved (%(count)s changed).") % {"count": changed})
    return redirect("fees:structure_detail", structure.pk)


@require_POST
@fee_staff_required
def structure_notes(request, pk):
    structure = get_object_or_404(FeeStructure, pk=pk)
    form = FeeStructureNotesForm(request.POST, instance=structure)
    if form.is_valid():
        setup.structure_save(form=form, by=request.user)
        messages.success(request, _("Notes saved."))
    else:
        messages.error(request, " ".join(form.errors.get("notes", [])))
    return redirect("fees:structure_detail", structure.pk)


@require_POST
@fee_staff_required
def structure_copy(request):
    form = CopyStructuresForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.non_field_errors()) or _("Choose the years to copy between."))
        return redirect("fees:structure_list")
    result = setup.structures_copy(
        source=form.cleaned_data["source"], target=form.cleaned_data["target"], by=request.user
    )
    messages.success(
        request,
        _(
            "%(copied)s structures copied; %(existing)s grade levels already had one "
            "and were left as they were."
        )
        % {"copied": result.copied, "existing": result.existing},
    )
    return redirect(f"{reverse('fees:structure_list')}?year={form.cleaned_data['target'].pk}")


@require_POST
@fee_staff_required
def instalment_create(request, pk):
    structure = get_object_or_404(FeeStructure.objects.select_related("year", "grade_level"), pk=pk)
    form = InstalmentForm(request.POST, structure=structure)
    if not form.is_valid():
        return _structure_page(request, structure, instalment_form=form)
    setup.instalment_save(form=form, by=request.user)
    messages.success(request, _("Instalment added: set its charges in the grid."))
    return redirect("fees:structure_detail", structure.pk)


@require_http_methods(["GET", "POST"])
@fee_staff_required
def instalment_edit(request, pk):
    instalment = get_object_or_404(
        Instalment.objects.select_related("structure__year", "structure__grade_level"), pk=pk
    )
    form = InstalmentForm(request.POST or None, instance=instalment, structure=instalment.structure)
    locked = instalment.invoices.exists()
    if request.method == "POST" and form.is_valid():
        try:
            setup.instalment_save(form=form, by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Instalment saved."))
            return redirect("fees:structure_detail", instalment.structure_id)
    return render(
        request, "fees/setup_instalment_form.html", {"form": form, "instalment": instalment, "locked": locked}
    )


@require_POST
@fee_staff_required
def instalment_delete(request, pk):
    instalment = get_object_or_404(Instalment, pk=pk)
    try:
        setup.instalment_delete(instalment=instalment, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Instalment deleted."))
    return redirect("fees:structure_detail", instalment.structure_id)


# --- optional items ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@fee_staff_required
def optional_items(request):
    year = current_year()
    if request.method == "POST":
        form = OptionalItemsForm(request.POST, year=year)
        if form.is_valid():
            section, item = form.cleaned_data["section"], form.cleaned_data["item"]
            result = setup.optional_items_set(
                section=section, item=item, students=form.cleaned_data["students"], by=request.user
            )
            messages.success(
                request,
                _("%(item)s in %(section)s: %(added)s added, %(removed)s removed.")
                % {"item": item, "section": section, "added": result.added, "removed": result.removed},
            )
            return redirect(f"{reverse('fees:optional_items')}?section={section.pk}&item={item.pk}")
    else:
        form = OptionalItemsForm(year=year, initial=_optional_initial(request, year))
    summary = (
        OptionalItemAssignment.objects.filter(year=year)
        .values("item__name")
        .annotate(count=Count("pk"))
        .order_by("item__name")
    )
    return render(request, "fees/setup_optional.html", {"form": form, "year": year, "summary": summary})


def _optional_initial(request, year) -> dict:
    section = Section.objects.filter(pk=query_id(request.GET.get("section")) or 0, year=year).first()
    item = FeeItem.objects.filter(pk=query_id(request.GET.get("item")) or 0, is_optional=True).first()
    initial = {"section": section.pk if section else None, "item": item}
    if section and item:
        initial["students"] = list(
            OptionalItemAssignment.objects.filter(
                item=item, year=year, student__enrollments__section=section
            ).values_list("student_id", flat=True)
        )
    return initial


# --- discounts and waivers ---------------------------------------------------------------------------


@require_GET
@fee_staff_required
def discount_list(request):
    year = _year_from(request)
    query = request.GET.get("q", "").strip()
    discounts = Discount.objects.filter(year=year).select_related("student", "item", "recorded_by")
    if query:
        discounts = discounts.filter(
            Q(student__first_name__icontains=query)
            | Q(student__last_name__icontains=query)
            | Q(student__admission_number__icontains=query)
        )
    page = Paginator(discounts.order_by("-is_active", "-created_at"), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "fees/setup_discounts.html",
        {"year": year, "years": AcademicYear.objects.order_by("-start_date"), "page": page, "query": query},
    )


@require_http_methods(["GET", "POST"])
@fee_staff_required
def discount_create(request):
    form = DiscountForm(
        request.POST or None,
        initial={
            "year": current_year(),
            "kind": "percent",
            "admission_number": request.GET.get("student", ""),
        },
    )
    if request.method == "POST" and form.is_valid():
        discount = setup.discount_create(form=form, by=request.user)
        messages.success(
            request,
            _("Discount recorded for %(student)s. It applies to invoices generated from now on.")
            % {"student": discount.student},
        )
        return redirect(f"{reverse('fees:discount_list')}?year={discount.year_id}")
    return render(request, "fees/setup_discount_form.html", {"form": form})


@require_POST
@fee_staff_required
def discount_revoke(request, pk):
    discount = get_object_or_404(Discount, pk=pk)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason the discount is revoked."))
    else:
        try:
            setup.discount_revoke(discount=discount, reason=form.cleaned_data["reason"], by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("Discount revoked: invoices already issued keep it; new ones will not have it.")
            )
    return redirect(f"{reverse('fees:discount_list')}?year={discount.year_id}")


# --- generating invoices -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@fee_staff_required
def generate(request):
    """Choose a year and an instalment (and grade levels), see what it would do, then confirm."""
    form = GenerateForm(request.POST or None, initial={"year": current_year()})
    if request.method != "POST" or not form.is_valid():
        return render(request, "fees/setup_generate.html", {"form": form})
    year, number, grades = form.cleaned_data["year"], form.cleaned_data["number"], form.grade_level_ids()
    plan = billing.plan_invoices(year=year, number=number, grade_level_ids=grades)
    if "confirm" not in request.POST:
        return render(request, "fees/setup_generate.html", {"form": form, "plan": plan, "preview": True})
    if len(plan.drafts) > billing.QUEUE_ABOVE:
        job = billing.generation_start(year=year, number=number, grade_level_ids=grades, by=request.user)
        return redirect("job_progress", job.pk)
    try:
        result = billing.generate_invoices(year=year, number=number, by=request.user, grade_level_ids=grades)
    except LedgerError as error:
        messages.error(request, str(error))
        return render(request, "fees/setup_generate.html", {"form": form})
    messages.success(request, billing.generation_message(result))
    return redirect(f"{reverse('fees:invoice_list')}?year={year.pk}")
