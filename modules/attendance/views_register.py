"""Taking the register: the day's registers, one register's page, a live mark (HTMX) and the plain-form save.

The register page is one form. With JavaScript each row posts its own change to `register_mark` and swaps
back (row + counters out-of-band); without it the whole form posts to `register_save`. Both end in
services.record_mark, so the rules and the audit are the same either way. Both send each row's base (what it
showed when the page was drawn): a row someone else changed since is refused with their mark shown and the
person's choice kept, never silently overwritten (modules/core/concurrency.py).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import cache

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import time_format
from django.utils.functional import cached_property
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from modules.accounts.models import Role
from modules.accounts.roles import active_role
from modules.attendance import rules, selectors, services
from modules.attendance.forms import MarkForm, MarkRequestForm, RegisterListForm, RegisterSaveForm, row_prefix
from modules.attendance.models import (
    AttendancePolicy,
    AttendanceRecord,
    AttendanceStatus,
    RecordSource,
    Register,
)
from modules.attendance.services import AttendanceError
from modules.core.access import role_required
from modules.core.concurrency import EditConflict
from modules.people.models import Student
from modules.people.photos import photo_thumbnail_url

TEMPLATE = "attendance/register.html"
LIST_TEMPLATE = "attendance/register_list.html"

# (value, label) of the status buttons, in the order of their colours in register.css; their keys (p, a, l, e)
# are register.js's.
STATUSES = [
    (AttendanceStatus.PRESENT, gettext_lazy("Present")),
    (AttendanceStatus.ABSENT, gettext_lazy("Absent")),
    (AttendanceStatus.LATE, gettext_lazy("Late")),
    (AttendanceStatus.EXCUSED, gettext_lazy("Excused")),
]


@dataclass
class RowView:
    """What one row shows: the values on screen (saved, or what the person just chose when it was refused),
    the saved values (the hidden `initial-*` copies) and any message."""

    student: Student
    saved: AttendanceRecord | None
    status: str
    late_minutes: object = None
    reason: str = ""
    note: str = ""
    errors: list[str] = field(default_factory=list)
    just_saved: bool = False
    base: dict | None = None  # the hidden copies when not the saved values: a refused row keeps its base
    conflict: bool = False  # refused because someone else changed it: `saved` is theirs, and the new base

    @classmethod
    def of(cls, student: Student, record: AttendanceRecord | None, *, just_saved: bool = False) -> RowView:
        if record is None:
            return cls(student=student, saved=None, status=AttendanceStatus.PRESENT)
        return cls(
            student=student,
            saved=record,
            status=record.status,
            late_minutes=record.late_minutes,
            reason=record.reason,
            note=record.note,
            just_saved=just_saved,
        )

    @classmethod
    def refused(cls, student: Student, record: AttendanceRecord | None, form: MarkForm) -> RowView:
        """The row as the person left it, with the reasons it was not saved, still on the base it was sent
        with (a row someone changed meanwhile is then caught on the next save, not overwritten)."""
        return cls(
            student=student,
            saved=record,
            status=form["status"].value() or "",
            late_minutes=form["late_minutes"].value(),
            reason=form["reason"].value() or "",
            note=form["note"].value() or "",
            errors=[message for messages_ in form.errors.values() for message in messages_],
            base=form.base(),
        )

    @classmethod
    def clashed(cls, student: Student, current: AttendanceRecord | None, form: MarkForm) -> RowView:
        """A row someone else changed since the page was drawn: the person's choice kept (unsaved), theirs
        said in the message and taken as the row's base, so saving again replaces it on purpose."""
        row = cls.refused(student, current, form)
        row.base, row.conflict = None, True
        row.errors = [
            _(
                "Someone else changed this row since you opened the page; it is now: %(now)s. "
                "Your change is not saved yet."
            )
            % {"now": _describe(current)}
        ]
        return row

    @property
    def is_marked(self) -> bool:
        return self.saved is not None

    @property
    def prefix(self) -> str:
        return row_prefix(self.student.pk)

    @property
    def status_buttons(self) -> str:
        """The four status buttons (radios inside their labels), built here rather than in a template loop:
        it is the innermost loop of the busiest page (160 buttons for a class of 40). Only the labels need
        escaping, once per language; the prefix and the values are the code's own. The radio sits inside
        its label (no for/id pair to spell twice); register.css colours each button and shows the checked
        one (Bootstrap's .btn-check and .btn-outline-* rules, written once for the four)."""
        prefix, status = self.prefix, self.status
        return mark_safe(
            "".join(
                f'<label class="btn"><input type="radio" name="{prefix}-status" id="{prefix}-status-{value}" '
                f'value="{value}"{" checked" if value == status else ""}>{label}</label>'
                for value, label in _status_labels(get_language())
            )
        )

    @property
    def saved_fields(self) -> str:
        """The row's base: hidden copies of the saved values (or of the base a refused row was sent with) that
        MarkForm's `show_hidden_initial` fields compare with and record_mark checks. The copy of an empty
        minutes, reason or note is left out (most rows): MarkForm reads a missing copy as empty, so the base
        is the same, and live_grid.js mirrors the copies when it takes a new base. Only the values need
        escaping."""
        saved = self.saved
        values = self.base or {
            "status": saved.status if saved else AttendanceStatus.PRESENT,
            "late_minutes": saved.late_minutes if saved else None,
            "reason": saved.reason if saved else "",
            "note": saved.note if saved else "",
        }
        prefix = self.prefix
        return mark_safe(
            "".join(
                f'<input type="hidden" name="initial-{prefix}-{name}" value="{escape(value)}">'
                for name, value in values.items()
                if name == "status" or value not in (None, "")
            )
        )

    def html(self, *, can_edit: bool) -> str:
        """The row's markup (the page's `row` partial: {% register_row row can_edit %}). Written here, not as
        template tags: a row is the innermost loop of the busiest page, and 40 rows of about 30 tags each were
        half of its server time; an f-string with each value escaped draws them in a tenth of that. The
        texts are translated once per language (`_row_words`)."""
        words = _row_words(get_language())
        student, p = self.student, self.prefix
        name = conditional_escape(student.full_name)
        classes = (
            "register-row"
            + (" has-error" if self.errors else "")
            + (" has-conflict" if self.conflict else "")
        )
        if self.photo_url:
            avatar = f'<img src="{conditional_escape(self.photo_url)}" alt="" class="avatar" loading="lazy">'
        else:
            avatar = f'<span class="avatar" aria-hidden="true">{conditional_escape(student.initials)}</span>'
        minutes = "" if self.late_minutes is None else conditional_escape(str(self.late_minutes))
        reason = f' value="{conditional_escape(self.reason)}"' if self.reason else ""
        note = f' value="{conditional_escape(self.note)}"' if self.note else ""
        return mark_safe(
            f'<li class="{classes}" id="row-{student.pk}"{" data-unsaved" if self.errors else ""}>\n'
            f"{avatar}<b>{name}</b>{self._reader_html(words)}\n"
            f'<fieldset class="register-marks"{"" if can_edit else " disabled"}>'
            f'<legend class="vh">{name}</legend>\n'
            f'<div class="register-buttons">{self.status_buttons}</div>{self.saved_fields}\n'
            f'<label class="register-late">{words["late"]}<span class="vh"> ({name})</span> '
            f'<input type="text" class="form-control form-control-sm" name="{p}-late_minutes" '
            f'id="{p}-late_minutes" inputmode="numeric" data-select-on-focus value="{minutes}"></label>\n'
            f'<label>{words["reason"]}<span class="vh"> ({name})</span> <input type="text" name="{p}-reason" '
            f'maxlength="200"{reason}></label>\n'
            f"<details{' open' if self.note else ''}><summary>{words['note']}</summary><label>"
            f'<span class="vh">{words["note"]} ({name})</span>'
            f'<input type="text" name="{p}-note" maxlength="300"{note}></label>'
            f"</details>\n</fieldset>\n{self._state_html(can_edit=can_edit, name=name, words=words)}</li>"
        )

    def _reader_html(self, words: dict[str, str]) -> str:
        """Said of a mark an attendance reader set: when the student checked in (a person's change of it is
        theirs, and says nothing)."""
        saved = self.saved
        if saved is None or saved.source != RecordSource.DEVICE or saved.checked_in_at is None:
            return ""
        time = conditional_escape(time_format(timezone.localtime(saved.checked_in_at), "TIME_FORMAT"))
        return f' <small class="register-reader text-body-secondary">{words["reader"]} {time}</small>'

    def _state_html(self, *, can_edit: bool, name: str, words: dict[str, str]) -> str:
        """What the row says under its fields: why it was not saved, or that it was (empty otherwise: JS draws
        its states in a line it adds)."""
        if self.errors:
            said = "".join(f"{conditional_escape(error)} " for error in self.errors)
            state = (
                '<p class="register-state"><span class="text-danger" role="alert">'
                f'<i class="bi bi-exclamation-triangle-fill" aria-hidden="true"></i> {said}</span>'
            )
            if self.conflict and can_edit:
                # Without JavaScript it saves the whole form again (this row's base is now the other mark, so
                # it is replaced on purpose); register.js saves just this row.
                state += (
                    '\n<button type="submit" name="action" value="save" class="btn btn-sm btn-outline-danger '
                    f'register-overwrite">{words["save_mine"]}<span class="visually-hidden"> ({name})</span>'
                    "</button>"
                )
            return state + "</p>"
        if self.just_saved:
            return (
                '<p class="register-state"><span class="text-success">'
                f'<i class="bi bi-check2" aria-hidden="true"></i> {words["saved"]}</span></p>'
            )
        return ""

    @cached_property
    def photo_url(self) -> str:
        """The photo's small versioned thumbnail (cached by the browser for a year), or "" for initials."""
        return photo_thumbnail_url(self.student)


