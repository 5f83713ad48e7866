"""The office's delivery log: its filters (django-filter) and its table (django-tables2)."""

from __future__ import annotations

import datetime

import django_filters
import django_tables2 as tables
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from modules.communications.kinds import kind_choices, kind_label
from modules.communications.models import Delivery, DeliveryStatus

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DeliveryFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("The “from” date is after the “to” date."))
        return cleaned


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class DeliveryFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Recipient"), method="search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=DeliveryStatus.choices)
    channel = django_filters.ChoiceFilter(
        label=_("Channel"), choices=Delivery._meta.get_field("channel").choices
    )
    # Read from the registry when the form is built (every module has registered its kinds by then).
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=kind_choices)
    since = django_filters.DateFilter(label=_("Queued from"), method="filter_since", widget=DATE_INPUT)
    until = django_filters.DateFilter(label=_("Queued to"), method="filter_until", widget=DATE_INPUT)

    class Meta:
        model = Delivery
        fields = ["q", "status", "channel", "kind", "since", "until"]
        form = DeliveryFilterForm

    def search(self, queryset, name, value):
        condition = Q()
        for term in value.split()[:5]:
            condition &= Q(recipient_name__icontains=term) | Q(address__icontains=term)
        return queryset.filter(condition)

    # Whole days in the school's time zone, as a range on created_at (so its index is used).
    # A date at the calendar's ends (0001-01-01, 9999-12-31) has no day before or after it in every time zone:
    # it bounds nothing, so it is ignored rather than overflowing.
    def filter_since(self, queryset, name, value):
        try:
            return queryset.filter(created_at__gte=_start_of(value))
        except OverflowError:
            return queryset

    def filter_until(self, queryset, name, value):
        try:
            return queryset.filter(created_at__lt=_start_of(value + datetime.timedelta(days=1)))
        except OverflowError:
            return queryset


# The record link leaves the list: it must not be boosted into the results region like sort and page links.
RECIPIENT_TEMPLATE = """<a href="{% url 'communications:delivery_detail' record.pk %}" hx-boost="false">{{ record.recipient_name }}</a>
<div class="small text-body-secondary text-break">{{ record.address|default:"—" }}</div>"""  # noqa: E501

CONTENT_TEMPLATE = """{% if record.subject %}{{ record.subject|truncatechars:70 }}{% else %}{{ record.body_text|truncatechars:70 }}{% endif %}"""  # noqa: E501

STATUS_TEMPLATE = """{% load i18n %}<span class="badge {% if record.status == "sent" %}text-bg-success{% elif record.status == "failed" %}text-bg-danger{% elif record.status == "retrying" %}text-bg-warning{% else %}text-bg-secondary{% endif %}">{{ record.get_status_display }}</span>
{% if record.status == "retrying" and record.next_attempt_at %}<div class="small text-body-secondary">{% blocktranslate with when=record.next_attempt_at|date:"SHORT_DATETIME_FORMAT" %}next try {{ when }}{% endblocktranslate %}</div>{% endif %}
{% if record.last_error %}{% translate record.last_error as error %}<div class="small text-danger text-break">{{ error|truncatechars:120 }}</div>{% endif %}"""  # noqa: E501

ACTIONS_TEMPLATE = """{% load i18n %}{% if record.status == "failed" %}<form method="post" action="{% url 'communications:delivery_retry' record.pk %}" hx-boost="false">{% csrf_token %}
<button type="submit" class="btn btn-outline-primary btn-sm">{% translate "Retry" %}<span class="visually-hidden"> {{ record.recipient_name }}</span></button></form>{% endif %}"""  # noqa: E501


class DeliveryTable(tables.Table):
    created_at = tables.DateTimeColumn(verbose_name=_("Queued"), format="Y-m-d H:i")
    recipient = tables.TemplateColumn(
        RECIPIENT_TEMPLATE, verbose_name=_("Recipient"), order_by=("recipient_name", "address")
    )
    channel = tables.Column(verbose_name=_("Channel"))
    kind = tables.Column(verbose_name=_("Kind"))
    content = tables.TemplateColumn(CONTENT_TEMPLATE, verbose_name=_("Subject or text"), orderable=False)
    status = tables.TemplateColumn(STATUS_TEMPLATE, verbose_name=_("Status"))
    attempts = tables.Column(verbose_name=_("Attempts"), attrs={"td": {"class": "text-end"}})
    actions = tables.TemplateColumn(
        ACTIONS_TEMPLATE, verbose_name=_("Actions"), orderable=False, empty_values=()
    )

    class Meta:
        model = Delivery
        fields = ["created_at", "recipient", "channel", "kind", "content", "status", "attempts", "actions"]
        sequence = fields
        empty_text = _("No deliveries match these filters.")

    def render_kind(self, value: str) -> str:
        return kind_label(value)
