from django import forms
from django.utils.translation import gettext_lazy as _

from cases.forms import DeadlineField
from cases.models import Category
from grids.models import Grid, Street

from .models import PartnerKind


class PartnerForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    kind = forms.ChoiceField(label=_("Kind"), choices=PartnerKind.choices)
    street = forms.ModelChoiceField(label=_("Street"), queryset=Street.objects.none())
    outbound_url = forms.URLField(
        label=_("Status URL (12345 hotline only)"),
        max_length=300,
        required=False,
        assume_scheme="https",
        help_text=_("Where 签收, 退单, 延期申请 and 办结 are sent."),
    )

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["street"].queryset = scope.narrow(Street.objects.all())
        self.fields["street"].empty_label = None


class KeyForm(forms.Form):
    name = forms.CharField(label=_("Key name"), max_length=60)


class PlaceOrderForm(forms.Form):
    grid = forms.ModelChoiceField(label=_("Grid"), queryset=Grid.objects.none())
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none())

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = scope.narrow(Grid.objects.select_related("community"))
        self.fields["category"].queryset = Category.objects.filter(is_active=True)


class ExtensionForm(forms.Form):
    reason = forms.CharField(
        label=_("Why more time is needed"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    new_deadline = DeadlineField(label=_("New 办结 deadline"))
