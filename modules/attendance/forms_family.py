"""Forms families and teachers fill in about attendance: an absence note, and the decision on one."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from modules.attendance.absence_notes import note_dates_refusal
from modules.attendance.models import AbsenceNote
from modules.core.forms import DateInput, PortalForm
from modules.core.uploads import allowed_extensions, validate_attachment


class AbsenceNoteForm(PortalForm):
    file = forms.FileField(
        label=_("Document (optional)"),
        required=False,
        # validate_attachment names an empty file itself.
        allow_empty_file=True,
    )

    class Meta:
        model = AbsenceNote
        fields = ["date_from", "date_to", "reason"]
        labels = {"date_from": _("First day absent"), "date_to": _("Last day absent"), "reason": _("Reason")}
        widgets = {
            "date_from": DateInput(),
            "date_to": DateInput(),
            "reason": forms.Textarea(attrs={"rows": 4, "maxlength": 2000}),
        }
        error_messages = {"reason": {"required": _("Say why your child is or was absent.")}}
        help_texts = {"reason": _("What the school should know, e.g. “Fever, seen by the doctor.”")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = gettext(
            "A doctor's note or similar. Accepted: %(kinds)s; at most %(size)s."
        ) % {
            "kinds": ", ".join(allowed_extensions()),
            "size": filesizeformat(settings.STUDENTFLOW_ATTACHMENT_MAX_BYTES),
        }

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("Say why your child is or was absent."))
        return reason

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload:
            validate_attachment(upload)
        return upload

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            refusal = note_dates_refusal(start, end, timezone.localdate())
            if refusal:
                self.add_error("date_to", refusal)
        return data


class NoteDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("accept", _("Accept: the absences become excused")), ("reject", _("Do not accept"))],
        widget=forms.RadioSelect,
    )
    decision_note = forms.CharField(
        label=_("Note to the family (optional)"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 300}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