@cache
def _status_labels(language: str | None) -> tuple[tuple[str, str], ...]:
    """(value, escaped label) of the status buttons in a language (translations do not change while the
    process runs)."""
    with translation.override(language):
        return tuple((str(value), escape(label)) for value, label in STATUSES)


@cache
def _row_words(language: str | None) -> dict[str, str]:
    """The texts of a row in a language, escaped (translations do not change while the process runs)."""
    with translation.override(language):
        words = {
            "late": _("Minutes late"),
            "reason": _("Excuse reason"),
            "note": _("Note"),
            "save_mine": _("Save mine"),
            "saved": _("Saved"),
            "reader": _("Checked in at a reader:"),
        }
    return {key: conditional_escape(text) for key, text in words.items()}


def _describe(record: AttendanceRecord | None) -> str:
    """A stored row in words, for the message of a row someone else changed."""
    if record is None:
        return _("not marked")
    parts = [str(record.get_status_display())]
    if record.status == AttendanceStatus.LATE and record.late_minutes:
        parts.append(
            ngettext("%(count)s minute late", "%(count)s minutes late", record.late_minutes)
            % {"count": record.late_minutes}
        )
    if record.reason:
        parts.append(_("excuse “%(reason)s”") % {"reason": record.reason})
    if record.note:
        parts.append(_("note “%(note)s”") % {"note": record.note})
    return ", ".join(parts)


