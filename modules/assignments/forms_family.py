"""The student's hand-in form: files and/or a typed answer, the files kept from the current hand-in, and the
version the page was drawn from (so that a second tab cannot silently replace the first)."""

from __future__ import annotations

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from modules.assignments.models import Assignment, HandIn, HomeworkPolicy, SubmissionFile
from modules.assignments.submissions import TEXT_MAX_CHARS
from modules.core.forms import MultipleFileField
from modules.core.uploads import accepted_extensions


class KeepField(forms.TypedMultipleChoiceField):
    """The files to keep, offered from the current hand-in. Any file id is accepted here: a page drawn before
    another tab replaced the hand-in names files of the earlier version, and the service (which keeps only
    files of the version the page was drawn from) says so in words rather than "not a valid choice"."""

    def valid_value(self, value) -> bool:
        return str(value).isdigit()


class HandInForm(forms.Form):
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    files = MultipleFileField(label=_("Files"), required=False)
    keep = KeepField(
        label=_("Keep these files from your hand-in"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    text = forms.CharField(
        label=_("Your answer"),
        required=False,
        max_length=TEXT_MAX_CHARS,
        strip=False,  # the service trims; what was typed comes back as it was on a refusal
        widget=forms.Textarea(attrs={"rows": 10, "maxlength": TEXT_MAX_CHARS}),
    )

    def __init__(
        self,
        *args,
        assignment: Assignment,
        current_files: list[SubmissionFile],
        policy: HomeworkPolicy,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.assignment = assignment
        kinds = accepted_extensions(assignment.extensions() or None)
        self.fields["keep"].choices = [
            (row.pk, f"{row.name} ({filesizeformat(row.size)})") for row in current_files
        ]
        self.fields["keep"].initial = [row.pk for row in current_files]
        if not current_files:
            del self.fields["keep"]
        files = self.fields["files"]
        files.widget.attrs.update(
            {
                "accept": ",".join(f".{kind}" for kind in kinds),
                "data-max-file-bytes": policy.max_file_bytes,
                "data-max-total-bytes": policy.max_submission_bytes,
                "data-max-files": policy.max_files,
                "aria-describedby": "id_files_helptext",
                "data-too-large": gettext("larger than the school allows"),
                "data-over-limits": gettext(
                    "Together these are over what one hand-in may hold (number of files or total size)."
                ),
            }
        )
        files.help_text = gettext(
            "Accepted: %(kinds)s. Each file at most %(file)s; "
            "all together at most %(total)s, %(count)s files."
        ) % {
            "kinds": ", ".join(kinds),
            "file": filesizeformat(policy.max_file_bytes),
            "total": filesizeformat(policy.max_submission_bytes),
            "count": policy.max_files,
        }
        text = self.fields["text"]
        if assignment.hand_in == HandIn.TEXT:
            del self.fields["files"]
            self.fields.pop("keep", None)
            text.help_text = gettext("Type or paste your answer. You can change it until the due time.")
        else:
            text.label = gettext("Your answer or a note to your teacher (optional)")
            if current_files:
                files.label = gettext("Add files")
                files.help_text += " " + gettext("Untick a file above to leave it out of the new hand-in.")

    def keep_ids(self) -> list[int]:
        return list(self.cleaned_data.get("keep") or [])

    def uploads(self) -> list:
        return list(self.cleaned_data.get("files") or [])
