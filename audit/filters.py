"""The access log's filters: what, who, when, which case."""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from common.forms import Form
from common.ordering import order_choices_naturally
from common.params import refuse_reversed_dates
from common.people import display_name

from .models import AccessEvent, Kind


class AccessEventFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("What"), choices=Kind.choices)
    user = django_filters.ModelChoiceFilter(label=_("By"), queryset=get_user_model().objects.none())
    date_from = django_filters.DateFilter(
        label=_("From"),
        field_name="at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        label=_("To"),
        field_name="at",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    case = django_filters.CharFilter(
        label=_("Tracking code"),
        field_name="case__tracking_code",
        max_length=12,
        method="by_tracking_code",
    )

    class Meta:
        model = AccessEvent
        fields = []
        form = Form  # the app's forms (common/forms.py)

    def __init__(self, data=None, *args, events, **kwargs):
        super().__init__(data, *args, **kwargs)
        # Only the people who appear in this user's log are offered, by name.
        self.filters["user"].queryset = get_user_model().objects.filter(
            pk__in=events.filter(user__isnull=False).values("user_id")
        )
        people = self.form.fields["user"]
        people.label_from_instance = display_name
        order_choices_naturally(people)

    def is_valid(self):
        return super().is_valid() and refuse_reversed_dates(self.form, "date_from", "date_to")

    def by_tracking_code(self, queryset, name, value):
        return queryset.filter(case__tracking_code=value.strip().upper())