def get_register_for_user(request, pk: int) -> Register:
    """The register if this user may see it (its teacher, or the office); 404 otherwise."""
    queryset = Register.objects.visible_to(request.user).select_related(
        "section__grade_level",
        "section__homeroom_teacher",
        "offering__subject",
        "offering__teacher",
        "period",
        "submitted_by",
    )
    return get_object_or_404(queryset, pk=pk)


@require_GET
@role_required(rules.can_take_registers)
def register_list(request):
    office = active_role(request) == Role.ADMINISTRATOR
    form = RegisterListForm(request.GET or None)
    today = timezone.localdate()
    filters = form.cleaned_data if form.is_valid() else {}
    day = filters.get("date") or today
    policy = AttendancePolicy.load()
    registers = []
    if day <= today:
        registers = services.registers_expected(
            day=day, policy=policy, teacher=None if office else request.user
        )
    if office and filters.get("state"):
        registers = [r for r in registers if r.state == filters["state"]]
    if office and filters.get("grade_level"):
        registers = [r for r in registers if r.section.grade_level_id == filters["grade_level"].pk]
    marks = selectors.register_marks_by_status([r.pk for r in registers])
    context = {
        "form": form,
        "office": office,
        "day": day,
        "today": today,
        "is_future": day > today,
        "previous_day": day - datetime.timedelta(days=1),
        "next_day": day + datetime.timedelta(days=1) if day < today else None,
        "items": [(register, marks.get(register.pk, {})) for register in registers],
    }
    return render(request, LIST_TEMPLATE, context)


