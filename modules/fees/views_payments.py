"""The bursar's side of payments: a student's fee account, recording a payment (with a student search),
the payment and its receipt (page and PDF), refunds. Guardians may download their children's receipts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from modules.core.htmx import render_page
from modules.core.params import query_id
from modules.core.pdf import pdf_response, render_pdf
from modules.fees import ledger, receipts
from modules.fees.decorators import fee_staff_required
from modules.fees.forms_payments import PaymentForm, RefundForm, StudentSearchForm
from modules.fees.models import Invoice, Payment, Refund
from modules.people.models import Student

SEARCH_RESULTS = 20


def _student(request, pk) -> Student:
    return get_object_or_404(Student.objects.filter(pk=pk).visible_to(request.user))


@require_GET
@fee_staff_required
def student_account(request, pk):
    """A student's fee account: balance, invoices, payments with receipts, credit and refunds."""
    student = _student(request, pk)
    payments = list(Payment.objects.filter(student=student).select_related("recorded_by"))
    context = {
        "student": student,
        "balance": ledger.balances([student.pk])[student.pk],
        "open_invoices": list(Invoice.objects.filter(student=student).open().order_by("due_date", "number")),
        "other_invoices": list(
            Invoice.objects.filter(student=student).exclude(status="open").order_by("-due_date", "-number")
        ),
        "payments": payments,
        "refunds": list(Refund.objects.filter(payment__student=student).select_related("payment")),
    }
    return render(request, "fees/student_account.html", context)


def _search(request):
    form = StudentSearchForm(request.GET or None)
    students = []
    query = ""
    if form.is_valid() and form.cleaned_data["q"].strip():
        query = form.cleaned_data["q"].strip()
        condition = Q()
        for word in query.split():
            condition &= (
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(admission_number__istartswith=word)
            )
        students = list(
            Student.objects.filter(condition)
            .visible_to(request.user)
            .order_by("last_name", "first_name", "pk")[:SEARCH_RESULTS]
        )
    balances = ledger.balances([student.pk for student in students]) if students else {}
    context = {
        "form": form,
        "query": query,
        "results": [(student, balances[student.pk]) for student in students],
        "limit": SEARCH_RESULTS,
    }
    return render_page(request, "fees/payment_search.html", context, partial="results")


@require_http_methods(["GET", "POST"])
@fee_staff_required
def payment_create(request):
    """Record a payment for ?student=<pk>; without a student, find one first."""
    student_pk = request.POST.get("student") or request.GET.get("student")
    if not student_pk:
        return _search(request)
    if query_id(student_pk) is None:
        raise Http404
    student = _student(request, query_id(student_pk))
    form = PaymentForm(request.POST or None, student=student)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = ledger.record_payment(
                student_id=student.pk,
                amount=data["amount"],
                method=data["method"],
                key=form.idempotency_key,
                by=request.user,
                reference=data["reference"].strip(),
                received_on=data["received_on"],
                payer_name=data["payer_name"].strip(),
                invoice_ids=[data["invoice"].pk] if data["invoice"] else [],
            )
        except ledger.LedgerError as error:
            form.add_error(None, str(error))
        else:
            payment = result.payment
            if payment.student_id != student.pk:  # a token reused for another student: not this payment
                raise Http404
            if result.created:
                messages.success(
                    request,
                    _("Payment recorded: receipt %(number)s.") % {"number": payment.receipt_number},
                )
                if data["email_receipt"]:
                    sent = receipts.receipt_notify([payment])
                    for problem in sent.unreachable:
                        messages.warning(request, _("Receipt not emailed to %(who)s") % {"who": problem})
            else:
                messages.info(request, _("This payment was already recorded; here is its receipt."))
            return redirect("fees:payment_detail", pk=payment.pk)
    balance = ledger.balances([student.pk])[student.pk]
    return render(request, "fees/payment_form.html", {"form": form, "student": student, "balance": balance})


@require_GET
@fee_staff_required
def payment_detail(request, pk):
    try:
        payment = receipts.payment_for_receipt(Payment.objects.visible_to(request.user), pk)
    except Payment.DoesNotExist as error:
        raise Http404 from error
    return render(request, "fees/payment_detail.html", receipts.receipt_context(payment))


@require_GET
@login_required
def receipt_pdf(request, pk):
    """The numbered receipt: the bursar and the office, and the student's guardians."""
    try:
        payment = receipts.payment_for_receipt(Payment.objects.visible_to(request.user).distinct(), pk)
    except Payment.DoesNotExist as error:
        raise Http404 from error
    content = render_pdf("fees/pdf/receipt.html", receipts.receipt_context(payment), request=request)
    return pdf_response(content, receipts.receipt_filename(payment))


@require_http_methods(["GET", "POST"])
@fee_staff_required
def refund_create(request, pk):
    payment = get_object_or_404(Payment.objects.select_related("student"), pk=pk)
    form = RefundForm(request.POST or None, payment=payment)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            refund = ledger.record_refund(
                payment_id=payment.pk,
                amount=data["amount"],
                method=data["method"],
                reason=data["reason"],
                reference=data["reference"].strip(),
                by=request.user,
            )
        except ledger.LedgerError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Refund %(number)s recorded.") % {"number": refund.number})
            return redirect("fees:payment_detail", pk=payment.pk)
    return render(request, "fees/payment_refund.html", {"form": form, "payment": payment})
