from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from cases.forms import DeadlineField
from cases.models import Category
from common.forms import Form
from grids.models import Grid, Street

from . import outbound
from .models import PartnerKind


class PartnerForm(Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    kind = forms.ChoiceField(label=_("Kind"), choices=PartnerKind.choices)
    street = forms.ModelChoiceField(label=_("Street"), queryset=Street.objects.none())
    outbound_url = forms.URLField(
        label=_("Status URL (12345 hotline only)"),
        max_length=300,
        required=False,
        assume_scheme="https",
        help_text=_("Where the signing, return, extension and finishing of orders are sent."),
    )

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["street"].queryset = scope.narrow(Street.objects.all())
        self.fields["street"].empty_label = None

    def clean_outbound_url(self):
        url = self.cleaned_data["outbound_url"]
        problem = outbound_url_problem(url) if url else None
        if problem:
            raise forms.ValidationError(problem)
        return url


def outbound_url_problem(url: str) -> str | None:
    """Why the server must not send to this address, or None. The status URL is where the
    server itself connects: an address inside the network (loopback, link-local such as the
    cloud metadata service, private ranges) would let a form turn the server against it.
    A name is resolved now too; delivery resolves it again and checks each connection
    (interop/outbound.py), since a name can change its answer after it was saved."""
    if settings.HOTLINE_ALLOW_PRIVATE_ADDRESSES:
        return None
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https":
        return _("The status URL must start with https://.")
    inside = _("The status URL must be an address on the internet, not inside this network.")
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return inside
    try:
        return inside if outbound.refused_address(host.strip("[]")) else None
    except ValueError:
        pass  # a name, not an address
    try:
        outbound.resolve(host, parts.port or 443)
    except outbound.InsideTheNetwork:
        return inside
    except outbound.Unreachable:
        return None  # not published yet, perhaps: delivery will try it again, and check it
    except ValueError:  # a port out of range
        return inside
    return None


class KeyForm(Form):
    name = forms.CharField(label=_("Key name"), max_length=60)


class PlaceOrderForm(Form):
    grid = forms.ModelChoiceField(label=_("Grid"), queryset=Grid.objects.none())
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none())

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = scope.narrow(Grid.objects.select_related("community"))
        self.fields["category"].queryset = Category.objects.filter(is_active=True)


class ExtensionForm(Form):
    reason = forms.CharField(
        label=_("Why more time is needed"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    new_deadline = DeadlineField(label=_("New finish-by deadline"))
