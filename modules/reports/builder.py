"""The report builder: a report's definition checked against its data set, run in the scope of the person
running it (a page of rows, or every row for an export), and the services that save and share reports.

A definition is plain JSON (`SavedReport.definition`): the columns, up to MAX_FILTERS filters (a field, an
operator, a value), one column to group by (each group with its count, the totals of the numbers that add up
and the average of every number), a column to sort by, and the term of a data set read over a term. It is
checked every time it is used: a report saved before a column was renamed opens with a notice naming what
it no longer has, never with an error.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Avg, Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from modules.academics.models import Term
from modules.accounts.models import STAFF_ROLES, Role
from modules.core.audit import audit_log
from modules.core.concurrency import EditConflict
from modules.reports.datasets import BOOLEAN, DATE, NUMERIC, PERCENT, TEXT, Column, Dataset, Params
from modules.reports.models import ReportRoleShare, SavedReport

MAX_FILTERS = 3
PAGE_SIZE = 25
# The exports streamed while the person waits; a larger one is prepared on the queue (a core Job).
EXPORT_AT_ONCE = 2000
EXPORT_BATCH = 2000

OPERATORS: dict[str, Any] = {
    "eq": gettext_lazy("is"),
    "ne": gettext_lazy("is not"),
    "lt": gettext_lazy("is less than"),
    "lte": gettext_lazy("is at most"),
    "gt": gettext_lazy("is more than"),
    "gte": gettext_lazy("is at least"),
    "contains": gettext_lazy("contains"),
}
ORDERED_OPERATORS = frozenset({"lt", "lte", "gt", "gte"})


def max_groups() -> int:
    """A grouped report shows at most this many groups (a larger grouping is refused, not cut)."""
    return getattr(settings, "STUDENTFLOW_REPORT_MAX_GROUPS", 200)


class DefinitionError(ValueError):
    """A definition the builder refuses; `messages` say why, in the person's words."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class Filter:
    field: str
    op: str
    value: str


@dataclass
class Definition:
    dataset: Dataset
    columns: list[str]
    filters: list[Filter] = field(default_factory=list)
    group_by: str = ""
    sort: str = ""
    descending: bool = False
    term: Term | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "columns": list(self.columns),
            "filters": [{"field": f.field, "op": f.op, "value": f.value} for f in self.filters],
            "group_by": self.group_by,
            "sort": self.sort,
            "descending": self.descending,
            "term": self.term.pk if self.term is not None else None,
        }

    @functools.cached_property
    def params(self) -> Params:
        """One Params per definition: what it reads once (whether the term's tallies are whole) is read once
        for the check, the count and the page."""
        return Params(term=self.term)

    def chosen(self) -> list[Column]:
        return [column for key in self.columns if (column := self.dataset.column(key)) is not None]


def _label(dataset: Dataset, key: str) -> str:
    column = dataset.column(key)
    return str(column.label) if column is not None else key


def _typed(column: Column, raw: str) -> Any:
    """The filter's value in the column's type; DefinitionError (in words) when it is not one."""
    text = raw.strip()
    if column.choices:
        for value, label in column.choices:
            if text.casefold() in {str(value).casefold(), str(label).casefold()}:
                return value
        shown = ", ".join(str(label) for _value, label in column.choices)
        raise DefinitionError(
            [
                _("“%(value)s” is not one of %(column)s: %(choices)s.")
                % {"value": text, "column": column.label, "choices": shown}
            ]
        )
    if column.kind in NUMERIC:
        try:
            return Decimal(text.replace(",", "."))
        except InvalidOperation:
            raise DefinitionError(
                [_("“%(value)s” is not a number (%(column)s).") % {"value": text, "column": column.label}]
            ) from None
    if column.kind == DATE:
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            raise DefinitionError(
                [
                    _("“%(value)s” is not a date like 2025-09-30 (%(column)s).")
                    % {"value": text, "column": column.label}
                ]
            ) from None
    if column.kind == BOOLEAN:
        if text.casefold() in {"yes", "true", "1", _("yes").casefold()}:
            return True
        if text.casefold() in {"no", "false", "0", _("no").casefold()}:
            return False
        raise DefinitionError([_("%(column)s is “yes” or “no”.") % {"column": column.label}])
    return text


