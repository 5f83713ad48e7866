"""The inbox's forms: marking one student's work, their own due date, paper work received."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from modules.assignments.marking import MarkBase, MarkingError, score_parse
from modules.assignments.models import Assignment, HomeworkPolicy
from modules.core.forms import DateTimeInput
from modules.core.uploads import validate_attachment


class MarkForm(forms.Form):
    """Score (graded homework only), feedback text and an optional feedback file. The hidden base fields
    carry what the page showed, so that a save over someone else's newer marking is refused."""

    score = forms.CharField(label=_("Score"), required=False, max_length=20)
    feedback = forms.CharField(
        label=_("Feedback"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    feedback_file = forms.FileField(label=_("Feedback file"), required=False)
    remove_feedback_file = forms.BooleanField(label=_("Remove the feedback file"), required=False)
    base_score = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    base_feedback = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    base_mark = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)

    def __init__(self, *args, assignment: Assignment, **kwargs):
        super().__init__(*args, **kwargs)
        self.assignment = assignment
        self.fields["score"].widget.attrs.update(
            {"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false", "data-select-on-focus": ""}
        )
        if not assignment.is_graded:
            del self.fields["score"]

    def clean_score(self) -> Decimal | None:
        assessment = self.assignment.assessment
        if assessment is None:  # not graded: the field is not on the form
            return None
        try:
            return score_parse(self.cleaned_data["score"], max_score=assessment.max_score)
        except MarkingError as refusal:
            raise ValidationError(refusal.message) from None

    def clean_feedback_file(self):
        upload = self.cleaned_data.get("feedback_file")
        if upload:
            validate_attachment(upload, max_bytes=HomeworkPolicy.current().max_file_bytes)
        return upload

    def base(self) -> MarkBase | None:
        """What the page showed (None for a post without it: a script, an old page: not checked)."""
        if not self.data.get("base_feedback"):
            return None
        data = self.cleaned_data
        return MarkBase(score=data["base_score"], feedback=data["base_feedback"], mark=data["base_mark"])


class ExtensionForm(forms.Form):
    due_at = forms.DateTimeField(
        label=_("Due for this student"),
        required=False,
        widget=DateTimeInput(),
        help_text=_("Leave empty to give back the class's due time."),
    )


class ReceivedForm(forms.Form):
    """Paper work received at a date and time; `now`: received just now (the inbox's one-click button);
    `not_received`: recorded by mistake."""

    received_at = forms.DateTimeField(label=_("Received on"), widget=DateTimeInput())
    now = forms.BooleanField(required=False, widget=forms.HiddenInput)
    not_received = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"received_at": timezone.localtime().replace(second=0, microsecond=0)})
        super().__init__(*args, **kwargs)
        if self.data.get("not_received") or self.data.get("now"):
            self.fields["received_at"].required = False

    def moment(self):
        """When the work was received (None: not received after all). The form is valid."""
        if self.cleaned_data["not_received"]:
            return None
        if self.cleaned_data["now"]:
            return timezone.now()
        return self.cleaned_data["received_at"]
