"""A guardian's fees: every child's balance, invoices and payments on one page, and paying online with
Stripe Checkout. The return page from Stripe records nothing: the signed webhook does."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from modules.accounts.rules import is_guardian
from modules.core.access import role_required
from modules.core.htmx import render_page
from modules.fees import family, stripe_gateway
from modules.fees.forms_payments import CheckoutForm
from modules.fees.instructions import how_to_pay
from modules.fees.models import CheckoutSession, CheckoutStatus, Invoice
from modules.fees.money import ZERO_DECIMAL, school_currency


@require_GET
@role_required(is_guardian)
def family_fees(request):
    fees = family.family_fees(request.user)
    currency = school_currency()
    context = {
        "fees": fees,
        "can_pay": stripe_gateway.is_enabled() and fees.open_count > 0,
        # Paying at the office or by transfer: the only way without online payment, else the other way.
        "pay": how_to_pay(),
        "currency": currency,
        "currency_places": 0 if currency in ZERO_DECIMAL else 2,
    }
    return render(request, "fees/family_fees.html", context)


@require_POST
@role_required(is_guardian)
def checkout_start(request):
    """One Stripe Checkout for the ticked invoices; amounts are what the server says is owed on them."""
    form = CheckoutForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("invoice", []):
            messages.error(request, error)
        return redirect("fees:family")
    try:
        checkout = family.checkout_create(
            user=request.user,
            invoice_ids=form.cleaned_data["invoice"],
            return_url=lambda pk: request.build_absolute_uri(
                reverse("fees:checkout_return", kwargs={"pk": pk})
            ),
        )
    except Invoice.DoesNotExist as error:
        raise Http404 from error
    except family.CheckoutError as error:
        messages.error(request, str(error))
        return redirect("fees:family")
    if not checkout.url:
        return redirect("fees:family")
    response = HttpResponseRedirect(checkout.url)
    response.status_code = 303  # the browser follows with a GET to Stripe's page
    return response


@require_GET
@role_required(is_guardian)
def checkout_return(request, pk):
    """Back from Stripe. Says what the guardian did there and what we know so far; changes nothing."""
    checkout = get_object_or_404(
        CheckoutSession.objects.filter(guardian__user=request.user).prefetch_related(
            "items__invoice__student"
        ),
        pk=pk,
    )
    result = request.GET.get("result", "")
    result = result if result in ("paid", "cancelled") else ""
    context = {
        "checkout": checkout,
        "result": result,
        # Back from a payment the webhook has not confirmed yet: the status refreshes itself until it does.
        "waiting": result == "paid" and checkout.status == CheckoutStatus.OPEN,
    }
    return render_page(request, "fees/family_checkout_return.html", context, partial="status")
