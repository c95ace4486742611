"""The case list's filters and search; every choice offered is limited to the user's places."""

import re

import django_filters
from django import forms
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, Value
from django.db.models.functions import Replace
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from common import fragments
from common.forms import Form
from common.params import refuse_reversed_dates
from common.phones import phone_search_digits
from grids.models import Community, Grid

from . import queues
from .models import (
    OPEN_STATES,
    Case,
    Category,
    Channel,
    Escalation,
    State,
    Urgency,
    overdue_condition,
)
from .search import description_contains

TRACKING_CODE_RE = re.compile(r"^YJ[0-9A-Z]{8}$")
# The data the filter panel offers: its version changes with any of these rows (apps.py).
FILTER_CHOICES = "case-filter-choices"
YES_NO = [("yes", _("yes")), ("no", _("no"))]
# Residents' names and phones are found through the search box only. A sort or filter
# parameter on them would let a script test numbers one at a time across a whole list.
ORDERING_PARAMETERS = {"o", "order", "ordering", "order_by", "sort"}
PERSONAL_FIELDS = {"resident_name", "resident_phone", "phone", "name", "submission_id"}


def refused_parameters(params) -> list[str]:
    """Query parameters that sort, or filter on a resident's personal fields."""
    return sorted(
        key for key in params if key in ORDERING_PARAMETERS or key.split("__")[0] in PERSONAL_FIELDS
    )


def with_phone_digits(queryset, digits: str):
    """The cases whose phone has these digits, dashes or not (0472-5123456 = 04725123456)."""
    return queryset.alias(phone_digits=Replace("resident_phone", Value("-"), Value(""))).filter(
        phone_digits=digits
    )


def with_list_columns(queryset):
    """What a list row shows: places, category, owner, escalation flag.

    Two small joins in the page query and the rest prefetched by id: PostgreSQL plans a
    seven-table join in ~20 ms, longer than running it, so fewer joins make a faster page.
    """
    return (
        queryset.select_related("grid", "category")
        .prefetch_related("community", "building", "unit", "owner")
        .annotate(escalated=was_escalated(), overdue=is_overdue_expression())
    )


def is_overdue_expression():
    return ExpressionWrapper(overdue_condition(timezone.now()), output_field=BooleanField())


def was_escalated():
    return Exists(Escalation.objects.filter(case=OuterRef("pk")))


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Words, code or phone")}),
    )
    queue = django_filters.ChoiceFilter(
        label=_("Work queue"), choices=queues.choices(), method="by_queue"
    )
    progress = django_filters.ChoiceFilter(
        label=_("Progress"),
        choices=[("open", _("not yet resolved")), ("closed", _("resolved or declined"))],
        method="by_progress",
    )
    # A case has one state: no DISTINCT needed (it made PostgreSQL count distinct whole rows).
    state = django_filters.MultipleChoiceFilter(
        label=_("State"),
        choices=State.choices,
        widget=forms.CheckboxSelectMultiple,
        distinct=False,
    )
    community = django_filters.ModelChoiceFilter(
        label=_("Community"), queryset=Community.objects.none()
    )
    grid = django_filters.ModelChoiceFilter(label=_("Grid"), queryset=Grid.objects.none())
    category = django_filters.ModelChoiceFilter(
        label=_("Category"), queryset=Category.objects.all()
    )
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Channel.choices)
    urgency = django_filters.ChoiceFilter(label=_("Urgency"), choices=Urgency.choices)
    overdue = django_filters.ChoiceFilter(label=_("Overdue"), choices=YES_NO, method="by_overdue")
    escalated = django_filters.ChoiceFilter(
        label=_("Escalated"), choices=YES_NO, method="by_escalated"
    )
    logged_from = django_filters.DateFilter(
        label=_("Logged from"),
        field_name="created_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    logged_to = django_filters.DateFilter(
        label=_("Logged to"),
        field_name="created_at",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Case
        fields = []
        form = Form  # the app's forms (common/forms.py)

    def __init__(self, data=None, *args, scope, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.user_id = scope.user_id
        self.scope = scope
        self.filters["community"].queryset = scope.narrow(Community.objects.all())
        self.filters["grid"].queryset = scope.narrow(
            Grid.objects.select_related("community")
        ).order_by("community_id", "id")
        if scope.home_level == "grid":  # a grid worker's list is already one community
            del self.filters["community"]

    def is_valid(self):
        valid = super().is_valid()
        refused = refused_parameters(self.data or {})
        if refused:
            self.form.add_error(
                None,
                _(
                    "The list cannot be sorted or filtered by %(names)s; find a resident's "
                    "case with the search box."
                )
                % {"names": str(_(", ")).join(str(name) for name in refused)},
            )
            return False
        return valid and refuse_reversed_dates(self.form, "logged_from", "logged_to")

    def search(self, queryset, name, value):
        term = value.strip()
        if not term:
            return queryset
        if TRACKING_CODE_RE.match(term.upper()):
            return queryset.filter(tracking_code=term.upper())
        digits = phone_search_digits(term)
        if digits is not None and len(digits) >= 4:
            # Four digits: the "尾号" residents give; more: the whole number, on its digits.
            # A full number is recorded and limited by the views (cases/privacy.py).
            if len(digits) == 4:
                return queryset.filter(resident_phone__endswith=digits)
            return with_phone_digits(queryset, digits)
        found = description_contains(term, also=Q(resident_name=term), streets=self.scope.streets())
        return queryset.filter(found)

    def by_queue(self, queryset, name, value):
        return queryset.filter(queues.QUEUES[value].condition(self.user_id))

    def by_progress(self, queryset, name, value):
        open_cases = Q(state__in=OPEN_STATES)
        return queryset.filter(open_cases if value == "open" else ~open_cases)

    def by_overdue(self, queryset, name, value):
        overdue = overdue_condition(timezone.now())
        return queryset.filter(overdue if value == "yes" else ~overdue)

    def by_escalated(self, queryset, name, value):
        return queryset.filter(was_escalated() if value == "yes" else ~was_escalated())


def filter_panel(case_filter, scope) -> str:
    """The filter panel's HTML. It is the same for every list of the same places, language and
    chosen filters, so each process renders it once until communities, grids or categories
    change (common/fragments.py); the 110 grids of a street cost more than the rest of the
    page."""
    form = case_filter.form
    data = form.data
    chosen = tuple(
        (name, tuple(sorted(data.getlist(name))))
        for name in form.fields
        if name != "q" and hasattr(data, "getlist") and name in data
    )
    key = (scope.places_key, get_language(), chosen)
    return fragments.cached(
        FILTER_CHOICES,
        key,
        lambda: render_to_string("cases/_filters.html", {"fields": field_list(form)}),
    )


def field_list(form):
    """The filter form as plain data, so the list page renders it in one template loop: a page
    that grows by a select option per grid must not pay a widget template per option."""
    fields = []
    for name, field in form.fields.items():
        if name == "q":
            continue
        data = form.data
        chosen = set(data.getlist(name)) if hasattr(data, "getlist") else set()
        if isinstance(field.widget, forms.DateInput):
            fields.append(
                {"name": name, "label": field.label, "kind": "date", "value": data.get(name, "")}
            )
            continue
        options = [
            (str(value), str(label), str(value) in chosen)
            for value, label in field.choices
            if str(value) != ""
        ]
        kind = "checkboxes" if isinstance(field.widget, forms.CheckboxSelectMultiple) else "select"
        fields.append({"name": name, "label": field.label, "kind": kind, "options": options})
    return fields