def filter_q(dataset: Dataset, item: Filter) -> Q:
    column = dataset.column(item.field)
    if column is None:
        raise DefinitionError(
            [
                _("The data set “%(dataset)s” has no field “%(field)s”.")
                % {"dataset": dataset.label, "field": item.field}
            ]
        )
    if item.op not in OPERATORS:
        raise DefinitionError([_("“%(op)s” is not a way to compare.") % {"op": item.op}])
    if item.op in ORDERED_OPERATORS and column.kind in {TEXT, BOOLEAN}:
        raise DefinitionError(
            [
                _("%(column)s cannot be compared as more or less; use “is” or “contains”.")
                % {"column": column.label}
            ]
        )
    if item.op == "contains" and (column.kind != TEXT or column.choices):
        raise DefinitionError(
            [_("Only text can be searched with “contains” (%(column)s).") % {"column": column.label}]
        )
    value = _typed(column, item.value)
    name = f"c_{column.key}"
    if item.op == "eq":
        return Q(**{f"{name}__iexact" if column.kind == TEXT and not column.choices else name: value})
    if item.op == "ne":
        return ~Q(**{name: value})
    if item.op == "contains":
        return Q(**{f"{name}__icontains": value})
    return Q(**{f"{name}__{item.op}": value})


def _term(raw: Any) -> Term | None:
    try:
        return Term.objects.filter(pk=int(raw)).first() if raw not in (None, "") else None
    except (TypeError, ValueError):
        return None


def definition_read(dataset: Dataset, raw: dict[str, Any]) -> tuple[Definition, list[str]]:
    """A stored definition as the data set has it now, and the names of what it asked for that the data set
    no longer has (columns, filters, grouping, sorting dropped: the page names them in a notice)."""
    missing: list[str] = []
    columns = []
    for key in raw.get("columns") or []:
        (columns if dataset.column(key) is not None else missing).append(key)
    filters = []
    for item in raw.get("filters") or []:
        if not isinstance(item, dict):
            continue
        if dataset.column(str(item.get("field", ""))) is None:
            missing.append(str(item.get("field", "")))
            continue
        filters.append(Filter(str(item["field"]), str(item.get("op", "eq")), str(item.get("value", ""))))
    group_by, sort = str(raw.get("group_by") or ""), str(raw.get("sort") or "")
    for key in (group_by, sort):
        if key and dataset.column(key) is None:
            missing.append(key)
    if group_by and (column := dataset.column(group_by)) is not None and not column.groupable:
        missing.append(group_by)
        group_by = ""
    definition = Definition(
        dataset=dataset,
        columns=columns or list(dataset.default_columns),
        filters=filters,
        group_by=group_by if dataset.column(group_by) else "",
        sort=sort if dataset.column(sort) else "",
        descending=bool(raw.get("descending")),
        term=_term(raw.get("term")) if dataset.uses_term else None,
    )
    if dataset.uses_term and definition.term is None:
        definition.term = current_term()
    return definition, list(dict.fromkeys(missing))


def current_term() -> Term | None:
    """The term holding today, else the latest that started."""
    today = timezone.localdate()
    terms = Term.objects.order_by("-start_date")
    return (
        terms.filter(start_date__lte=today, end_date__gte=today).first()
        or terms.filter(start_date__lte=today).first()
    )


# --- running -----------------------------------------------------------------------------------------------


