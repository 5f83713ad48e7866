"""Lost updates on grids that several people edit at once (the gradebook, a register).

Two people open the same page; one saves a value; the other, still looking at the old one, saves something
else over it and is told "saved". To stop that, a grid draws every editable value together with a copy of
it, the *base* (what the person saw when the page was drawn), and every save sends both. The service that
writes compares the base with what is stored now, after locking the row, in the transaction that writes:

- the new value equals the base: the person did not change it, so nothing is written, even when someone
  else changed it meanwhile (their value stands);
- the stored value already equals the new one: nothing to write and nothing lost;
- the stored value equals the base: nobody else changed it, so the new value is written;
- otherwise someone else changed it since the page was drawn: the write is refused with `EditConflict`,
  which carries the stored value so that the page can show it next to what was typed (kept, unsaved).

Sending the same value again with the stored value as its base (after seeing it) writes: that is how a
person overwrites on purpose. Each grid decides what its values are (a mark's display text, a register
row's status, minutes, reason and note) and normalises them before they are compared here.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from django import forms
from django.core import signing
from django.core.exceptions import FieldDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext as _


class Verdict(StrEnum):
    UNTOUCHED = "untouched"  # new == base: not the person's change; write nothing
    ALREADY = "already"  # stored == new: nothing to write
    WRITE = "write"  # stored == base: safe to write
    CONFLICT = "conflict"  # someone else changed it since the page was drawn


def edit_verdict[V](*, base: V, new: V, stored: V) -> Verdict:
    """What to do with one edited value, given what the page showed (`base`), what the person sent (`new`)
    and what is stored now (`stored`, read under a row lock by the caller)."""
    if new == base:
        return Verdict.UNTOUCHED
    if stored == new:
        return Verdict.ALREADY
    if stored == base:
        return Verdict.WRITE
    return Verdict.CONFLICT


class EditConflict(Exception):
    """A write refused because the stored value changed since the page was drawn. `current` is that value
    in the grid's own terms (a mark's display text, a register row's record or None); nothing was written."""

    def __init__(self, *, current):
        super().__init__("stored value changed since the page was drawn")
        self.current = current


EDIT_BASE_FIELD = "edit_base"


def _comparable(model_field, value) -> object:
    """A model field's value in a form that compares equal when a person would call it the same."""
    if value is None and model_field.empty_strings_allowed:
        return ""
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return value


if TYPE_CHECKING:
    # The mixin is always mixed into a ModelForm: the type checker reads it as one.
    _ModelFormBase = forms.ModelForm
else:
    _ModelFormBase = object


class StaleEditCheckMixin(_ModelFormBase):
    """For ModelForms that edit a stored row (a student's record, a fee structure, a policy): two people
    editing the same row never overwrite each other silently.

    The page carries, in a signed hidden field, each of the form's model fields as stored when it was drawn
    (the base). On submit, per field (see edit_verdict): a field the person left as it was keeps whatever is
    stored now (someone else's newer value stands); a field they changed is written when nobody else changed
    it; a field both changed is refused, with the other person's value in the message and the typed value
    kept. The refused field's base moves to the stored value, so saving again writes it on purpose.

    File fields are left out (an upload is always a deliberate change). A post without a base (a script, a
    page drawn before this existed) is not checked. The check reads the row when the form is cleaned, just
    before the view's save: it closes the window of minutes a page stays open, not the milliseconds between
    the check and the write."""

    stale_edit_exclude: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._checked_fields = [
            name
            for name in self.fields
            if name not in self.stale_edit_exclude and self._model_field(name) is not None
        ]
        if self.instance.pk is None:
            return
        self.fields[EDIT_BASE_FIELD] = forms.CharField(required=False, widget=forms.HiddenInput)
        if not self.is_bound:
            self.initial[EDIT_BASE_FIELD] = signing.dumps(self._snapshot(self.instance), compress=True)

    def _model_field(self, name: str):
        try:
            field = self._meta.model._meta.get_field(name)
        except FieldDoesNotExist:
            return None
        if not getattr(field, "concrete", False) or field.many_to_many or isinstance(field, models.FileField):
            return None
        return field

    def _snapshot(self, instance) -> dict[str, object]:
        snapshot = {}
        for name in self._checked_fields:
            field = self._model_field(name)
            snapshot[name] = _comparable(field, field.value_from_object(instance))
        return json.loads(json.dumps(snapshot, cls=DjangoJSONEncoder))

    def _base(self) -> dict[str, object] | None:
        raw = self.data.get(self.add_prefix(EDIT_BASE_FIELD)) if self.is_bound else None
        if not raw:
            return None
        try:
            return signing.loads(raw)
        except signing.BadSignature:
            return None

    def clean(self):
        cleaned = super().clean()
        if cleaned is None:  # a clean() that returns None leaves cleaned_data as it is
            cleaned = self.cleaned_data
        # The base is the check's own business: views pass cleaned_data on to services as keywords.
        cleaned.pop(EDIT_BASE_FIELD, None)
        base = self._base()
        if base is None or self.instance.pk is None:
            return cleaned
        stored_row = type(self.instance)._default_manager.filter(pk=self.instance.pk).first()
        if stored_row is None:
            return cleaned
        stored = self._snapshot(stored_row)
        moved = {}
        for name in self._checked_fields:
            if name not in cleaned or name not in base or name in self.errors:
                continue
            field = self._model_field(name)
            new = json.loads(json.dumps(_comparable(field, cleaned[name]), cls=DjangoJSONEncoder))
            verdict = edit_verdict(base=base[name], new=new, stored=stored[name])
            if verdict == Verdict.UNTOUCHED:
                cleaned[name] = getattr(stored_row, name)
            elif verdict == Verdict.CONFLICT:
                moved[name] = stored[name]
                self.add_error(name, self._conflict_message(name, stored_row))
        if moved:
            data = self.data.copy()  # type: ignore[attr-defined]  # a QueryDict or a dict; the stubs say Mapping
            data[self.add_prefix(EDIT_BASE_FIELD)] = signing.dumps({**base, **moved}, compress=True)
            self.data = data
        return cleaned

    def _conflict_message(self, name: str, stored_row) -> str:
        field = self._model_field(name)
        shown = stored_row._get_FIELD_display(field) if field.choices else getattr(stored_row, name)
        if shown in (None, ""):
            shown = _("(empty)")
        return _(
            "Someone else changed this to “%(value)s” since you opened the page. Your value is kept here, "
            "not saved: save again to use it."
        ) % {"value": shown}
