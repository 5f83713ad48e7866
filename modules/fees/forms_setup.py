"""Forms of the fee setup pages: items, rules, structures and their instalments and charges, optional items,
discounts and waivers, and generating invoices."""

from __future__ import annotations

import re
from decimal import Decimal

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from modules.academics.models import AcademicYear, Enrollment, EnrollmentStatus, GradeLevel, Section
from modules.core.concurrency import StaleEditCheckMixin
from modules.core.params import query_id
from modules.fees.models import (
    CENT,
    Discount,
    DiscountKind,
    FeeItem,
    FeePolicy,
    FeeStructure,
    Instalment,
    InstalmentCharge,
)
from modules.people.models import Student

DAYS_LIST = re.compile(r"^\s*(\d{1,3}\s*(,\s*\d{1,3}\s*)*)?$")
PHONE = re.compile(r"^\+?[0-9 ()./-]+$")
ACCOUNT_NUMBER = re.compile(r"^[A-Z0-9 -]+$")
IBAN_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$")
BANK_CODE = re.compile(r"^[A-Z0-9 -]+$")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


class FeeItemForm(StaleEditCheckMixin, forms.ModelForm):
    class Meta:
        model = FeeItem
        fields = ["name", "category", "description", "is_optional", "sibling_discount", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class FeePolicyForm(StaleEditCheckMixin, forms.ModelForm):
    class Meta:
        model = FeePolicy
        fields = [
            "late_enrolment",
            "reminder_days_before",
            "reminder_days_after",
            "sibling_discount_percent",
            "students_see_balance",
        ]
        widgets = {"late_enrolment": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sibling_discount_percent"].max_value = Decimal(100)
        self.fields["sibling_discount_percent"].widget.attrs.update(min=0, max=100, step="0.01")
        self.helper = _helper()

    def _days(self, name: str) -> str:
        value = self.cleaned_data[name]
        if not DAYS_LIST.match(value):
            raise ValidationError(_("Write whole numbers of days separated by commas, for example 7,1."))
        days = sorted({int(part) for part in value.replace(" ", "").split(",") if part}, reverse=True)
        if any(day < 1 or day > 365 for day in days):
            raise ValidationError(_("Each number of days must be between 1 and 365."))
        return ",".join(str(day) for day in days)

    def clean_reminder_days_before(self) -> str:
        return self._days("reminder_days_before")

    def clean_reminder_days_after(self) -> str:
        days = self._days("reminder_days_after")
        return ",".join(sorted(days.split(","), key=int)) if days else days

    def clean_sibling_discount_percent(self) -> Decimal:
        value = self.cleaned_data["sibling_discount_percent"]
        if value is not None and value > 100:
            raise ValidationError(_("A percentage is at most 100."))
        return value


def iban_is_valid(iban: str) -> bool:
    """ISO 13616 check digits: the IBAN, its first four characters moved to the end and letters turned
    into numbers (A = 10 … Z = 35), leaves 1 when divided by 97."""
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(char, 36)) for char in moved)) % 97 == 1