def filtered(definition: Definition, user) -> QuerySet:
    """The data set's rows this person may see, filtered (DefinitionError for a filter it refuses)."""
    dataset = definition.dataset
    if dataset.uses_term and definition.term is None:
        raise DefinitionError([_("Choose a term: this data set is counted over one.")])
    rows = dataset.queryset(user, definition.params)
    errors, conditions = [], []
    for item in definition.filters:
        try:
            conditions.append(filter_q(dataset, item))
        except DefinitionError as error:
            errors += error.messages
    if errors:
        raise DefinitionError(errors)
    return rows.filter(*conditions)


def definition_check(definition: Definition, user) -> int | None:
    """Refuse what cannot be run: a filter the data set cannot apply, or a grouping into more groups than
    max_groups() (counted in the database before anything is read). Returns the number of groups of a
    grouped report (its preview's count: not counted twice)."""
    rows = filtered(definition, user)
    groups = None
    if definition.group_by:
        groups = rows.values(group=F(f"c_{definition.group_by}")).order_by().distinct().count()
        if groups > max_groups():
            raise DefinitionError(
                [
                    _(
                        "Grouping by %(column)s makes %(count)s groups; a report shows at most %(limit)s. "
                        "Add a filter, or group by another column."
                    )
                    % {
                        "column": _label(definition.dataset, definition.group_by),
                        "count": groups,
                        "limit": max_groups(),
                    }
                ]
            )
    return groups


@dataclass
class Table:
    """What a report shows: headings and rows of values as people read them."""

    headers: list[str]
    rows: list[list[Any]]
    grouped: bool = False


def _ordering(definition: Definition) -> list[Any]:
    if definition.group_by:
        key = F(f"c_{definition.group_by}")
        return [key.desc(nulls_last=True) if definition.descending else key.asc(nulls_last=True)]
    keys: list[Any] = []
    if definition.sort:
        key = F(f"c_{definition.sort}")
        keys.append(key.desc(nulls_last=True) if definition.descending else key.asc(nulls_last=True))
    return [*keys, "pk"]


def _grouped_columns(definition: Definition) -> list[tuple[str, str, Column | None]]:
    """(alias, heading, column) of a grouped report: the group, the count, then per number its total
    (when it adds up) and its average."""
    dataset = definition.dataset
    group = dataset.column(definition.group_by)
    result: list[tuple[str, str, Column | None]] = [(f"c_{definition.group_by}", str(group.label), group)]
    result.append(("n", _("Rows"), None))
    for column in definition.chosen():
        if not column.numeric or column.key == definition.group_by:
            continue
        if column.summable:
            result.append((f"sum_{column.key}", _("%(column)s (total)") % {"column": column.label}, column))
        result.append((f"avg_{column.key}", _("%(column)s (average)") % {"column": column.label}, column))
    return result


def report_values(definition: Definition, user) -> tuple[list[str], QuerySet, list[Column | None], bool]:
    """(headers, a values_list queryset in order, each value's column for display, grouped)."""
    rows = filtered(definition, user)
    if definition.group_by:
        spec = _grouped_columns(definition)
        aggregates: dict[str, Any] = {"n": Count("pk")}
        for alias, _heading, column in spec[2:]:
            assert column is not None
            source = F(f"c_{column.key}")
            aggregates[alias] = Sum(source) if alias.startswith("sum_") else Avg(source)
        query = rows.values(group=F(spec[0][0])).annotate(**aggregates).order_by(*_ordering(definition))
        return (
            [heading for _alias, heading, _column in spec],
            query.values_list("group", *(alias for alias, _heading, _column in spec[1:])),
            [_group_value_column(alias, column) for alias, _h, column in spec],
            True,
        )
    chosen = definition.chosen()
    shown = {f"v_{column.key}": F(f"c_{column.key}") for column in chosen}
    query = rows.annotate(**shown).order_by(*_ordering(definition)).values_list(*shown)
    return [str(column.label) for column in chosen], query, list(chosen), False


def _group_value_column(alias: str, column: Column | None) -> Column | None:
    """How a grouped report's value is shown: the group as its column shows it, an average of percentages as
    a percentage (to the tenth, whatever the column's type), other counts and averages as numbers."""
    if alias == "n" or column is None:
        return None
    if alias.startswith("avg_"):
        return column if column.kind == PERCENT else None
    return column


