"""The office's homework policy form: file limits (in megabytes on the page, bytes in the database), the
similarity flag threshold and an external similarity service."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from modules.assignments.models import HomeworkPolicy
from modules.core.forms import PortalForm

MB = 1024 * 1024
# One hand-in is one request, and nginx takes at most 11 MiB (deploy/nginx.conf client_max_body_size).
REQUEST_LIMIT_MB = Decimal(10)


class MegabytesField(forms.DecimalField):
    """A size in bytes, typed and shown in megabytes (MiB, as the portal writes them everywhere)."""

    def __init__(self, **kwargs):
        super().__init__(
            min_value=Decimal("0.1"), max_value=REQUEST_LIMIT_MB, max_digits=5, decimal_places=1, **kwargs
        )

    def prepare_value(self, value):
        if isinstance(value, int):  # the stored bytes, when the page is drawn
            megabytes = (Decimal(value) / MB).quantize(Decimal("0.1"))
            return megabytes.to_integral() if megabytes == megabytes.to_integral() else megabytes
        return value

    def clean(self, value) -> int | None:
        megabytes = super().clean(value)
        return None if megabytes is None else int(megabytes * MB)

    def has_changed(self, initial, data) -> bool:
        try:
            return int(Decimal(str(data)) * MB) != initial
        except (InvalidOperation, TypeError):
            return True


class HomeworkPolicyForm(PortalForm):
    max_file_bytes = MegabytesField(
        label=_("Largest file (MB)"), help_text=_("Each file a student hands in. At most 10 MB.")
    )
    max_submission_bytes = MegabytesField(
        label=_("Largest hand-in (MB)"), help_text=_("All the files of one hand-in together. At most 10 MB.")
    )

    class Meta:
        model = HomeworkPolicy
        fields = [
            "max_file_bytes",
            "max_submission_bytes",
            "max_files",
            "similarity_flag_percent",
            "similarity_service_url",
        ]
        labels = {
            "max_files": _("Most files in one hand-in"),
            "similarity_flag_percent": _("Flag similar hand-ins from (%)"),
            "similarity_service_url": _("External similarity service (optional)"),
        }
        help_texts = {
            "similarity_flag_percent": _(
                "A pair of hand-ins is flagged in the teacher's inbox when this share of either one's text "
                "is found in the other."
            ),
            "similarity_service_url": _(
                "Leave empty to use the portal's own check. Otherwise the https:// address the hand-ins are "
                "sent to for comparison: they leave the school, so only name a service your school has an "
                "agreement with."
            ),
        }

    def clean_similarity_service_url(self) -> str:
        url = self.cleaned_data.get("similarity_service_url", "").strip()
        if url and urlsplit(url).scheme != "https":
            raise ValidationError(_("The address must start with https:// (hand-ins are pupils' work)."))
        return url

    def clean(self):
        cleaned = super().clean()
        per_file, total = cleaned.get("max_file_bytes"), cleaned.get("max_submission_bytes")
        if per_file and total and per_file > total:
            self.add_error(
                "max_submission_bytes",
                _("A hand-in must allow at least one file of the largest size (%(size)s).")
                % {"size": filesizeformat(per_file)},
            )
        return cleaned
