"""The retention schedule's form: one small form per kind of data (prefixed by the kind)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from modules.privacy.models import ALLOWED_ACTIONS, RetentionAction, RetentionKind, RetentionRule

MAX_DAYS = 36_500
MAX_YEARS = 100


class RetentionRuleForm(forms.Form):
    enabled = forms.BooleanField(label=_("Apply this rule every day"), required=False)
    period = forms.IntegerField(label=_("Kept for (days)"), min_value=1, max_value=MAX_DAYS)
    action = forms.ChoiceField(label=_("Then"), choices=RetentionAction.choices)

    def __init__(self, *args, rule: RetentionRule, **kwargs):
        kwargs.setdefault("prefix", rule.kind)
        kwargs.setdefault("initial", {"enabled": rule.enabled, "period": rule.period, "action": rule.action})
        super().__init__(*args, **kwargs)
        self.rule = rule
        self.kind = RetentionKind(rule.kind)
        if self.kind == RetentionKind.LEAVERS:
            self.fields["period"] = forms.IntegerField(
                label=_("Years since their last enrolment's year ended"), min_value=1, max_value=MAX_YEARS
            )

    @property
    def title(self) -> str:
        return str(self.kind.label)

    def clean_action(self) -> str:
        action = self.cleaned_data["action"]
        if action not in ALLOWED_ACTIONS[self.kind]:
            if self.kind == RetentionKind.LEAVERS:
                raise forms.ValidationError(
                    _(
                        "Leavers' records can only be anonymised: their attendance, marks and invoices stay "
                        "in the school's figures and books."
                    )
                )
            raise forms.ValidationError(_("%(kind)s can only be deleted.") % {"kind": self.kind.label})
        return action


def retention_forms(rules: list[RetentionRule], data=None) -> list[RetentionRuleForm]:
    return [RetentionRuleForm(data, rule=rule) for rule in rules]