class PaymentInstructionsForm(StaleEditCheckMixin, forms.ModelForm):
    """How families pay other than online: free text, the fees office's phone and hours, the bank account
    and the reference to quote."""

    class Meta:
        model = FeePolicy
        fields = [
            "payment_instructions",
            "office_phone",
            "office_hours",
            "bank_account_name",
            "bank_account_number",
            "bank_code",
            "payment_reference",
        ]
        widgets = {
            "payment_instructions": forms.Textarea(attrs={"rows": 5}),
            "payment_reference": forms.RadioSelect,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office_phone"].widget.attrs.update(type="tel", autocomplete="tel")
        self.fields["bank_account_number"].widget.attrs.update(
            spellcheck="false", autocapitalize="characters"
        )
        self.fields["bank_code"].widget.attrs.update(spellcheck="false", autocapitalize="characters")
        self.helper = _helper()

    def clean_office_phone(self) -> str:
        phone = " ".join(self.cleaned_data["office_phone"].split())
        if phone and (not PHONE.match(phone) or sum(char.isdigit() for char in phone) < 6):
            raise ValidationError(_("Write a phone number with at least 6 digits, e.g. +44 20 7946 0000."))
        return phone

    def clean_bank_account_number(self) -> str:
        number = " ".join(self.cleaned_data["bank_account_number"].upper().split())
        if not number:
            return number
        if not ACCOUNT_NUMBER.match(number):
            raise ValidationError(
                _("An account number or IBAN has only letters, digits, spaces and hyphens.")
            )
        compact = number.replace(" ", "").replace("-", "")
        if IBAN_SHAPE.match(compact) and not iban_is_valid(compact):
            raise ValidationError(
                _("This IBAN's check digits do not match: compare it with the bank's statement.")
            )
        return number

    def clean_bank_code(self) -> str:
        code = " ".join(self.cleaned_data["bank_code"].upper().split())
        if code and not BANK_CODE.match(code):
            raise ValidationError(
                _("A sort code, BIC or routing number has only letters, digits and hyphens.")
            )
        return code

    def clean(self):
        data = super().clean()
        number, name = data.get("bank_account_number"), data.get("bank_account_name")
        if number and not name and "bank_account_name" not in self.errors:
            self.add_error("bank_account_name", _("Give the account holder's name: banks check it."))
        if not number and (name or data.get("bank_code")) and "bank_account_number" not in self.errors:
            self.add_error("bank_account_number", _("Give the account number (or IBAN) too."))
        return data

    def validate_constraints(self):
        """The lengths are checked by the fields in words; the database's constraints stay as a backstop."""


class FeeStructureForm(StaleEditCheckMixin, forms.ModelForm):
    class Meta:
        model = FeeStructure
        fields = ["year", "grade_level", "notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].queryset = AcademicYear.objects.order_by("-start_date")
        self.fields["grade_level"].queryset = GradeLevel.objects.order_by("order", "name")
        self.helper = _helper()

    def clean(self):
        data = super().clean()
        year, grade = data.get("year"), data.get("grade_level")
        if year and grade and FeeStructure.objects.filter(year=year, grade_level=grade).exists():
            raise ValidationError(
                _("%(grade)s already has a fee structure for %(year)s: edit that one.")
                % {"grade": grade, "year": year}
            )
        return data

    def validate_constraints(self):
        """Checked in words in clean(); the database's constraint stays as a backstop."""


class FeeStructureNotesForm(forms.ModelForm):
    class Meta:
        model = FeeStructure
        fields = ["notes"]


class InstalmentForm(StaleEditCheckMixin, forms.ModelForm):
    class Meta:
        model = Instalment
        fields = ["number", "label", "starts_on", "ends_on", "due_date"]
        widgets = {"starts_on": DATE, "ends_on": DATE, "due_date": DATE}

    def __init__(self, *args, structure: FeeStructure, **kwargs):
        super().__init__(*args, **kwargs)
        self.structure = structure
        self.instance.structure = structure
        self.fields["number"].help_text = _(
            "Instalments with the same number are billed together across grade levels."
        )
        self.helper = _helper()

    def clean(self):
        data = super().clean()
        starts, ends, due, number = (data.get(k) for k in ("starts_on", "ends_on", "due_date", "number"))
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The instalment must end on or after the day it starts."))
        year = self.structure.year
        if starts and not (year.start_date <= starts <= year.end_date):
            self.add_error(
                "starts_on",
                _("The instalment must start within the academic year (%(start)s to %(end)s).")
                % {
                    "start": date_format(year.start_date, "SHORT_DATE_FORMAT"),
                    "end": date_format(year.end_date, "SHORT_DATE_FORMAT"),
                },
            )
        if due and ends and due > ends:
            self.add_error("due_date", _("The due date must be on or before the end of what it pays for."))
        if number:
            taken = self.structure.instalments.filter(number=number).exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error("number", _("This structure already has an instalment %(n)s.") % {"n": number})
        return data

    def validate_constraints(self):
        """The checks above say it in words; the database's constraints stay as a backstop."""


class ChargeGridForm(forms.Form):
    """The charges of a structure: one amount per fee item per instalment (empty = not charged). Instalments
    already billed are shown but locked: an issued invoice never changes."""

    def __init__(self, *args, structure: FeeStructure, instalments, items, locked: set[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.structure, self.instalments, self.items, self.locked = structure, instalments, items, locked
        self.stored = amounts = {
            (charge.instalment_id, charge.item_id): charge.amount
            for charge in InstalmentCharge.objects.filter(instalment__structure=structure)
        }
        self.rows = []
        for item in items:
            cells = []
            for instalment in instalments:
                name = self.field_name(instalment.pk, item.pk)
                self.fields[name] = forms.DecimalField(
                    label=_("%(item)s, %(instalment)s") % {"item": item.name, "instalment": instalment.label},
                    required=False,
                    min_value=Decimal(0),
                    max_digits=12,
                    decimal_places=2,
                    initial=amounts.get((instalment.pk, item.pk)),
                    disabled=instalment.pk in locked,
                    widget=forms.NumberInput(
                        attrs={"step": "0.01", "min": "0", "class": "form-control text-end"}
                    ),
                )
                cells.append(self[name])
            self.rows.append((item, cells))

    def totals(self) -> list[Decimal]:
        """What each instalment charges in all (before optional items and discounts), as saved."""
        return [
            sum(
                (amount for (inst, _item), amount in self.stored.items() if inst == instalment.pk), Decimal(0)
            )
            for instalment in self.instalments
        ]

    @staticmethod
    def field_name(instalment_id: int, item_id: int) -> str:
        return f"charge_{instalment_id}_{item_id}"

    def amounts(self) -> dict[tuple[int, int], Decimal | None]:
        """{(instalment id, item id): amount or None} for the instalments that may change."""
        return {
            (instalment.pk, item.pk): self.cleaned_data.get(self.field_name(instalment.pk, item.pk)) or None
            for instalment in self.instalments
            if instalment.pk not in self.locked
            for item in self.items
        }

    def clean(self):
        data = super().clean()
        for name, value in data.items():
            if value is not None and 0 < value < CENT:
                self.add_error(name, _("The smallest amount is 0.01."))
        return data


class CopyStructuresForm(forms.Form):
    source = forms.ModelChoiceField(label=gettext_lazy("Copy from"), queryset=AcademicYear.objects.none())
    target = forms.ModelChoiceField(label=gettext_lazy("Into"), queryset=AcademicYear.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        years = AcademicYear.objects.order_by("-start_date")
        self.fields["source"].queryset = years
        self.fields["target"].queryset = years
        self.helper = _helper()

    def clean(self):
        data = super().clean()
        if data.get("source") and data.get("source") == data.get("target"):
            raise ValidationError(_("Choose two different years."))
        return data


class OptionalItemsForm(forms.Form):
    """Who takes an optional item in a section this year: tick the students (untick to remove)."""

    section = forms.ModelChoiceField(label=gettext_lazy("Section"), queryset=Section.objects.none())
    item = forms.ModelChoiceField(label=gettext_lazy("Optional item"), queryset=FeeItem.objects.none())
    students = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Students who take it"),
        queryset=Student.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, year: AcademicYear | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = (
            Section.objects.filter(year=year)
            .select_related("grade_level")
            .order_by("grade_level__order", "name")
        )
        self.fields["item"].queryset = FeeItem.objects.filter(is_optional=True, is_active=True)
        section_id = query_id(self.data.get("section") or self.initial.get("section"))
        if section_id:
            self.fields["students"].queryset = Student.objects.filter(
                enrollments__section_id=section_id, enrollments__status=EnrollmentStatus.ACTIVE
            ).order_by("last_name", "first_name")


class DiscountForm(StaleEditCheckMixin, forms.ModelForm):
    admission_number = forms.CharField(
        label=gettext_lazy("Student's admission number"),
        max_length=30,
        help_text=gettext_lazy("As on the student's record, e.g. A-0001."),
    )

    class Meta:
        model = Discount
        fields = ["year", "item", "kind", "value", "reason", "approved_by"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["admission_number", *self.Meta.fields])
        self.fields["year"].queryset = AcademicYear.objects.order_by("-start_date")
        self.fields["item"].queryset = FeeItem.objects.filter(is_active=True)
        self.fields["item"].empty_label = _("Every item")
        self.fields["kind"].widget = forms.RadioSelect(choices=DiscountKind.choices)
        self.fields["value"].help_text = _("A percentage (100 = a full waiver) or an amount per instalment.")
        self.helper = _helper()

    def clean_admission_number(self) -> str:
        number = self.cleaned_data["admission_number"].strip()
        student = Student.objects.filter(admission_number__iexact=number).first()
        if student is None:
            raise ValidationError(_("No student has the admission number %(number)s.") % {"number": number})
        self.instance.student = student
        return number

    def clean(self):
        data = super().clean()
        if data.get("kind") == DiscountKind.PERCENT and data.get("value") and data["value"] > 100:
            self.add_error("value", _("A percentage is at most 100."))
        student, year = getattr(self.instance, "student", None), data.get("year")
        if student is not None and year is not None:
            enrolled = Enrollment.objects.filter(student=student, year=year).exists()
            if not enrolled:
                self.add_error(
                    "admission_number",
                    _("%(student)s is not enrolled in %(year)s.") % {"student": student, "year": year},
                )
        return data

    def validate_constraints(self):
        """Checked above in words; the database's constraints stay as a backstop."""


class RevokeForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why it is revoked"), max_length=200)


class GenerateForm(forms.Form):
    year = forms.ModelChoiceField(label=gettext_lazy("Academic year"), queryset=AcademicYear.objects.none())
    number = forms.TypedChoiceField(label=gettext_lazy("Instalment"), coerce=int, choices=())
    grade_levels = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Grade levels"),
        queryset=GradeLevel.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Leave all unticked for every grade level with this instalment."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].queryset = AcademicYear.objects.order_by("-start_date")
        self.fields["grade_levels"].queryset = (
            GradeLevel.objects.filter(fee_structures__isnull=False).distinct().order_by("order", "name")
        )
        labels: dict[int, set[str]] = {}
        for number, label in Instalment.objects.order_by("number").values_list("number", "label"):
            labels.setdefault(number, set()).add(label)
        self.fields["number"].choices = [
            (number, f"{number} — {' / '.join(sorted(names))}") for number, names in labels.items()
        ]

    def clean(self):
        data = super().clean()
        year, number = data.get("year"), data.get("number")
        if year and number:
            instalments = Instalment.objects.filter(structure__year=year, number=number)
            if data.get("grade_levels"):
                instalments = instalments.filter(structure__grade_level__in=data["grade_levels"])
            if not instalments.exists():
                raise ValidationError(
                    _("No fee structure of %(year)s has an instalment %(number)s for these grade levels.")
                    % {"year": year, "number": number}
                )
        return data

    def grade_level_ids(self) -> list[int] | None:
        chosen = self.cleaned_data.get("grade_levels")
        return [grade.pk for grade in chosen] if chosen else None