def _shown(values: tuple, columns: list[Column | None]) -> list[Any]:
    row = []
    for value, column in zip(values, columns, strict=True):
        if column is not None:
            row.append(column.shown(value))
        elif isinstance(value, float):
            row.append(round(value, 1))
        elif isinstance(value, Decimal):
            row.append(round(value, 2))
        else:
            row.append(value)
    return row


@dataclass
class ReportPage:
    table: Table
    page: Page
    count: int


def report_page(definition: Definition, user, number: Any = 1, *, count: int | None = None) -> ReportPage:
    """One page of the report (the preview, an opened report): a count and PAGE_SIZE rows. `count`: the
    number of rows when already known (a grouped report's groups, counted by definition_check)."""
    headers, query, columns, grouped = report_values(definition, user)
    paginator = Paginator(query, PAGE_SIZE)
    if count is not None:
        paginator.__dict__["count"] = count  # Paginator.count is a cached_property: this is its value
    page = paginator.get_page(number)
    rows = [_shown(values, columns) for values in page.object_list]
    return ReportPage(table=Table(headers, rows, grouped), page=page, count=page.paginator.count)


def report_count(definition: Definition, user) -> int:
    _headers, query, _columns, _grouped = report_values(definition, user)
    return query.count()


def report_rows(definition: Definition, user) -> tuple[list[str], Iterator[list[Any]]]:
    """Every row, streamed from the database in batches (for exports)."""
    headers, query, columns, _grouped = report_values(definition, user)
    return headers, (_shown(values, columns) for values in query.iterator(chunk_size=EXPORT_BATCH))


# --- saving and sharing ------------------------------------------------------------------------------------


def staff_roles() -> list[tuple[str, str]]:
    return [(value, label) for value, label in Role.choices if value in STAFF_ROLES]


def _share(report: SavedReport, *, roles: list[str], users: list) -> None:
    ReportRoleShare.objects.filter(report=report).exclude(role__in=roles).delete()
    for role in roles:
        ReportRoleShare.objects.get_or_create(report=report, role=role)
    report.shared_with.set([user for user in users if user.pk != report.owner_id])


@transaction.atomic
def saved_report_create(
    *, owner, name: str, definition: Definition, share_roles: list[str], share_users: list
) -> SavedReport:
    report = SavedReport.objects.create(
        owner=owner, name=name, dataset=definition.dataset.key, definition=definition.as_json()
    )
    _share(report, roles=share_roles, users=share_users)
    audit_log(
        actor=owner,
        action="report.create",
        obj=report,
        after={"dataset": report.dataset, **report.definition},
    )
    return report


@transaction.atomic
def saved_report_update(
    *,
    report: SavedReport,
    actor,
    version: int,
    name: str,
    definition: Definition,
    share_roles: list[str],
    share_users: list,
) -> SavedReport:
    """Save a new definition over the report; EditConflict when it was saved by someone else (or in another
    tab) since the page was drawn from `version`."""
    stored = SavedReport.objects.select_for_update().get(pk=report.pk)
    if stored.version != version:
        raise EditConflict(current=stored)
    before = {"name": stored.name, "dataset": stored.dataset, **stored.definition}
    stored.name, stored.dataset, stored.definition = name, definition.dataset.key, definition.as_json()
    stored.version += 1
    stored.save()
    _share(stored, roles=share_roles, users=share_users)
    audit_log(
        actor=actor,
        action="report.update",
        obj=stored,
        before=before,
        after={"name": stored.name, "dataset": stored.dataset, **stored.definition},
    )
    return stored


@transaction.atomic
def saved_report_delete(*, report: SavedReport, actor) -> None:
    audit_log(actor=actor, action="report.delete", obj=report, before={"name": report.name})
    report.delete()
