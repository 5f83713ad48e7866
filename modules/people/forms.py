from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from modules.core.forms import DateInput, PortalForm
from modules.core.uploads import PhotoField
from modules.people.models import Guardian, GuardianLink, Relationship, Staff, Student
from modules.people.services import login_for_email


def check_new_login(form: forms.ModelForm, cleaned: dict) -> None:
    """When the office asks for a login, the email must be there and free for this kind of profile."""
    if not cleaned.get("create_login"):
        return
    email = cleaned.get("email")
    if not email:
        form.add_error("email", _("An email address is needed to create a login."))
        return
    try:
        login_for_email(person_class=form._meta.model, email=email)
    except ValidationError as error:
        form.add_error("email", error)


class StudentForm(PortalForm):
    create_login = forms.BooleanField(
        label=_("Create a login and email an invitation"),
        required=False,
        help_text=_("Needs the student's email address."),
    )

    class Meta:
        model = Student
        fields = [
            "first_name",
            "last_name",
            "admission_number",
            "date_of_birth",
            "gender",
            "admission_date",
            "email",
            "phone",
            "address",
            "photo",
            "medical_notes",
            "card_number",
            "is_active",
        ]
        widgets = {
            "date_of_birth": DateInput(),
            "admission_date": DateInput(),
            "address": forms.Textarea(attrs={"rows": 2}),
            "medical_notes": forms.Textarea(attrs={"rows": 2}),
        }
        # Decoded with bounded pixels and stored re-encoded, never as uploaded (modules.core.uploads).
        field_classes = {"photo": PhotoField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.user_id:
            del self.fields["create_login"]

    def clean_admission_number(self):
        return self.cleaned_data["admission_number"].strip().upper()

    def clean(self):
        cleaned = super().clean()
        check_new_login(self, cleaned)
        return cleaned


class GuardianForm(PortalForm):
    create_login = forms.BooleanField(
        label=_("Create a login and email an invitation"),
        required=False,
        help_text=_(
            "If this email already has a login (a teacher who is also a parent), it is linked instead."
        ),
    )

    class Meta:
        model = Guardian
        fields = ["first_name", "last_name", "email", "phone", "address", "occupation", "preferred_language"]
        widgets = {"address": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.user_id:
            del self.fields["create_login"]

    def clean(self):
        cleaned = super().clean()
        check_new_login(self, cleaned)
        return cleaned


class StaffForm(PortalForm):
    class Meta:
        model = Staff
        fields = [
            "first_name",
            "last_name",
            "email",
            "phone",
            "staff_number",
            "position",
            "job_title",
            "hire_date",
            "photo",
            "is_active",
        ]
        widgets = {"hire_date": DateInput()}
        field_classes = {"photo": PhotoField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["email"].help_text = _(
            "The staff member signs in with this address; new staff get an invitation."
        )

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        try:
            login_for_email(person_class=Staff, email=email, exclude_user_id=self.instance.user_id)
        except ValidationError as error:
            raise ValidationError(error.messages) from None
        if self.instance.user_id:
            from modules.accounts.models import User

            if User.objects.filter(email__iexact=email).exclude(pk=self.instance.user_id).exists():
                raise ValidationError(_("Another login already uses %(email)s.") % {"email": email})
        return email


class GuardianLinkForm(forms.Form):
    """Link an existing guardian (found by email) or register a new one, to a student."""

    email = forms.EmailField(label=_("Guardian's email"), required=False)
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    relationship = forms.ChoiceField(label=_("Relationship"), choices=Relationship.choices)
    is_primary = forms.BooleanField(label=_("Primary contact"), required=False)
    receives_notifications = forms.BooleanField(
        label=_("Receives notifications"), required=False, initial=True
    )
    create_login = forms.BooleanField(label=_("Create a login and email an invitation"), required=False)

    def __init__(self, *args, student: Student, **kwargs):
        super().__init__(*args, **kwargs)
        self.student = student
        self.guardian: Guardian | None = None
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean(self):
        cleaned = super().clean()
        email = (cleaned.get("email") or "").strip().lower()
        if email:
            self.guardian = Guardian.objects.filter(email__iexact=email).first()
        if self.guardian is None:
            if not (cleaned.get("first_name") and cleaned.get("last_name")):
                raise ValidationError(
                    _("No guardian has that email. Give a first and last name to register a new guardian.")
                )
            if cleaned.get("create_login") and not email:
                self.add_error("email", _("An email address is needed to create a login."))
        elif GuardianLink.objects.filter(student=self.student, guardian=self.guardian).exists():
            raise ValidationError(
                _("%(guardian)s is already linked to this student.") % {"guardian": self.guardian}
            )
        return cleaned
