"""Billing pages for the bursar and the office (invoice list, detail, credit notes) and the invoice and
credit-note PDFs (also for guardians, of their own children's invoices)."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.http import require_GET

from modules.core.models import SchoolProfile
from modules.core.pdf import pdf_response, render_pdf
from modules.fees.models import CreditNote, Invoice, fee_staff


def fee_staff_required(view):
    """Fee pages of the office: the bursar and administrators (403 for anyone else signed in)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not fee_staff(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def get_invoice_for_user(request, pk) -> Invoice:
    """The invoice if this user may see it (office: all; a guardian: their children's), else 404."""
    invoices = Invoice.objects.visible_to(request.user).select_related(
        "student", "section__grade_level", "year", "instalment"
    )
    return get_object_or_404(invoices.distinct(), pk=pk)


@require_GET
@login_required
def invoice_pdf(request, pk):
    invoice = get_invoice_for_user(request, pk)
    content = render_pdf(
        "fees/pdf/invoice.html",
        {
            "school": SchoolProfile.load(),
            "invoice": invoice,
            "lines": list(invoice.lines.all()),
            "credit_notes": list(invoice.credit_notes.order_by("created_at")),
            "printed_at": timezone.now(),
        },
        request=request,
    )
    return pdf_response(content, f"{invoice.number}.pdf")


@require_GET
@login_required
def credit_note_pdf(request, pk):
    notes = CreditNote.objects.filter(invoice__in=Invoice.objects.visible_to(request.user)).select_related(
        "invoice__student", "invoice__section", "invoice__year"
    )
    note = get_object_or_404(notes, pk=pk)
    content = render_pdf(
        "fees/pdf/credit_note.html",
        {"school": SchoolProfile.load(), "note": note, "invoice": note.invoice, "printed_at": timezone.now()},
        request=request,
    )
    return pdf_response(content, f"{note.number}.pdf")