@require_GET
@login_required
def register_detail(request, pk):
    register = get_register_for_user(request, pk)
    policy = AttendancePolicy.load()
    rows = [RowView.of(row.student, row.record) for row in selectors.register_rows(register)]
    return _render_page(request, register, policy, rows)


def _render_page(request, register, policy, rows, *, save_form=None, page_error="", status=200):
    refusal = rules.edit_refusal(request.user, register, policy=policy)
    context = {
        "register": register,
        "rows": rows,
        "counts": selectors.register_counts(rows) if not page_error else selectors.register_tally(register),
        "mark_url": reverse("attendance:register_mark", args=[register.pk]),
        "can_edit": not refusal,
        "refusal": refusal,
        "needs_reason": rules.needs_reason(request.user, register, policy=policy),
        "cutoff": policy.teacher_cutoff(register.date),
        "save_form": save_form or RegisterSaveForm(),
        "page_error": page_error,
    }
    return render(request, TEMPLATE, context, status=status)


@require_POST
@login_required
def register_mark(request, pk):
    """One change from a row (HTMX): answers the row and, out-of-band, the counters. A refusal answers the row
    as the person left it, marked refused (has-error, data-unsaved) with the message in it; a row someone else
    changed since the page was drawn answers the person's choice kept, theirs in the message and as the row's
    new base, with a button to save the choice over it. Both are 200, like a Django form re-shown with its
    errors: the answer is the row to show, and a 4xx would put an error in the browser's console on every
    refused mark. register.js retries what did not arrive (5xx, no connection)."""
    register = get_register_for_user(request, pk)
    target = MarkRequestForm(request.POST)
    if not target.is_valid():
        return _refused_fragment(request, None, _("Say which student to mark."))
    student_id = target.cleaned_data["student"]
    prefix = row_prefix(student_id)
    form = MarkForm(request.POST, prefix=prefix if f"{prefix}-status" in request.POST else None)
    policy = AttendancePolicy.load()
    record, clash = None, None
    if form.is_valid():
        try:
            record = services.record_mark(
                register=register,
                student_id=student_id,
                by=request.user,
                change_reason=target.cleaned_data["change_reason"],
                policy=policy,
                base=form.base(),
                **form.mark(),
            )
        except EditConflict as error:
            clash = error
        except AttendanceError as error:
            form.add_error(None, error.message)
    context = {"register": register, "mark_url": reverse("attendance:register_mark", args=[register.pk])}
    if record is None:
        student = selectors.student_on_register(register, student_id)
        if student is None:
            return _refused_fragment(request, student_id, _("That student is not on this register."))
        refusal = rules.edit_refusal(request.user, register, policy=policy)
        if clash is not None:
            context.update(
                row=RowView.clashed(student, clash.current, form),
                can_edit=not refusal,
                counts=selectors.register_tally(register),
            )
            return render(request, f"{TEMPLATE}#mark_response", context)
        saved = AttendanceRecord.objects.filter(register=register, student=student).first()
        context.update(row=RowView.refused(student, saved, form), can_edit=not refusal)
        return render(request, f"{TEMPLATE}#row", context)
    context.update(
        row=RowView.of(record.student, record, just_saved=True),
        can_edit=True,
        counts=selectors.register_tally(register),
    )
    return render(request, f"{TEMPLATE}#mark_response", context)


def _refused_fragment(request, student_id, message):
    return render(request, f"{TEMPLATE}#row_refused", {"student_id": student_id, "message": message})


