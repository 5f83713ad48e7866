from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from modules.academics.models import CourseOffering, GradeLevel, Section
from modules.academics.selectors import current_year
from modules.accounts.models import Role
from modules.communications.announcements import NewAttachment
from modules.communications.models import Announcement, Attachment, AudienceKind
from modules.core.forms import DateTimeInput, MultipleFileField, PortalForm
from modules.core.uploads import allowed_extensions, validate_attachment

MAX_FILES = 10
# What each kind of audience needs filled in, and the message when it is not.
AUDIENCE_FIELDS = {
    AudienceKind.ROLE: ("audience_role", _("Choose who should receive it.")),
    AudienceKind.GRADE_LEVEL: ("grade_level", _("Choose a grade level.")),
    AudienceKind.SECTION: ("section", _("Choose a section.")),
    AudienceKind.OFFERING: ("offering", _("Choose a class.")),
}
TEACHER_AUDIENCES = (AudienceKind.SECTION, AudienceKind.OFFERING)


class AnnouncementForm(PortalForm):
    attachments = MultipleFileField(label=_("Attach files"), required=False)
    remove_attachments = forms.ModelMultipleChoiceField(
        label=_("Remove attached files"),
        queryset=Attachment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Announcement
        fields = [
            "title",
            "body",
            "audience",
            "audience_role",
            "grade_level",
            "section",
            "offering",
            "publish_at",
            "expires_at",
            "is_pinned",
        ]
        labels = {"body": _("Message"), "is_pinned": _("Pin to the top of the list")}
        help_texts = {
            "publish_at": _("Leave as it is to publish now, or choose a later time to schedule it."),
            "expires_at": _("Optional. After this time the announcement is no longer shown."),
        }
        widgets = {
            "audience": forms.RadioSelect,
            "body": forms.Textarea(attrs={"rows": 8}),
            "publish_at": DateTimeInput(),
            "expires_at": DateTimeInput(),
        }
        error_messages = {
            "title": {"required": _("Give the announcement a title.")},
            "body": {"required": _("Write the announcement's text.")},
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.new_attachments: list[NewAttachment] = []
        is_admin = Role.ADMINISTRATOR in user.roles
        year = current_year()
        sections = Section.objects.filter(year=year) if year else Section.objects.none()
        offerings = (
            CourseOffering.objects.filter(section__year=year) if year else CourseOffering.objects.none()
        )
        if not is_admin:
            sections = sections.taught_by(user)
            offerings = offerings.taught_by(user)
            self.fields["audience"].choices = [
                (value, label) for value, label in AudienceKind.choices if value in TEACHER_AUDIENCES
            ]
            del self.fields["audience_role"]
            del self.fields["grade_level"]
            if self.initial.get("audience") not in TEACHER_AUDIENCES:
                self.initial["audience"] = AudienceKind.SECTION
            not_yours = _("Choose one of your own sections or classes.")
            self.fields["section"].error_messages["invalid_choice"] = not_yours
            self.fields["offering"].error_messages["invalid_choice"] = not_yours
            self.fields["audience"].error_messages["invalid_choice"] = _(
                "Teachers can address only a section or a class they teach."
            )
        else:
            self.fields["grade_level"].queryset = GradeLevel.objects.all()
        # An announcement being edited keeps its target even if it is from an earlier year.
        if self.instance.section_id:
            sections = Section.objects.filter(
                Q(pk__in=sections.values("pk")) | Q(pk=self.instance.section_id)
            )
        if self.instance.offering_id:
            offerings = CourseOffering.objects.filter(
                Q(pk__in=offerings.values("pk")) | Q(pk=self.instance.offering_id)
            )
        self.fields["section"].queryset = sections.select_related("grade_level")
        self.fields["offering"].queryset = offerings.select_related("subject", "section")
        self.fields["attachments"].help_text = _(
            "Only the audience can download them. Up to %(limit)s each. Accepted: %(kinds)s."
        ) % {
            "limit": filesizeformat(settings.STUDENTFLOW_ATTACHMENT_MAX_BYTES),
            "kinds": ", ".join(allowed_extensions()),
        }
        self.fields["publish_at"].required = False
        self.fields["publish_at"].show_hidden_initial = False
        if not self.instance.pk:
            self.initial.setdefault("publish_at", timezone.localtime().replace(second=0, microsecond=0))
        if self.instance.pk:
            self.fields["remove_attachments"].queryset = self.instance.attachments.all()
            if not self.instance.attachments.exists():
                del self.fields["remove_attachments"]
        else:
            del self.fields["remove_attachments"]

    def clean_body(self):
        return self.cleaned_data["body"].strip()

    def clean_attachments(self):
        files = self.cleaned_data.get("attachments") or []
        if len(files) > MAX_FILES:
            raise ValidationError(_("Attach at most %(count)d files.") % {"count": MAX_FILES})
        errors = []
        self.new_attachments = []
        for upload in files:
            try:
                content_type = validate_attachment(upload)
            except ValidationError as error:
                errors.extend(error.messages)
            else:
                self.new_attachments.append(NewAttachment(upload=upload, content_type=content_type))
        if errors:
            self.new_attachments = []
            raise ValidationError(errors)
        return files

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("audience")
        for audience, (field, message) in AUDIENCE_FIELDS.items():
            if field not in self.fields:
                continue
            if audience == kind:
                if not cleaned.get(field) and field not in self.errors:
                    self.add_error(field, message)
            else:
                # Only the target that goes with the chosen audience is kept.
                cleaned[field] = "" if field == "audience_role" else None
        if not cleaned.get("publish_at") and "publish_at" not in self.errors:
            cleaned["publish_at"] = (
                self.instance.publish_at if self.instance.pk else timezone.now().replace(microsecond=0)
            )
        publish_at, expires_at = cleaned.get("publish_at"), cleaned.get("expires_at")
        if publish_at and expires_at and expires_at <= publish_at:
            self.add_error("expires_at", _("The expiry must be after the publication time."))
        return cleaned

    def _post_clean(self):
        super()._post_clean()
        # Fields a teacher does not see must not keep an administrator's earlier target.
        if "audience_role" not in self.fields:
            self.instance.audience_role = ""
        if "grade_level" not in self.fields:
            self.instance.grade_level = None
