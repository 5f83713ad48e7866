"""The teacher's assignment form: one form sets an assignment for several classes, edits one, or copies one
(from another class or an earlier year). Dates are local date-times in the school's time zone. The rules
of a valid assignment are setting.fields_problems; this form only shows them next to their fields."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from modules.academics.models import CourseOffering
from modules.assignments.models import Assignment, AssignmentFile, HandIn, HomeworkPolicy, LatePolicy
from modules.assignments.setting import MAX_SCORE, AssignmentFields, NewFile, fields_problems
from modules.core.forms import DateTimeInput, MultipleFileField, PortalForm
from modules.core.uploads import allowed_extensions, validate_attachment
from modules.exams.models import AssessmentCategory


class Publish:
    NOW = "now"
    LATER = "later"
    DRAFT = "draft"
    CHOICES = (
        (NOW, _("Publish now")),
        (LATER, _("Publish at a set time")),
        (DRAFT, _("Keep as a draft (students do not see it)")),
    )


GRADED, NOT_GRADED = "graded", "not_graded"


def _minute(value: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(value).replace(second=0, microsecond=0)


class AssignmentForm(PortalForm):
    """`offerings`: the classes it may be set for (a new assignment or a copy); `assignment` being edited
    (its own class only); `source`: the assignment copied, whose files may be kept."""

    offerings = forms.ModelMultipleChoiceField(
        label=_("Classes"),
        queryset=CourseOffering.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one class."),
            "invalid_choice": _("Choose among your own classes."),
            "invalid_pk_value": _("Choose among your own classes."),
        },
    )
    allowed_extensions = forms.MultipleChoiceField(
        label=_("Accepted file types"),
        required=False,
        choices=[(kind, f".{kind}") for kind in allowed_extensions()],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every kind the portal accepts."),
        error_messages={"invalid_choice": _("The portal does not accept .%(value)s files.")},
    )
    grading = forms.ChoiceField(
        label=_("Marking"),
        choices=[(GRADED, _("Graded: it counts in the gradebook")), (NOT_GRADED, _("Not graded"))],
        widget=forms.RadioSelect,
        initial=GRADED,
    )
    max_score = forms.DecimalField(
        label=_("Maximum score"),
        required=False,
        max_digits=6,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=MAX_SCORE,
        error_messages={
            "invalid": _("Type the maximum score as a number."),
            "min_value": _("The maximum score must be more than 0."),
            "max_value": _("The maximum score must be at most %(limit_value)s."),
        },
    )
    late_penalty_percent = forms.DecimalField(
        label=_("Penalty per day late (%)"),
        required=False,
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        help_text=_("Taken off the score for each day (or part of a day) late. 0: no penalty."),
        error_messages={
            "invalid": _("Type the penalty as a number."),
            # Django fills in its %(limit_value)s here: a percent sign is written twice.
            "min_value": _("The penalty per day must be between 0 and 100%%."),
            "max_value": _("The penalty per day must be between 0 and 100%%."),
        },
    )
    publish = forms.ChoiceField(
        label=_("Students see it"), choices=Publish.CHOICES, widget=forms.RadioSelect, initial=Publish.NOW
    )
    attachments = MultipleFileField(label=_("Attach files"), required=False)
    remove_files = forms.ModelMultipleChoiceField(
        label=_("Remove attached files"),
        queryset=AssignmentFile.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    keep_files = forms.ModelMultipleChoiceField(
        label=_("Copy its files"),
        queryset=AssignmentFile.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Assignment
        fields = [
            "title",
            "instructions",
            "hand_in",
            "allowed_extensions",
            "opens_at",
            "due_at",
            "late_policy",
            "late_until",
            "late_penalty_percent",
            "publish_at",
        ]
        labels = {
            "instructions": _("Instructions"),
            "opens_at": _("Opens"),
            "due_at": _("Due"),
            "late_until": _("Accept late work until"),
            "publish_at": _("Publish at"),
            "hand_in": _("Handed in as"),
            "late_policy": _("Late work"),
        }
        help_texts = {
            "instructions": _(
                "Markdown: **bold**, *italic*, lists with - or 1., [a link](https://…). "
                "Students see it formatted."
            ),
            "opens_at": _("Students can hand in from this time."),
            "late_until": _("Leave empty to accept late work at any time."),
            "publish_at": _("Only with “Publish at a set time”."),
        }
        widgets = {
            "instructions": forms.Textarea(attrs={"rows": 8}),
            "hand_in": forms.RadioSelect,
            "late_policy": forms.RadioSelect,
            "opens_at": DateTimeInput(),
            "due_at": DateTimeInput(),
            "late_until": DateTimeInput(),
            "publish_at": DateTimeInput(),
        }
        error_messages = {
            "title": {"required": _("Give the assignment a title.")},
            "due_at": {"required": _("Choose when it is due."), "invalid": _("Type a date and time.")},
            "opens_at": {"required": _("Choose when it opens."), "invalid": _("Type a date and time.")},
            "late_until": {"invalid": _("Type a date and time.")},
            "publish_at": {"invalid": _("Type a date and time.")},
        }

    def __init__(
        self,
        *args,
        offerings: list[CourseOffering],
        categories: list[AssessmentCategory],
        source: Assignment | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.policy = HomeworkPolicy.current()
        self.source = source
        self.new_files: list[NewFile] = []
        editing = self.instance.pk is not None
        self.class_offerings = [self.instance.offering] if editing else offerings
        if editing:
            del self.fields["offerings"]
        else:
            self.fields["offerings"].queryset = CourseOffering.objects.filter(
                pk__in=[o.pk for o in offerings]
            )
            self.fields["offerings"].choices = [(o.pk, str(o)) for o in offerings]
        # One category choice per class (each class has its own weighted categories).
        by_offering: dict[int, list[AssessmentCategory]] = {}
        for category in categories:
            by_offering.setdefault(category.offering_id, []).append(category)
        self.categories = {category.pk: category for category in categories}
        self.category_fields: list[tuple[CourseOffering, str]] = []
        for offering in self.class_offerings:
            own = by_offering.get(offering.pk, [])
            if not own:
                continue
            name = f"category_{offering.pk}"
            self.fields[name] = forms.TypedChoiceField(
                label=_("Gradebook category for %(class)s") % {"class": offering},
                required=False,
                coerce=int,
                empty_value=None,
                choices=[("", _("No category"))] + [(c.pk, str(c)) for c in own],
                error_messages={"invalid_choice": _("Choose one of this class's own categories.")},
            )
            self.category_fields.append((offering, name))
        self.fields["late_penalty_percent"].initial = Decimal("0")
        self.fields["attachments"].help_text = _(
            "Students of the class can download them. Up to %(count)d files of %(limit)s each. "
            "Accepted: %(kinds)s."
        ) % {
            "count": self.policy.max_files,
            "limit": filesizeformat(self.policy.max_file_bytes),
            "kinds": ", ".join(allowed_extensions()),
        }
        self.fields["publish_at"].required = False
        if editing:
            self._initial_from(self.instance)
            files = list(self.instance.files.all())
            if files:
                self.fields["remove_files"].queryset = self.instance.files.all()
                self.fields["remove_files"].choices = [(f.pk, f.name) for f in files]
            else:
                del self.fields["remove_files"]
            if self.instance.is_published:
                del self.fields["publish"]
                del self.fields["publish_at"]
        else:
            del self.fields["remove_files"]
            now = _minute(timezone.now())
            self.initial.setdefault("opens_at", now)
            due = (now + datetime.timedelta(days=7)).replace(hour=8, minute=0)
            self.initial.setdefault("due_at", due)
        if source is not None and not editing:
            source_files = list(source.files.all())
            if source_files:
                self.fields["keep_files"].queryset = source.files.all()
                self.fields["keep_files"].choices = [(f.pk, f.name) for f in source_files]
                self.initial.setdefault("keep_files", [f.pk for f in source_files])
            else:
                del self.fields["keep_files"]
            if not self.is_bound:
                self._categories_like(source)
        else:
            del self.fields["keep_files"]

    def _categories_like(self, source: Assignment) -> None:
        """A copy counts, in each class, in the category named as the source's (when the class has one)."""
        category = source.assessment.category if source.assessment_id and source.assessment else None
        if category is None:
            return
        for offering, name in self.category_fields:
            for choice_pk, _label in self.fields[name].choices:
                match = self.categories.get(choice_pk) if choice_pk else None
                if match is not None and match.offering_id == offering.pk and match.name == category.name:
                    self.initial[name] = match.pk

    def _initial_from(self, assignment: Assignment) -> None:
        self.initial["allowed_extensions"] = assignment.extensions()
        if assignment.assessment is not None:
            self.initial["grading"] = GRADED
            self.initial["max_score"] = assignment.assessment.max_score.normalize()
            self.initial[f"category_{assignment.offering_id}"] = assignment.assessment.category_id
        else:
            self.initial["grading"] = NOT_GRADED
        if not assignment.is_published:
            if assignment.publish_at is None:
                self.initial["publish"] = Publish.DRAFT
            elif assignment.publish_at > timezone.now():
                self.initial["publish"] = Publish.LATER
            else:  # its time has come and the queue has not published it yet: saving publishes it
                self.initial["publish"] = Publish.NOW

    def clean_allowed_extensions(self) -> str:
        return ",".join(self.cleaned_data.get("allowed_extensions") or [])

    def clean_title(self) -> str:
        return (self.cleaned_data.get("title") or "").strip()

    def clean_attachments(self):
        files = self.cleaned_data.get("attachments") or []
        if len(files) > self.policy.max_files:
            raise ValidationError(_("Attach at most %(count)d files.") % {"count": self.policy.max_files})
        errors: list[str] = []
        self.new_files = []
        for upload in files:
            try:
                content_type = validate_attachment(upload, max_bytes=self.policy.max_file_bytes)
            except ValidationError as error:
                errors.extend(error.messages)
            else:
                self.new_files.append(NewFile(upload=upload, content_type=content_type))
        if errors:
            self.new_files = []
            raise ValidationError(errors)
        return files

    def clean(self):
        cleaned = super().clean()
        # The model's own constraints say the same as fields_problems below, with the database's wording:
        # the form shows only the plain messages.
        self._validate_constraints = False
        if cleaned.get("late_penalty_percent") is None and "late_penalty_percent" not in self.errors:
            cleaned["late_penalty_percent"] = Decimal("0")
        graded = cleaned.get("grading") == GRADED
        if graded and cleaned.get("max_score") is None and "max_score" not in self.errors:
            self.add_error("max_score", _("Give the maximum score, or choose “Not graded”."))
        publish = cleaned.get("publish")
        now = timezone.now()
        if publish == Publish.LATER and "publish_at" not in self.errors:
            when = cleaned.get("publish_at")
            if when is None:
                self.add_error("publish_at", _("Choose when to publish it."))
            elif when <= now:
                self.add_error("publish_at", _("Choose a time still to come, or publish now."))
        fields = self.assignment_fields(now=now)
        if fields is not None:
            for name, message in fields_problems(fields, now=now):
                if name in self.fields and name not in self.errors:
                    self.add_error(name, message)
                elif name not in self.fields:
                    self.add_error(None, message)
        return cleaned

    def assignment_fields(self, *, now: datetime.datetime | None = None) -> AssignmentFields | None:
        """The cleaned values as the setting services take them (None while the dates are not valid)."""
        data = self.cleaned_data
        if not data.get("due_at") or not data.get("opens_at"):
            return None
        if "publish" not in self.fields:  # published already: its publication stays as it is
            publish_at = self.instance.publish_at
        elif data.get("publish") == Publish.NOW:
            publish_at = now or timezone.now()
        elif data.get("publish") == Publish.LATER:
            publish_at = data.get("publish_at")
        else:
            publish_at = None
        return AssignmentFields(
            title=data.get("title") or "",
            instructions=data.get("instructions") or "",
            hand_in=data.get("hand_in") or HandIn.FILE,
            allowed_extensions=data.get("allowed_extensions") or "",
            opens_at=data["opens_at"],
            due_at=data["due_at"],
            late_policy=data.get("late_policy") or LatePolicy.ACCEPT,
            late_until=data.get("late_until"),
            late_penalty_percent=data.get("late_penalty_percent") or Decimal("0"),
            max_score=data.get("max_score") if data.get("grading") == GRADED else None,
            publish_at=publish_at,
        )

    def chosen_categories(self) -> dict[int, AssessmentCategory | None]:
        """The category chosen for each class (None: no category), by offering pk."""
        chosen: dict[int, AssessmentCategory | None] = {}
        for offering, name in self.category_fields:
            pk = self.cleaned_data.get(name)
            chosen[offering.pk] = self.categories.get(pk) if pk else None
        return chosen

    def chosen_offerings(self) -> list[CourseOffering]:
        if "offerings" not in self.fields:
            return list(self.class_offerings)
        wanted = {o.pk for o in self.cleaned_data.get("offerings") or []}
        return [o for o in self.class_offerings if o.pk in wanted]

    @property
    def category_bound_fields(self) -> list:
        return [self[name] for _offering, name in self.category_fields]

    def error_field(self, name: str | None) -> str | None:
        """The field a service's refusal belongs to, as this form names it."""
        if name == "category":
            return self.category_fields[0][1] if self.category_fields else None
        return name if name in self.fields else None


