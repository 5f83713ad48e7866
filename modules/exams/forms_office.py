"""Forms of the office's grading setup (scales and their bands, term actions) and of term comments."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from modules.academics.models import GradeLevel
from modules.core.concurrency import StaleEditCheckMixin
from modules.core.numbers import number_text
from modules.exams.models import GradeBand, GradingScale, TermComment

COMMENT_MAX = TermComment._meta.get_field("text").max_length


class GradingScaleForm(StaleEditCheckMixin, forms.ModelForm):
    class Meta:
        model = GradingScale
        fields = ["name", "grade_level", "pass_mark"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        taken = GradingScale.objects.filter(grade_level__isnull=False)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        self.fields["grade_level"].queryset = GradeLevel.objects.exclude(
            pk__in=taken.values("grade_level_id")
        ).order_by("order", "name")
        self.fields["grade_level"].empty_label = _("School default (every grade level without its own)")

    def clean_grade_level(self):
        grade_level = self.cleaned_data.get("grade_level")
        if grade_level is None:
            defaults = GradingScale.objects.filter(grade_level__isnull=True)
            if self.instance.pk:
                defaults = defaults.exclude(pk=self.instance.pk)
            if defaults.exists():
                raise ValidationError(_("The school already has a default scale: choose a grade level."))
        return grade_level


class GradeBandForm(forms.ModelForm):
    class Meta:
        model = GradeBand
        fields = ["letter", "min_percent", "gpa_points", "descriptor"]

    def _get_validation_exclusions(self):
        # Uniqueness per scale is checked across the whole set by the formset: against the rows stored, a swap
        # of two letters would look like a clash. The service replaces the bands as a whole.
        return {*super()._get_validation_exclusions(), "scale"}


class BaseBandFormSet(forms.BaseInlineFormSet):
    """The bands of a scale: letters unique, thresholds unique, and exactly one band starting at 0%."""

    def clean(self):
        # Saving replaces the bands as a whole (new rows): a page drawn before someone else saved the scale
        # posts bands that no longer exist. Refuse it in words rather than as an invisible error on a
        # hidden field, and write nothing.
        if any("id" in form.errors for form in self.forms):
            raise ValidationError(
                _(
                    "Someone else saved this grading scale since you opened the page, so its bands have "
                    "changed. Nothing was saved: open the scale again to see their version."
                )
            )
        # Not the model formset's own uniqueness check: ours names the letter or threshold in plain words.
        if any(self.errors):
            return
        letters: set[str] = set()
        thresholds: set = set()
        kept = 0
        for form in self.forms:
            if not form.cleaned_data or self._should_delete_form(form):
                continue
            letter = form.cleaned_data["letter"].strip().upper()
            threshold = form.cleaned_data["min_percent"]
            if letter in letters:
                raise ValidationError(_("The letter %(letter)s is used twice.") % {"letter": letter})
            if threshold in thresholds:
                raise ValidationError(
                    _("Two bands start at %(percent)s%%: each band needs its own threshold.")
                    % {"percent": number_text(threshold)}
                )
            letters.add(letter)
            thresholds.add(threshold)
            kept += 1
        if not kept:
            raise ValidationError(_("A scale needs at least one band."))
        if 0 not in thresholds:
            raise ValidationError(_("One band must start at 0%, so that every mark gets a letter."))


BandFormSet = forms.inlineformset_factory(
    GradingScale,
    GradeBand,
    form=GradeBandForm,
    formset=BaseBandFormSet,
    extra=2,
    can_delete=True,
)


class UnlockForm(forms.Form):
    reason = forms.CharField(
        label=_("Why unlock the term?"),
        max_length=200,
        help_text=_("Kept in the audit log."),
    )


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Comment"),
        max_length=COMMENT_MAX,
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": COMMENT_MAX}),
        help_text=_("Leave empty to remove the comment."),
    )
    # What the comment said when the page was drawn (core.concurrency): a save over someone else's newer
    # comment is refused instead of silently replacing it.
    base = forms.CharField(required=False, strip=True, max_length=COMMENT_MAX, widget=forms.HiddenInput)