@require_POST
@login_required
def register_save(request, pk):
    """The whole register as one form (no JavaScript, and the submit button): writes the rows the person
    changed (their values ≠ the row's base), then submits when asked. An invalid row saves nothing. A row
    someone else changed since the page was drawn is refused with their mark shown (the other rows are saved,
    the register is not submitted); saving again replaces it on purpose."""
    register = get_register_for_user(request, pk)
    policy = AttendancePolicy.load()
    save_form = RegisterSaveForm(request.POST)
    save_form.is_valid()
    submit = save_form.cleaned_data.get("action") == "submit"
    change_reason = save_form.cleaned_data.get("change_reason", "")
    rows = selectors.register_rows(register)
    forms = [(row, MarkForm(request.POST, prefix=row_prefix(row.student.pk))) for row in rows]
    changed = [(row, form) for row, form in forms if form.has_changed()]

    page_error = rules.edit_refusal(request.user, register, policy=policy)
    if (
        not page_error
        and rules.needs_reason(request.user, register, policy=policy)
        and not change_reason.strip()
    ):
        save_form.add_error(
            "change_reason", _("Say why the register is changed after the teachers' cut-off.")
        )
        page_error = _("Give a reason for the change.")
    if not page_error and not all(form.is_valid() for _row, form in changed):
        page_error = _("Some marks were not saved. Correct the rows below and save again.")
    clashes: dict[int, AttendanceRecord | None] = {}
    if not page_error:
        page_error = _save_changed(
            request, register, policy, changed, change_reason=change_reason, submit=submit, clashes=clashes
        )
    status = 200
    if clashes and not page_error:
        # The other rows are saved: the page is drawn again from what is stored, with the refused rows.
        saved = len(changed) - len(clashes)
        page_error = " ".join(
            [
                ngettext("%(count)s row saved.", "%(count)s rows saved.", saved) % {"count": saved}
                if saved
                else _("No row was saved."),
                ngettext(
                    "%(count)s row was not saved: someone else changed it since you opened the page. "
                    "Their mark is said in the row; save again to replace it with yours.",
                    "%(count)s rows were not saved: someone else changed them since you opened the page. "
                    "Their marks are said in the rows; save again to replace them with yours.",
                    len(clashes),
                )
                % {"count": len(clashes)},
                _("The register is not submitted yet.") if submit else "",
            ]
        ).strip()
        rows, changed, status = selectors.register_rows(register), [], 409
    if page_error:
        refused = {row.student.pk: form for row, form in changed if form.errors or page_error}
        forms_by_student = {row.student.pk: form for row, form in forms}
        views = []
        for row in rows:
            pk = row.student.pk
            if pk in clashes:
                views.append(RowView.clashed(row.student, clashes[pk], forms_by_student[pk]))
            elif pk in refused:
                views.append(RowView.refused(row.student, row.record, refused[pk]))
            else:
                views.append(RowView.of(row.student, row.record))
        return _render_page(
            request, register, policy, views, save_form=save_form, page_error=page_error, status=status
        )
    if submit:
        counts = selectors.register_tally(register)
        messages.success(
            request,
            _(
                "The register is submitted: %(present)s present, %(absent)s absent, %(late)s late, "
                "%(excused)s excused."
            )
            % {
                "present": counts.present,
                "absent": counts.absent,
                "late": counts.late,
                "excused": counts.excused,
            },
        )
    else:
        messages.success(request, _("The register is saved."))
    return redirect("attendance:register_detail", pk=register.pk)


class _Refused(Exception):
    pass


def _save_changed(
    request, register, policy, changed, *, change_reason: str, submit: bool, clashes: dict
) -> str:
    """Write every changed row (and submit), all or nothing. Returns "" or why nothing was saved. A row
    someone else changed since the page was drawn is left out (into `clashes`, with their record), the
    others are written, and the register is not submitted."""
    try:
        with transaction.atomic():
            failed = False
            for row, form in changed:
                try:
                    services.record_mark(
                        register=register,
                        student_id=row.student.pk,
                        by=request.user,
                        change_reason=change_reason,
                        policy=policy,
                        base=form.base(),
                        **form.mark(),
                    )
                except EditConflict as clash:
                    clashes[row.student.pk] = clash.current
                except AttendanceError as error:
                    form.add_error(None, error.message)
                    failed = True
            if failed:
                raise _Refused
            if submit and not clashes:
                services.register_submit(register=register, by=request.user, policy=policy)
    except _Refused:
        return _("Some marks were not saved. Correct the rows below and save again.")
    except AttendanceError as error:
        return error.message
    return ""
