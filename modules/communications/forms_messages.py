"""Forms for message threads: a new message (to one of the sender's contacts) and a reply."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from modules.accounts.models import Role
from modules.communications import messaging
from modules.core.forms import MultipleFileField
from modules.core.uploads import allowed_extensions
from modules.people.models import Position


def _attachment_help() -> str:
    return _("Up to %(count)s files, %(size)s each: %(kinds)s.") % {
        "count": messaging.MAX_ATTACHMENTS,
        "size": filesizeformat(settings.STUDENTFLOW_ATTACHMENT_MAX_BYTES),
        "kinds": ", ".join(allowed_extensions()),
    }


class ContactChoiceField(forms.ModelChoiceField):
    """People shown with what they are to the sender: "Tom Teach (Teacher)", "Ada Office (Office)"."""

    def label_from_instance(self, user):
        name = user.get_full_name() or user.email
        staff = user.staff_profile if user._has_profile("staff_profile") else None
        if staff is not None and staff.is_active:
            what = _("Office") if staff.position == Position.ADMINISTRATOR else staff.get_position_display()
            if staff.job_title:
                what = f"{what}, {staff.job_title}"
        elif Role.GUARDIAN in user.roles:
            what = _("Parent / guardian")
        elif Role.STUDENT in user.roles:
            what = _("Student")
        else:
            return name
        return f"{name} ({what})"


class _MessageForm(forms.Form):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 5}), strip=True)
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = settings.STUDENTFLOW_MESSAGE_MAX_CHARS
        body = self.fields["body"]
        body.max_length = limit
        body.widget.attrs["maxlength"] = str(limit)
        body.error_messages["required"] = _("Write a message before sending.")
        self.fields["attachments"].help_text = _attachment_help()
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_body(self):
        return messaging.check_body(self.cleaned_data.get("body", ""))

    def clean_attachments(self):
        files = self.cleaned_data.get("attachments") or []
        messaging.check_attachments(files)
        return files


class NewThreadForm(_MessageForm):
    recipient = ContactChoiceField(
        label=pgettext_lazy("message recipient", "To"),
        queryset=None,
        empty_label=_("Choose a person"),
        error_messages={"invalid_choice": _("You cannot send a message to this person.")},
    )
    subject = forms.CharField(label=pgettext_lazy("message", "Subject"), max_length=200)
    student = forms.ModelChoiceField(
        label=_("About (optional)"),
        queryset=None,
        required=False,
        empty_label=_("No particular student"),
        error_messages={"invalid_choice": _("You cannot write about this student.")},
    )

    field_order = ["recipient", "subject", "student", "body", "attachments"]

    def __init__(self, *args, sender, **kwargs):
        super().__init__(*args, **kwargs)
        self.sender = sender
        self.fields["recipient"].queryset = messaging.messaging_contacts(sender)
        self.fields["student"].queryset = messaging.about_student_choices(sender)
        self.fields["subject"].error_messages["required"] = _("Give the message a subject.")
        if not self.fields["student"].queryset.exists():
            del self.fields["student"]  # a student writes about themself; nothing to choose
        elif Role.GUARDIAN in sender.roles:
            self.fields["student"].label = _("About which child (optional)")

    def clean(self):
        data = super().clean()
        recipient, student = data.get("recipient"), data.get("student")
        if (
            recipient is not None
            and student is not None
            and not messaging.can_be_about(self.sender, recipient, student)
        ):
            self.add_error("student", _("You cannot write to this person about this student."))
        return data


class ReplyForm(_MessageForm):
    """A reply: the message and its files (the thread gives the recipients)."""