def copy_initial(source: Assignment, *, year_start: datetime.date | None) -> dict:
    """The form's first values for a copy of `source`: its settings, and its dates moved by whole weeks
    into the year starting `year_start` when it is from another year (same weekday, same local time)."""
    shift = datetime.timedelta(0)
    source_start = source.offering.section.year.start_date
    if year_start is not None and source_start != year_start:
        shift = datetime.timedelta(weeks=round((year_start - source_start).days / 7))

    def moved(value: datetime.datetime | None) -> datetime.datetime | None:
        if value is None:
            return None
        local = timezone.make_naive(value) + shift
        return timezone.make_aware(local)

    initial: dict = {
        "title": source.title,
        "instructions": source.instructions,
        "hand_in": source.hand_in,
        "allowed_extensions": source.extensions(),
        "opens_at": moved(source.opens_at),
        "due_at": moved(source.due_at),
        "late_policy": source.late_policy,
        "late_until": moved(source.late_until),
        "late_penalty_percent": source.late_penalty_percent.normalize(),
        "grading": GRADED if source.assessment_id else NOT_GRADED,
    }
    if source.assessment_id and source.assessment:
        initial["max_score"] = source.assessment.max_score.normalize()
    return initial


class DeleteForm(forms.Form):
    keep_marks = forms.BooleanField(
        label=_("Keep its marks in the gradebook (as an assessment without the assignment)"),
        required=False,
        initial=True,
    )
